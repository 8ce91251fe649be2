"""The Shapes study: InfoGAN against its lambda = 0 control, several seeds each, scored by MIG and the FactorVAE
score (lesson 06, notebooks/06_disentanglement_metrics.ipynb).

    OMP_NUM_THREADS=1 python benchmarks/shapes_study.py --train --seeds 0-2 --runs runs/shapes-study
    OMP_NUM_THREADS=1 python benchmarks/shapes_study.py --runs runs/shapes-study \\
        --json infogan_edu/results/shapes-study.json --export infogan-s0,control-s0

`--train` trains the runs missing under --runs, one after the other, in this process, with one thread (a run's
numbers depend on its thread count, so the study fixes it). Both arms use `shapes_config`: the CPU preset's
optimiser settings on a width-0.125 model of the 64x64 architecture, codes = one categorical code of 3 values
(for the 3 shapes) + 4 continuous codes + 10 noise dimensions, 1,000 steps at batch 64; the control is the same
config through
`lambda0_control` (G gets no L_I gradient; Q still learns to read c from G's images, so Q is the post-hoc
encoder of both arms). The training images are 30,000 Shapes images drawn once with a fixed seed.

Without --train, every run found is scored (`infogan_edu.disentanglement.shapes_scores`) and a Markdown table
is printed; --json writes the per-seed numbers, --export writes fp16 copies of the named runs to
infogan_edu/checkpoints/shapes_<name>.pt (dashes become underscores) with a provenance JSON beside each.
Scoring takes about a minute per run on one thread. --curves writes the L_I curves (from each checkpoint's
history) of the runs under --runs, without scoring them:

    python benchmarks/shapes_study.py --runs runs/shapes-budget --only infogan-w0.125,control-w0.125,control-noise62 \\
        --curves infogan_edu/results/shapes-li-curves.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from scipy.stats import spearmanr

from infogan_edu.checkpoint import export_weights, load_file
from infogan_edu.config import TrainConfig, get_preset, lambda0_control, machine_summary
from infogan_edu.data.shapes import sample_shapes
from infogan_edu.disentanglement import (
    q_encoding,
    render_shapes_factors,
    sample_shapes_factors,
    shapes_scores,
    with_population_statistics,
)
from infogan_edu.pretrained import CHECKPOINT_DIR, model_from_checkpoint
from infogan_edu.selection import agreement, encoding_agreement_matrix

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import git_commit, markdown_table  # noqa: E402

DATA_SEED = 12345  # the training images: the same 30,000 for every run
N_TRAIN = 30_000
STEPS = 1000
ARMS = ("infogan", "control")


def shapes_config(seed: int, steps: int = STEPS) -> TrainConfig:
    """The InfoGAN arm of the study (the control is `lambda0_control` of it)."""
    return get_preset(
        "cpu",
        preset="shapes-cpu",
        dataset="shapes",
        seed=seed,
        steps=steps,
        width=0.125,
        batch_size=64,
        noise=10,
        categorical=(3,),
        continuous=4,
        fixed_std=True,  # sigma = 1 for Q's continuous codes, as in the original code
        lambda_cont=1.0,
        eval_every=10**9,  # no labelled test set: the metrics are computed after training
        ckpt_every=500,
    )


def arm_config(arm: str, seed: int, steps: int = STEPS) -> TrainConfig:
    cfg = shapes_config(seed, steps)
    return lambda0_control(cfg) if arm == "control" else cfg


def training_images() -> torch.Tensor:
    """uint8 (N, 64, 64) in {0, 255}: the Trainer maps 0..255 to [-1, 1]."""
    images, _, _ = sample_shapes(N_TRAIN, torch.Generator().manual_seed(DATA_SEED))
    return images * 255


def parse_seeds(text: str) -> list[int]:
    if "-" in text:
        lo, hi = text.split("-")
        return list(range(int(lo), int(hi) + 1))
    return [int(s) for s in text.split(",")]


def train(runs: Path, seeds: list[int], steps: int) -> None:
    from infogan_edu.train import Trainer

    torch.set_num_threads(1)
    images = training_images()
    for seed in seeds:
        for arm in ARMS:
            out = runs / f"{arm}-s{seed}"
            if (out / "checkpoint.pt").exists():
                trainer = Trainer.resume(out / "checkpoint.pt", images, out_dir=out, progress=False, steps=steps)
                if trainer.step >= steps:
                    print(f"{out}: present ({trainer.step} steps), kept", flush=True)
                    continue
                print(f"{out}: resumed at step {trainer.step}", flush=True)
            else:
                trainer = Trainer(arm_config(arm, seed, steps), images, out_dir=out, progress=False)
            trainer.train()
            h = trainer.history
            print(
                f"{out}: {trainer.step} steps in {trainer.train_seconds:.0f} s, "
                f"L_I cat {h.li_cat[-1]:.3f} cont {h.li_cont[-1]:.3f}, D(x) {h.d_real[-1]:.2f} D(G) {h.d_fake[-1]:.2f}",
                flush=True,
            )


N_EVAL = 10_000  # images per MIG estimate

EVAL_SEED = 0  # the same evaluation images and codes for every run


COLUMNS = (
    "run",
    "arm",
    "seed",
    "steps",
    "train_seconds",
    "li_cat_final",
    "shape_accuracy",
    "mig_generated",
    "mig_real",
    "factor_vae_real",
)


def report(args: argparse.Namespace) -> int:
    torch.set_num_threads(1)
    paths = sorted(
        p for p in args.runs.glob("*/checkpoint.pt") if not args.only or p.parent.name in args.only.split(",")
    )
    if not paths:
        raise SystemExit(f"no runs under {args.runs}; train them first with --train")
    rows = []
    for path in paths:
        t0 = time.perf_counter()
        ckpt = load_file(path)
        model = model_from_checkpoint(ckpt, path)
        arm = "infogan" if ckpt["config"]["info_to_generator"] else "control"
        cache = path.parent / "scores.json"  # a run is scored once; its scores are reused while its step holds
        cached = json.loads(cache.read_text()) if cache.exists() else {}
        if cached.get("steps") != ckpt["step"] or cached.get("votes") != args.votes or cached.get("boot") != args.boot:
            cached = {
                "run": path.parent.name,
                "arm": arm,
                "seed": ckpt["config"]["seed"],
                "steps": ckpt["step"],
                "train_seconds": round(float(ckpt.get("train_seconds", 0.0)), 1),
                "li_cat_final": round(ckpt["history"]["li_cat"][-1], 4),
                **shapes_scores(model, N_EVAL, votes=tuple(args.votes), seed=EVAL_SEED, n_boot=args.boot),
            }
            cached |= {"votes": args.votes, "boot": args.boot, "eval_seconds": round(time.perf_counter() - t0, 1)}
            cache.write_text(json.dumps(cached, indent=2) + "\n")
        row = cached
        rows.append(row)
        print(f"scored {row['run']} in {row['eval_seconds']} s", file=sys.stderr, flush=True)
    rows.sort(key=lambda r: (ARMS.index(r["arm"]), r["seed"]))
    print(markdown_table(rows, COLUMNS))
    summary, table = {}, []
    for arm in ARMS:
        mine = [r for r in rows if r["arm"] == arm]
        for metric in ("shape_accuracy", "mig_generated", "mig_real", "factor_vae_real"):
            vals = [r[metric] for r in mine]
            if vals:
                summary[f"{arm}/{metric}"] = {
                    "mean": round(statistics.mean(vals), 4),
                    "min": min(vals),
                    "max": max(vals),
                }
                stats = (statistics.mean(vals), min(vals), max(vals))
                table.append([arm, len(vals), metric, *(f"{v:.3f}" for v in stats)])
    print("\n" + markdown_table(table, ("arm", "runs", "metric", "mean", "min", "max")))
    meta = {
        "command": "OMP_NUM_THREADS=1 python " + " ".join(sys.argv),
        "train_command": f"OMP_NUM_THREADS=1 python benchmarks/shapes_study.py --train --seeds {args.seeds} "
        f"--steps {args.steps} --runs {args.runs}",
        "commit": git_commit(),
        "machine": machine_summary(),
        "torch": torch.__version__,
        "date": time.strftime("%Y-%m-%d"),
        "config_infogan": shapes_config(0).to_dict() | {"seed": "per run"},
        "control": "lambda0_control(config_infogan): info_to_generator = False",
        "n_train_images": N_TRAIN,
        "n_eval_images": N_EVAL,
    }
    pick = label_free_pick(paths, rows) if args.pick else {}
    for arm, p in pick.items():
        a = p["all_runs"]
        print(
            f"{arm}: agreement picks {a['pick']} (MIG {a['pick_mig']:.3f}; best {a['best_mig']:.3f}, median "
            f"{a['median_mig']:.3f}); in groups of 3: best {p['groups_picked_best']} of {p['n_groups']}, at or "
            f"above the median {p['groups_at_or_above_median']} of {p['n_groups']}; Spearman(agreement, MIG) "
            f"{p['spearman_agreement_mig']}"
        )
    if args.json:
        payload = {"meta": meta, "runs": rows, "summary": summary, "pick": pick}
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    for name in filter(None, args.export.split(",")):
        src = args.runs / name / "checkpoint.pt"
        row = next(r for r in rows if r["run"] == name)
        provenance = {
            "command": meta["train_command"] + "  (this run: " + name + ")",
            "export_command": meta["command"],
            "preset": "shapes-cpu",
            "arm": row["arm"],
            "seed": row["seed"],
            "steps": row["steps"],
            "train_seconds": row["train_seconds"],
            "device": "cpu",
            "li_cat_final": row["li_cat_final"],
            "metrics": {k: row[k] for k in ("shape_accuracy", "mig_generated", "mig_real", "factor_vae_real")},
            "date": meta["date"],
            "torch": torch.__version__,
        }
        dest = CHECKPOINT_DIR / f"shapes_{name.replace('-', '_')}.pt"
        out = export_weights(load_file(src), dest, provenance)
        # the fp16 file scores slightly differently from the fp32 run: record what the shipped file gives
        shipped = shapes_scores(model_from_checkpoint(load_file(dest), dest), N_EVAL, seed=EVAL_SEED)
        out["metrics_shipped"] = {k: shipped[k] for k in provenance["metrics"]}
        Path(str(dest) + ".json").write_text(json.dumps(out, indent=2) + "\n")
        print(f"exported {name}: {out['file']} {out['bytes']} bytes sha256 {out['sha256'][:16]}...", file=sys.stderr)
    return 0


PICK_SEED = 2  # the unlabelled real images the pick reads (not the scoring images)
N_PICK = 5000


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float | None:
    """Spearman's rho, or None where one side is constant (rho is undefined there)."""
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    return round(float(spearmanr(a, b).statistic), 4)


