"""The rendered 3D heads and chairs study: InfoGAN (the `heads3d` / `chairs3d` presets) against its lambda = 0
control, several seeds each, with Q's codes scored against the renderer's known factors (the paper's Sec. 7.2, Figs.
3-4, on the stand-ins of `infogan_edu.data.render3d`).

    OMP_NUM_THREADS=1 python benchmarks/render3d_study.py --data heads --train --seeds 0-2 --arm infogan \\
        --runs runs/heads3d-study    # and the same with --arm control in a second process; no --arm: both arms
    OMP_NUM_THREADS=1 python benchmarks/render3d_study.py --data heads --score --runs runs/heads3d-study \\
        --json runs/heads3d-study/scores.json
    OMP_NUM_THREADS=1 python benchmarks/render3d_study.py --data heads --grid runs/heads3d-study/grids \\
        --runs runs/heads3d-study

--train trains the runs of --seeds (both arms, or the one --arm names) one after the other in this process, with one
thread, each through `Trainer` into RUNS/<arm>-s<seed>/ (checkpoint.pt every `ckpt_every` steps and on Ctrl-C or
SIGTERM). The same command given again continues a stopped run and keeps a finished one; a larger --steps trains a
finished run further; a command that would train a run differently from its checkpoint is refused. The InfoGAN arm
is the preset with --set applied; the control is `config.lambda0_control` of it (G gets no L_I gradient, Q still
learns to read c from G's images). The training images are the data set's fixed training split
(`data.datasets.RENDERED_SPLITS`: at the default --n-train, the set `train --preset heads3d` reads), or --n-train
images drawn with its seed; RUNS/study.json records --data, --n-train and --set, and a later --train must repeat them.

--score reads every run under RUNS, and --baselines untrained models of the same architecture (an untrained Q is not
blind: its features already follow the light, say), on the held-out renders (the "test" split, another seed), and
computes for each (`disentanglement.known_factor_scores`): Spearman's rho of every continuous code (Q's mean)
against every factor and against abs_azimuth (|azimuth|: frontal against profile), the best |rho| per factor, and
MIG against the true factors. It prints Markdown tables and, with --json, writes every model's numbers.

--grid DIR writes DIR/<run>.png per run: the layout of the paper's Figs. 3-4 for each continuous code (rows: noise
draws, the categorical codes drawn too and the other continuous codes at 0; columns: the code from -1 to 1), and
below them the renderer's true sweep of each factor over its range (rows: draws of the other factors).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

import numpy as np
import torch

from infogan_edu.checkpoint import load_file
from infogan_edu.cli import parse_overrides
from infogan_edu.config import TrainConfig, get_preset, lambda0_control
from infogan_edu.data.datasets import RENDERED_DATASETS, RENDERED_SPLITS
from infogan_edu.data.render3d import CHAIR_FACTORS, HEAD_FACTORS, draw_chairs, draw_heads
from infogan_edu.disentanglement import known_factor_scores, with_population_statistics
from infogan_edu.latent import Latent
from infogan_edu.models import InfoGAN, generate
from infogan_edu.multiseed import parse_seeds
from infogan_edu.plots import images_to_grid
from infogan_edu.pretrained import model_from_checkpoint

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import markdown_table, write_json  # noqa: E402

PRESET = {"heads": "heads3d", "chairs": "chairs3d"}
ARMS = ("infogan", "control")
BASELINE_SEED = 10_000  # untrained model k is initialised with torch.manual_seed(BASELINE_SEED + k)
GRID_ROWS, GRID_COLS, GRID_SEED = 5, 7, 0


# ----------------------------------------------------------------------------- configs and data
def arm_config(data: str, arm: str, seed: int, steps: int | None, overrides: dict[str, object]) -> TrainConfig:
    """The run's configuration: the data's preset with --set applied; the control is its lambda = 0 control."""
    changes = {**overrides, "seed": seed, **({"steps": steps} if steps is not None else {})}
    try:
        config = get_preset(PRESET[data], **changes)
    except ValueError as e:
        raise SystemExit(f"error: {e}") from None
    return lambda0_control(config) if arm == "control" else config


def study_settings(args: argparse.Namespace) -> dict[str, object]:
    """What every run of RUNS shares: the data, the number of training images, the --set overrides. The first --train
    writes them to RUNS/study.json; a later --train must give the same, --score and --grid the same --data."""
    given = {"data": args.data, "n_train": args.n_train, "set": sorted(args.set)}
    path = args.runs / "study.json"
    if path.is_file():
        recorded = json.loads(path.read_text())
        if recorded["data"] != args.data or (args.train and recorded != given):
            raise SystemExit(
                f"error: {args.runs} holds the study --data {recorded['data']} --n-train {recorded['n_train']} "
                f"--set {recorded['set']}, not --data {args.data} --n-train {args.n_train} --set {sorted(args.set)}; "
                "repeat its options or use another --runs"
            )
        return recorded
    if not args.train:
        raise SystemExit(f"error: {path} is missing: {args.runs} holds no study; train it first with --train")
    args.runs.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    tmp.write_text(json.dumps(given, indent=1) + "\n")
    os.replace(tmp, path)  # never half-written
    return given


def rendered(data: str, split: str, n: int) -> tuple[torch.Tensor, dict[str, np.ndarray]]:
    """`n` images of the split (its fixed seed; cached by render3d): uint8 (n, 32, 32) and {factor: (n,)}."""
    loader, _ = RENDERED_DATASETS[PRESET[data]]
    images, factors = loader(n=n, seed=RENDERED_SPLITS[split][1])
    return images, {k: v.numpy() for k, v in factors.items()}


# ----------------------------------------------------------------------------- training
def train(args: argparse.Namespace) -> int:
    from infogan_edu.train import Trainer

    torch.set_num_threads(1)  # one thread per run: a run's numbers depend on its thread count
    settings = study_settings(args)
    overrides = parse_overrides(list(settings["set"]))
    arms = [args.arm] if args.arm else list(ARMS)
    images, _ = rendered(args.data, "train", int(settings["n_train"]))
    for seed in parse_seeds(args.seeds):
        for arm in arms:
            out = args.runs / f"{arm}-s{seed}"
            config = arm_config(args.data, arm, seed, args.steps, overrides)
            ckpt = out / "checkpoint.pt"
            if ckpt.exists():
                recorded = load_file(ckpt)["config"]
                differ = [k for k, v in config.to_dict().items() if k != "steps" and recorded.get(k) != v]
                if differ:
                    name = differ[0]
                    raise SystemExit(
                        f"error: {ckpt} was trained with {name}={recorded.get(name)!r}, this command gives "
                        f"{name}={config.to_dict()[name]!r}; repeat the command that trained it, or use another --runs"
                    )
                trainer = Trainer.resume(ckpt, images, out_dir=out, progress=False, steps=config.steps)
                if trainer.step >= config.steps:
                    print(f"{out}: present ({trainer.step} steps), kept", flush=True)
                    continue
                print(f"{out}: resumed at step {trainer.step}", flush=True)
            else:
                trainer = Trainer(config, images, out_dir=out, progress=False)
            trainer.train()
            h = trainer.history
            print(
                f"{out}: {trainer.step} steps in {trainer.train_seconds:.0f} s, L_I cont {h.li_cont[-1]:.3f}, "
                f"D(x) {h.d_real[-1]:.2f} D(G) {h.d_fake[-1]:.2f}",
                flush=True,
            )
    return 0


# ----------------------------------------------------------------------------- scoring
def _cell(v: object) -> str:
    return "-" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def score(args: argparse.Namespace) -> int:
    torch.set_num_threads(1)
    settings = study_settings(args)
    paths = sorted(args.runs.glob("*/checkpoint.pt"))
    if not paths:
        raise SystemExit(f"error: no runs under {args.runs}; train them first with --train")
    images, factors = rendered(args.data, "test", args.n_test)
    also = {"abs_azimuth": np.abs(factors["azimuth"])}
    models: list[tuple[dict, InfoGAN]] = []
    for path in paths:
        ckpt = load_file(path)
        cfg, h = ckpt["config"], ckpt["history"]
        if cfg.get("dataset") != PRESET[args.data]:
            raise SystemExit(f"error: {path} was trained on {cfg.get('dataset')}, not {PRESET[args.data]}")
        row = {
            "model": path.parent.name,
            "arm": "infogan" if cfg["info_to_generator"] else "control",
            "seed": cfg["seed"],
            "steps": ckpt["step"],
            "train_seconds": round(float(ckpt.get("train_seconds", 0.0)), 1),
            "li_cont_final": round(h["li_cont"][-1], 4) if h.get("li_cont") else None,
            "li_cat_final": round(h["li_cat"][-1], 4) if h.get("li_cat") else None,
        }
        models.append((row, model_from_checkpoint(ckpt, path)))
    like = arm_config(args.data, "infogan", 0, None, parse_overrides(list(settings["set"])))
    for k in range(args.baselines):
        torch.manual_seed(BASELINE_SEED + k)
        untrained = InfoGAN(like.latent_spec(), like.width, 32, 1, like.network)
        models.append(
            ({"model": f"untrained-{k}", "arm": "untrained", "seed": BASELINE_SEED + k, "steps": 0}, untrained)
        )
    rows = []
    for row, model in models:
        row |= known_factor_scores(model, images, factors, also)
        rows.append(row)
        print(f"scored {row['model']}", file=sys.stderr, flush=True)
    names = [*factors, *also]
    print(f"## {PRESET[args.data]}: {len(images)} held-out renders\n")
    print(
        markdown_table(
            [[r["model"], r["steps"], _cell(r["mig"]), *(_cell(r["best_abs_rho"][n]) for n in names)] for r in rows],
            ("model", "steps", "MIG", *(f"best abs rho {n}" for n in names)),
        )
    )
    n_cat = len(like.categorical)
    every = [
        [r["model"], f"c{n_cat + j + 1}", *(_cell(r["rho"][n][j]) for n in names)]
        for r in rows
        for j in range(like.continuous)
    ]
    print("\n" + markdown_table(every, ("model", "code", *(f"rho {n}" for n in names))))
    summary = []
    for arm in (*ARMS, "untrained"):
        mine = [r for r in rows if r["arm"] == arm]
        for metric in ("mig", *names):
            vals = [r["mig"] if metric == "mig" else r["best_abs_rho"][metric] for r in mine]
            vals = [v for v in vals if v is not None]
            if vals:
                label = "MIG" if metric == "mig" else f"best abs rho {metric}"
                stats = (statistics.mean(vals), min(vals), max(vals))
                summary.append([arm, len(vals), label, *(f"{v:.3f}" for v in stats)])
    print("\n" + markdown_table(summary, ("arm", "models", "metric", "mean", "min", "max")))
    if args.json:
        payload = {
            "data": PRESET[args.data],
            "settings": settings,
            "n_test": len(images),
            "models": rows,
            "config_infogan": like.to_dict() | {"seed": "per run"},
            "control": "lambda0_control(config_infogan): info_to_generator = False",
        }
        write_json(args.json, payload, "benchmarks/render3d_study.py")
    return 0


# ----------------------------------------------------------------------------- traversal grids
def true_sweep(data: str, name: str, gen: torch.Generator) -> tuple[torch.Tensor, list[float]]:
    """The renderer's own sweep of factor `name`: GRID_ROWS draws of the other factors down, the factor across its
    range (a chair's style across its 3 values); float images in [-1, 1], (rows * cols, 1, 32, 32)."""
    table = HEAD_FACTORS if data == "heads" else CHAIR_FACTORS
    lo, hi = table[name]
    cols = [0.0, 1.0, 2.0] if name == "style" else np.linspace(lo, hi, GRID_COLS).tolist()
    values = {}
    for k, (a, b) in table.items():
        if k == name:
            values[k] = np.tile(cols, GRID_ROWS)
        elif k == "style":
            values[k] = np.repeat(torch.randint(3, (GRID_ROWS,), generator=gen).numpy(), len(cols))
        else:
            draw = a + (b - a) * torch.rand(GRID_ROWS, generator=gen, dtype=torch.float64).numpy()
            values[k] = np.repeat(draw, len(cols))
    images = (draw_heads if data == "heads" else draw_chairs)(*values.values())  # uint8 (rows * cols, 32, 32)
    return images.float().div(127.5).sub(1).unsqueeze(1), cols


def code_sweep(model: InfoGAN, code: str, gen: torch.Generator) -> torch.Tensor:
    """G's images with `code` from -1 to 1 across GRID_COLS columns, a noise draw per row (GRID_ROWS rows)."""
    spec, rows = model.spec, []
    for _ in range(GRID_ROWS):
        sampled = spec.sample(1, gen)
        base = Latent(sampled.z, sampled.cat, torch.zeros_like(sampled.cont))  # the other continuous codes at 0
        rows.append(generate(model, spec, spec.traversal(code, torch.linspace(-1, 1, GRID_COLS), base)))
    return torch.cat(rows)  # (rows * cols, 1, 32, 32)


def grids(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    torch.set_num_threads(1)
    study_settings(args)
    paths = sorted(args.runs.glob("*/checkpoint.pt"))
    if not paths:
        raise SystemExit(f"error: no runs under {args.runs}; train them first with --train")
    args.grid.mkdir(parents=True, exist_ok=True)
    factors = list(HEAD_FACTORS if args.data == "heads" else CHAIR_FACTORS)
    for path in paths:
        model = with_population_statistics(model_from_checkpoint(load_file(path), path), None, seed=GRID_SEED)
        codes = [c.name for c in model.spec.codes if c.kind == "continuous"]
        n = max(len(codes), len(factors))
        fig, axes = plt.subplots(2, n, figsize=(2.3 * n, 5.2), squeeze=False)
        gen = torch.Generator().manual_seed(GRID_SEED)
        panels = [(f"G: {c} from -1 to 1", code_sweep(model, c, gen), GRID_COLS) for c in codes]
        for i, (title, images, cols) in enumerate(panels):
            axes[0, i].imshow(images_to_grid(images, nrow=cols), cmap="gray", vmin=0, vmax=255)
            axes[0, i].set_title(title, fontsize=9)
        for i, name in enumerate(factors):
            images, cols = true_sweep(args.data, name, gen)
            axes[1, i].imshow(images_to_grid(images, nrow=len(cols)), cmap="gray", vmin=0, vmax=255)
            axes[1, i].set_title(f"renderer: {name} {cols[0]:g} to {cols[-1]:g}", fontsize=9)
        for ax in axes.flat:
            ax.axis("off")
        fig.suptitle(f"{path.parent.name}: rows are noise draws (top) or draws of the other factors (bottom)")
        fig.tight_layout()
        dest = args.grid / f"{path.parent.name}.png"
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part.png")
        fig.savefig(tmp, dpi=150)
        plt.close(fig)
        os.replace(tmp, dest)  # never half-written
        print(f"wrote {dest}", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", choices=sorted(PRESET), required=True)
    p.add_argument("--runs", type=Path, required=True, help="the study's folder: <arm>-s<seed>/ per run")
    p.add_argument("--train", action="store_true", help="train (or continue) the runs of --seeds")
    p.add_argument("--seeds", default="0-2", help="e.g. 0-2 or 0,3")
    p.add_argument("--arm", choices=ARMS, default=None, help="train one arm only (default: both)")
    p.add_argument("--steps", type=int, default=None, help="training steps (default: the preset's)")
    p.add_argument("--n-train", type=int, default=RENDERED_SPLITS["train"][0], help="with --train: training images")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="with --train: a preset field")
    p.add_argument("--score", action="store_true", help="score every run and the baselines")
    p.add_argument("--json", type=Path, help="with --score: write every model's numbers here")
    p.add_argument("--n-test", type=int, default=RENDERED_SPLITS["test"][0], help="held-out images to score on")
    p.add_argument("--baselines", type=int, default=3, help="untrained models scored as a floor")
    p.add_argument("--grid", type=Path, help="write each run's traversal figure into this folder")
    args = p.parse_args(argv)
    if sum([args.train, args.score, args.grid is not None]) != 1:
        p.error("give one of --train, --score or --grid")
    if min(args.n_train, args.n_test) < 1 or args.baselines < 0:
        p.error("--n-train and --n-test must be at least 1, --baselines at least 0")
    try:
        parse_overrides(args.set)  # a bad --set or --seeds fails here, before any data is rendered
        parse_seeds(args.seeds)
    except ValueError as e:
        p.error(str(e))
    from infogan_edu.train import TrainingInterrupted

    try:
        return train(args) if args.train else score(args) if args.score else grids(args)
    except TrainingInterrupted as e:  # Ctrl-C or SIGTERM: the run saved a checkpoint; the same command continues it
        print(f"{str(e).split('; continue with')[0]}; give this command again to continue it", file=sys.stderr)
        return 130
    except ValueError as e:  # e.g. a batch larger than --n-train: one line, what to change
        raise SystemExit(f"error: {e}") from None


if __name__ == "__main__":
    sys.exit(main())
