"""How long, and how large, must a Shapes InfoGAN train before its generator draws the Shapes? (lesson 06)

    OMP_NUM_THREADS=1 python benchmarks/shapes_budget.py --train-reader
    OMP_NUM_THREADS=1 python benchmarks/shapes_budget.py --run infogan-w0.125 --milestones 1000,2000,4000,8000
    OMP_NUM_THREADS=1 python benchmarks/shapes_budget.py --run control-w0.125 --arm control --milestones 1000,2000,4000
    OMP_NUM_THREADS=1 python benchmarks/shapes_budget.py --run control-noise62 --arm control --noise 62 \\
        --milestones 1000,2000,4000
    OMP_NUM_THREADS=1 python benchmarks/shapes_budget.py --judge
    python benchmarks/shapes_budget.py --report --json benchmarks/results/shapes-budget.json \\
        --grid benchmarks/results/shapes-budget-samples.png

`--train-reader` trains the reference reader (`infogan_edu.shapes_reader`) on freshly rendered real Shapes,
scores it on 5,000 held-out real images and ships it as infogan_edu/checkpoints/shapes_reader.pt with its SHA-256,
command and scores in the JSON beside it.

`--run NAME` trains one run of the Shapes study's set-up (`shapes_study.shapes_config`: the arm, seed, width,
batch and learning rates can be changed) under runs/shapes-budget/NAME, stopping at each milestone to keep an fp16
snapshot of the model (NAME/step-NNNNNN.pt, with its training numbers in the JSON beside it). A run stopped
part-way (Ctrl-C, SIGTERM: the Trainer saves a checkpoint) continues from its checkpoint when the same command is
given again. The Trainer's resume is exact on CPU, so N steps and then M more equal N + M steps in one go.

`--judge` judges every snapshot that the current reader has not judged: 2,000 samples G(z, c) (BatchNorm
statistics re-estimated, as the study scores them) against 2,000 real images (`shapes_reader.judge`); the verdict
is kept beside the snapshot. `--report` prints every snapshot as one table (and writes it with --json).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import git_commit, markdown_table  # noqa: E402
from shapes_study import arm_config, training_images  # noqa: E402

from infogan_edu.checkpoint import export_weights, load_file  # noqa: E402
from infogan_edu.config import machine_summary  # noqa: E402
from infogan_edu.data.shapes import sample_shapes  # noqa: E402
from infogan_edu.disentanglement import generated_with_codes, with_population_statistics  # noqa: E402
from infogan_edu.pretrained import CHECKPOINT_DIR, model_from_checkpoint  # noqa: E402
from infogan_edu.shapes_reader import (  # noqa: E402
    CONFIDENT,
    NONE,
    NOT_SHAPES,
    judge,
    load_reader,
    not_shapes,
    read,
    redraw_iou,
    save_reader,
    train_reader,
)

RUNS = Path("runs/shapes-budget")
N_JUDGE = 2000
READER_STEPS = 6000
JUDGE_SEED = 7  # the real images and G's latents of every judgement


def command() -> str:
    return "OMP_NUM_THREADS=1 python " + " ".join(sys.argv)


def reader_scores(reader: torch.nn.Module, n: int = 5000) -> dict:
    """The reader on held-out real images and held-out non-shapes (generator seeds no training batch used)."""
    images, factors, _ = sample_shapes(n, torch.Generator().manual_seed(10**6))
    v = read(reader, images)
    iou = redraw_iou(images, v)
    err = {
        k: round(float((v["placement"][:, i] - factors["value"][k]).abs().mean()), 4)
        for i, k in enumerate(("scale", "pos_x", "pos_y"))
    }
    others = read(reader, not_shapes(1200, torch.Generator().manual_seed(10**6 + 1)))["shape"]  # (1200,)
    return {
        "n_images": n,
        "shape_accuracy": round(float((v["shape"] == factors["index"]["shape"]).float().mean()), 4),
        "confident": round(float(((v["prob"] >= CONFIDENT) & (v["shape"] != NONE)).float().mean()), 4),
        "real_read_as_none": round(float((v["shape"] == NONE).float().mean()), 4),
        "mean_abs_error": err,
        "redraw_iou_median": round(float(iou.median()), 4),
        "redraw_iou_p10": round(float(iou.quantile(0.1)), 4),
        "not_shapes_read_as_none": {
            kind: round(float((others[k :: len(NOT_SHAPES)] == NONE).float().mean()), 4)
            for k, kind in enumerate(NOT_SHAPES)
        },
    }


def make_reader(args: argparse.Namespace) -> int:
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    reader = train_reader(steps=args.reader_steps, seed=0)
    seconds = time.perf_counter() - t0
    scores = reader_scores(reader)
    meta = save_reader(
        reader,
        CHECKPOINT_DIR / "shapes_reader.pt",
        {
            "command": command(),
            "commit": git_commit(),
            "steps": args.reader_steps,
            "batch": 128,
            "train_seconds": round(seconds, 1),
            "held_out": scores,
            "machine": machine_summary(),
            "torch": torch.__version__,
            "date": time.strftime("%Y-%m-%d"),
        },
    )
    print(json.dumps(meta, indent=2))
    return 0


def judge_model(model: torch.nn.Module, reader: torch.nn.Module) -> dict:
    on_fake = with_population_statistics(model, None, seed=JUDGE_SEED)
    fake, _ = generated_with_codes(on_fake, N_JUDGE, seed=JUDGE_SEED)  # (N, 1, 64, 64) in [-1, 1]
    real, _, _ = sample_shapes(N_JUDGE, torch.Generator().manual_seed(JUDGE_SEED))
    return judge(reader, fake, real)


def snapshot_name(step: int) -> str:
    return f"step-{step:06d}.pt"


def run(args: argparse.Namespace) -> int:
    """Train to each milestone; keep an fp16 snapshot of the model and one line of training numbers there."""
    from infogan_edu.train import Trainer

    torch.set_num_threads(1)
    out = RUNS / args.run
    out.mkdir(parents=True, exist_ok=True)
    images = training_images()
    overrides = {
        k: v
        for k, v in (
            ("width", args.width),
            ("batch_size", args.batch),
            ("lr_g", args.lr_g),
            ("lr_d", args.lr_d),
            ("noise", args.noise),
        )
        if v is not None
    }
    for milestone in sorted(int(m) for m in args.milestones.split(",")):
        ckpt = out / "checkpoint.pt"
        if ckpt.exists():
            trainer = Trainer.resume(ckpt, images, out_dir=out, progress=False, steps=milestone)
        else:
            cfg = arm_config(args.arm, args.seed, milestone).replace(**overrides)
            trainer = Trainer(cfg, images, out_dir=out, progress=False)
        if trainer.step < milestone:
            trainer.train()
        snap = out / snapshot_name(milestone)
        if snap.exists() or trainer.step != milestone:
            continue
        h = trainer.history
        export_weights(
            load_file(ckpt),
            snap,
            {
                "run": args.run,
                "arm": args.arm,
                "seed": trainer.config.seed,
                "width": trainer.config.width,
                "batch": trainer.config.batch_size,
                "lr_g": trainer.config.lr_g,
                "lr_d": trainer.config.lr_d,
                "noise": trainer.config.noise,
                "step": trainer.step,
                "train_seconds": round(float(trainer.train_seconds), 1),
                "li_cat": round(h.li_cat[-1], 4),
                "d_real": round(h.d_real[-1], 3),
                "d_fake": round(h.d_fake[-1], 3),
                "command": command(),
                "commit": git_commit(),
                "machine": machine_summary(),
                "date": time.strftime("%Y-%m-%d"),
            },
        )
        print(f"{args.run}: step {trainer.step}, L_I(c1) {h.li_cat[-1]:.3f}", flush=True)
    return 0


def judge_all(args: argparse.Namespace) -> int:
    """Judge every snapshot not yet judged by the current reader (the verdict is kept beside the snapshot)."""
    torch.set_num_threads(1)
    reader_meta = json.loads((CHECKPOINT_DIR / "shapes_reader.pt.json").read_text())
    reader = load_reader()
    for snap in sorted(RUNS.glob("*/step-*.pt")):
        dest = snap.with_suffix(".verdict.json")
        if dest.exists() and json.loads(dest.read_text()).get("reader_sha256") == reader_meta["sha256"]:
            continue
        t0 = time.perf_counter()
        model = model_from_checkpoint(load_file(snap), snap)
        verdict = judge_model(model, reader)
        verdict |= {"reader_sha256": reader_meta["sha256"], "judge_command": command(), "judge_commit": git_commit()}
        dest.write_text(json.dumps(verdict, indent=2) + "\n")
        print(f"{snap}: {verdict} ({time.perf_counter() - t0:.0f} s)", flush=True)
    return 0


COLUMNS = (
    "run",
    "arm",
    "seed",
    "width",
    "step",
    "train_seconds",
    "li_cat",
    "confident",
    "none",
    "redrawn",
    "iou_median",
    "shares",
    "w1_scale",
    "w1_pos_x",
    "w1_pos_y",
)


def report(args: argparse.Namespace) -> int:
    rows = []
    for snap in sorted(RUNS.glob("*/step-*.pt")):
        verdict_file = snap.with_suffix(".verdict.json")
        verdict = json.loads(verdict_file.read_text()) if verdict_file.exists() else {}
        meta = json.loads(Path(str(snap) + ".json").read_text())
        rows.append({c: "" for c in COLUMNS} | meta | verdict)
    print(markdown_table(rows, COLUMNS))
    if args.json:
        reader = json.loads((CHECKPOINT_DIR / "shapes_reader.pt.json").read_text())
        payload = {"reader": reader, "rows": rows, "report_command": command(), "commit": git_commit()}
        args.json.write_text(json.dumps(payload | {"date": time.strftime("%Y-%m-%d")}, indent=2) + "\n")
    return 0


def sample_grid(dest: Path, n: int = 12) -> None:
    """A PNG: one row of real Shapes, then one row of G's samples per snapshot (same latents), labelled."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from infogan_edu.plots import images_to_grid

    snaps = sorted(RUNS.glob("*/step-*.pt"))
    real, _, _ = sample_shapes(n, torch.Generator().manual_seed(JUDGE_SEED))
    rows = [("real Shapes", real[:, None].float() * 2 - 1)]
    for snap in snaps:
        model = with_population_statistics(model_from_checkpoint(load_file(snap), snap), None, seed=JUDGE_SEED)
        fake, _ = generated_with_codes(model, n, seed=JUDGE_SEED)  # (n, 1, 64, 64) in [-1, 1]
        rows.append((f"{snap.parent.name}, step {int(snap.stem.split('-')[1])}", fake))
    fig, axes = plt.subplots(len(rows), 1, figsize=(n * 0.55, len(rows) * 0.75))
    for ax, (label, images) in zip(axes, rows, strict=True):
        ax.imshow(images_to_grid(images, nrow=n), cmap="gray", vmin=0, vmax=255)
        ax.set_axis_off()
        ax.set_title(label, fontsize=7, loc="left", pad=2)
    fig.tight_layout()
    fig.savefig(dest, dpi=90)
    print(f"wrote {dest}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--train-reader", action="store_true")
    p.add_argument("--reader-steps", type=int, default=READER_STEPS)
    p.add_argument("--run", help="name of the run under runs/shapes-budget")
    p.add_argument("--arm", choices=("infogan", "control"), default="infogan")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--width", type=float)
    p.add_argument("--batch", type=int)
    p.add_argument("--lr-g", type=float)
    p.add_argument("--lr-d", type=float)
    p.add_argument("--noise", type=int, help="noise dimensions (the study's set-up has 10)")
    p.add_argument("--milestones", default="1000,2000,4000,8000")
    p.add_argument("--judge", action="store_true", help="judge every snapshot the current reader has not judged")
    p.add_argument("--report", action="store_true")
    p.add_argument("--json", type=Path)
    p.add_argument("--grid", type=Path, help="with --report: also write a PNG of real images and every snapshot's")
    args = p.parse_args(argv)
    if args.train_reader:
        return make_reader(args)
    if args.run:
        return run(args)
    if args.judge:
        return judge_all(args)
    if args.report:
        if args.grid:
            sample_grid(args.grid)
        return report(args)
    p.error("give --train-reader, --run NAME, --judge or --report")
    return 2


if __name__ == "__main__":
    sys.exit(main())