def label_free_pick(paths: list[Path], rows: list[dict], group_size: int = 3) -> dict:
    """Agreement among the runs of each arm, from Q's soft readings of unlabelled real images
    (`selection.encoding_agreement_matrix`), and how its pick compares, by real-image MIG, with the runs it chose
    from: in the whole arm and in every group of `group_size` runs. The factors are used only to score."""
    images = render_shapes_factors(sample_shapes_factors(N_PICK, torch.Generator().manual_seed(PICK_SEED)))
    by_run = {r["run"]: r for r in rows}
    out = {}
    for arm in ARMS:
        mine = [p for p in paths if by_run[p.parent.name]["arm"] == arm]
        if len(mine) < 2:
            continue
        encodings = []
        for path in mine:
            model = model_from_checkpoint(load_file(path), path)
            encodings.append(q_encoding(with_population_statistics(model, images, seed=PICK_SEED), images).numpy())
        matrix = encoding_agreement_matrix(encodings)
        names = [p.parent.name for p in mine]
        migs = np.array([by_run[n]["mig_real"] for n in names])
        groups = [list(g) for g in itertools.combinations(range(len(names)), min(group_size, len(names)))]
        verdicts = []
        for g in [list(range(len(names))), *groups]:
            chosen = g[int(np.argmax(agreement(matrix, g)))]
            group_migs = migs[g]
            verdicts.append(
                {
                    "group": [names[i] for i in g],
                    "pick": names[chosen],
                    "pick_mig": float(migs[chosen]),
                    "best_mig": float(group_migs.max()),
                    "median_mig": float(np.median(group_migs)),
                    "picked_best": bool(migs[chosen] == group_migs.max()),
                    "at_or_above_median": bool(migs[chosen] >= np.median(group_migs)),
                }
            )
        out[arm] = {
            "runs": names,
            "agreement": [round(float(v), 4) for v in agreement(matrix)],
            "matrix": np.round(matrix, 4).tolist(),
            "spearman_agreement_mig": rank_correlation(agreement(matrix), migs),
            "all_runs": verdicts[0],
            "groups": verdicts[1:],
            "groups_picked_best": sum(v["picked_best"] for v in verdicts[1:]),
            "groups_at_or_above_median": sum(v["at_or_above_median"] for v in verdicts[1:]),
            "n_groups": len(verdicts) - 1,
        }
    return out


