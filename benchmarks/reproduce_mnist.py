"""Reproduce the paper's MNIST numbers: test accuracy of c1, NMI, and L_I over training, for several seeds,
plus the lambda = 0 control (Q is trained, G gets no L_I gradient: the paper's "GAN" curve in Figure 1).

    python benchmarks/reproduce_mnist.py --preset cpu --seeds 0 1 2 --control-seeds 0
    python benchmarks/reproduce_mnist.py --preset paper --seeds 0 1 2 3 4 --control-seeds 0   # on a GPU
    python benchmarks/reproduce_mnist.py --preset paper --jobs 6 --set compile=false         # runs side by side

`--jobs N` runs N trainings at once (one GPU has room for several small ones; their wall times then overlap and
are not speed figures: benchmarks/gpu_speed.py measures speed, alone). `--set FIELD=VALUE` passes a TrainConfig
override to every run, and the table says which fast-path switches each run used.

Each run is `python -m infogan_edu train ...` (the CLI), so every checkpoint it leaves in --out can be
evaluated or exported with the CLI. Prints a Markdown table (every seed, not only the best) and the median
accuracy. Targets (issue 4):
`cpu` >= 90% median over 3 seeds within 5 minutes of training each on 2 CPU cores; `paper` >= 95%
median over 5 seeds, L_I >= 2.2 nats by step 1,000, and the control below 0.5 nats.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

from infogan_edu.checkpoint import load_file
from infogan_edu.config import machine_summary
from infogan_edu.train import History


def run(
    preset: str,
    seed: int,
    steps: int | None,
    control: bool,
    out_root: Path,
    sets: tuple[str, ...] | list[str] = (),
    timeout: float | None = None,
) -> dict:
    """One training run through the project's own CLI; its checkpoint stays in `out_root` (it can be exported).

    A run that fails or passes `timeout` seconds gives a row with its `error` and the rest of the table goes on."""
    out = out_root / f"{preset}{'-lambda0' if control else ''}-s{seed}"
    cmd = [sys.executable, "-m", "infogan_edu", "train", "--preset", preset, "--seed", str(seed), "--out", str(out)]
    cmd += ["--no-progress"] + (["--steps", str(steps)] if steps else []) + (["--lambda0"] if control else [])
    cmd += [a for item in sets for a in ("--set", item)]
    try:
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=timeout)
        error = proc.stderr.strip().splitlines()[-1] if proc.returncode else ""
    except subprocess.TimeoutExpired:
        error = f"timed out after {timeout:.0f} s"
    if error:
        return {"preset": preset, "seed": seed, "control": control, "error": error,
                "command": " ".join(["python", "-m", *cmd[2:]])}
    summary = json.loads((out / "summary.json").read_text())
    history = History.from_dict(load_file(out / "checkpoint.pt")["history"])
    return {
        "preset": preset,
        "seed": seed,
        "control": control,
        "steps": summary["steps"],
        "wall_s": summary["train_seconds"],
        "device": summary["device"],
        "fast_path": ",".join(k for k, on in summary.get("fast_path", {}).items() if on) or "none",
        "accuracy": round(summary["test_accuracy"], 4),
        "nmi": round(summary["nmi"], 4),
        "li_500": round(history.li_at(500), 3),
        "li_1000": round(history.li_at(1000), 3),
        "li_end": round(history.li_cat[-1], 3),
        "acc_curve": list(zip(history.eval_step, [round(a, 4) for a in history.accuracy], strict=True)),
        "command": " ".join(["python", "-m", *cmd[2:]]),
    }


def table(rows: list[dict]) -> str:
    head = (
        "| run | seed | steps | wall (s) | device | fast path | test accuracy | NMI | L_I @500 | "
        "L_I @1000 | L_I end |"
    )

    lines = [head, "|" + "---|" * 11]
    for r in rows:
        name = "lambda = 0 control" if r["control"] else r["preset"]
        if "error" in r:
            lines.append(f"| {name} | {r['seed']} | failed: {r['error']} |" + " |" * 8)
            continue
        lines.append(
            f"| {name} | {r['seed']} | {r['steps']} | {r['wall_s']} | {r['device']} | {r['fast_path']} | "
            f"{r['accuracy']:.3f} | {r['nmi']:.3f} | {r['li_500']:.3f} | {r['li_1000']:.3f} | {r['li_end']:.3f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--preset", default="cpu", choices=["cpu", "paper"])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--control-seeds", type=int, nargs="*", default=[0], help="seeds of the lambda = 0 control")
    p.add_argument("--steps", type=int, default=None, help="override the preset's step count")
    p.add_argument("--out", type=Path, default=Path("runs/reproduce"), help="where each run's folder goes")
    p.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    p.add_argument("--jobs", type=int, default=1, help="runs at once (default 1: one after another)")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="TrainConfig override, every run")
    p.add_argument("--run-timeout", type=float, default=None, help="seconds before a run is stopped and reported")
    args = p.parse_args(argv)

    for run_dir in [args.out / f"{args.preset}-s{s}" for s in args.seeds] + [
        args.out / f"{args.preset}-lambda0-s{s}" for s in args.control_seeds
    ]:
        if (run_dir / "checkpoint.pt").exists():
            raise SystemExit(f"{run_dir} already holds a run; remove it or choose another --out")
    todo = [(s, False) for s in args.seeds] + [(s, True) for s in args.control_seeds]

    def one(job: tuple[int, bool]) -> dict:
        row = run(args.preset, job[0], args.steps, job[1], args.out, args.set, args.run_timeout)
        print(json.dumps(row), flush=True)
        return row

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        rows = list(pool.map(one, todo))

    machine = machine_summary()
    print(f"\n{args.preset} preset on {machine}, torch {torch.__version__}, {time.strftime('%Y-%m-%d')}\n")
    print(table(rows))
    accs = [r["accuracy"] for r in rows if not r["control"] and "error" not in r]
    if accs:
        print(f"\nmedian test accuracy over {len(accs)} seeds: {statistics.median(accs):.3f} "
              f"(min {min(accs):.3f}, max {max(accs):.3f})")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