def curves(runs: Path, dest: Path, only: str = "") -> int:
    """L_I of the categorical code (nats) and D's outputs over training, per run (all under `runs`, or the
    comma-separated names in `only`), as the checkpoints record them."""
    out = {}
    for path in sorted(runs.glob("*/checkpoint.pt")):
        if only and path.parent.name not in only.split(","):
            continue
        ckpt = load_file(path)
        h = ckpt["history"]
        out[path.parent.name] = {
            "info_to_generator": ckpt["config"]["info_to_generator"],
            "seed": ckpt["config"]["seed"],
            "noise": ckpt["config"]["noise"],
            "width": ckpt["config"]["width"],
            **{
                k: [round(v, 4) if isinstance(v, float) else v for v in h[k]]
                for k in ("step", "li_cat", "li_cont", "d_real", "d_fake")
            },
        }
        print(f"{path.parent.name}: {ckpt['step']} steps, final L_I(c1) {h['li_cat'][-1]:.4f}", file=sys.stderr)
    meta = {
        "command": "python " + " ".join(sys.argv),
        "train_commands": "the `--run` commands of benchmarks/shapes_budget.py's docstring (one per run)",
        "commit": git_commit(),
        "machine": machine_summary(),
        "torch": torch.__version__,
        "date": time.strftime("%Y-%m-%d"),
        "h_c1_nats": round(float(torch.log(torch.tensor(3.0))), 4),
    }
    dest.write_text(json.dumps({"meta": meta, "runs": out}, indent=2) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=Path, default=Path("runs/shapes-study"))
    p.add_argument("--train", action="store_true", help="train the missing runs first")
    p.add_argument("--seeds", default="0-2")
    p.add_argument("--steps", type=int, default=STEPS)
    p.add_argument("--only", default="", help="score only these runs (comma-separated names), e.g. infogan-s0")
    p.add_argument("--json", type=Path, help="write the per-run table as JSON")
    p.add_argument("--export", default="", help="comma-separated runs to ship, e.g. infogan-s0,control-s0")
    p.add_argument("--curves", type=Path, help="write the L_I curves of the runs as JSON (no scoring)")
    p.add_argument("--votes", type=int, nargs=2, default=[500, 300], help="FactorVAE training and held-out votes")
    p.add_argument("--boot", type=int, default=0, help="bootstrap resamples for MIG's interval (0: none)")
    p.add_argument("--pick", action="store_true", help="also pick among each arm's runs without labels")
    args = p.parse_args(argv)
    if args.curves:
        return curves(args.runs, args.curves, args.only)
    if args.train:
        train(args.runs, parse_seeds(args.seeds), args.steps)
        return 0
    return report(args)


if __name__ == "__main__":
    sys.exit(main())
