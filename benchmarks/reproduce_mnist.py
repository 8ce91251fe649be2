"""Reproduce the paper's MNIST numbers: test accuracy of c1, NMI, and L_I over training, for several seeds,
plus the lambda = 0 control (Q is trained, G gets no L_I gradient: the paper's "GAN" curve in Figure 1).

    python benchmarks/reproduce_mnist.py --preset cpu --seeds 0 1 2 --control-seeds 0
    python benchmarks/reproduce_mnist.py --preset paper --seeds 0 1 2 3 4 --control-seeds 0   # on a GPU

Prints a Markdown table (every seed, not only the best) and the median accuracy. Targets (issue 4):
`cpu` >= 90% median over 3 seeds within 5 minutes of training each on 2 CPU cores; `paper` >= 95%
median over 5 seeds, L_I >= 2.2 nats by step 1,000, and the control below 0.5 nats.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from infogan_edu.config import get_preset, machine_summary
from infogan_edu.data import load_mnist
from infogan_edu.train import Trainer


def run(preset: str, seed: int, steps: int | None, control: bool, data, time_limit: float | None) -> dict:
    x_train, x_test, y_test = data
    overrides: dict = {"seed": seed}
    if steps:
        overrides["steps"] = steps
    if control:
        overrides["info_to_generator"] = False
    cfg = get_preset(preset, **overrides)
    trainer = Trainer(cfg, x_train, x_test, y_test, progress=False)
    t0 = time.perf_counter()
    if time_limit is None:
        trainer.train()
    else:  # train in chunks until the step budget or the wall-clock budget is spent
        while trainer.step < cfg.steps and time.perf_counter() - t0 < time_limit:
            trainer.train(steps=min(cfg.eval_every, cfg.steps - trainer.step))
    wall = time.perf_counter() - t0
    if not trainer.history.eval_step or trainer.history.eval_step[-1] != trainer.step:
        trainer.evaluate_now()
    h = trainer.history
    return {
        "preset": preset,
        "seed": seed,
        "control": control,
        "steps": trainer.step,
        "wall_s": round(wall, 1),
        "device": str(trainer.device),
        "accuracy": round(h.accuracy[-1], 4),
        "nmi": round(h.nmi[-1], 4),
        "li_500": round(h.li_at(500), 3),
        "li_1000": round(h.li_at(1000), 3),
        "li_end": round(h.li_cat[-1], 3),
        "acc_curve": list(zip(h.eval_step, [round(a, 4) for a in h.accuracy], strict=True)),
    }


def table(rows: list[dict]) -> str:
    head = "| run | seed | steps | wall (s) | device | test accuracy | NMI | L_I @500 | L_I @1000 | L_I end |"
    lines = [head, "|" + "---|" * 10]
    for r in rows:
        name = "lambda = 0 control" if r["control"] else r["preset"]
        lines.append(
            f"| {name} | {r['seed']} | {r['steps']} | {r['wall_s']} | {r['device']} | {r['accuracy']:.3f} | "
            f"{r['nmi']:.3f} | {r['li_500']:.3f} | {r['li_1000']:.3f} | {r['li_end']:.3f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--preset", default="cpu", choices=["cpu", "paper"])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--control-seeds", type=int, nargs="*", default=[0], help="seeds of the lambda = 0 control")
    p.add_argument("--steps", type=int, default=None, help="override the preset's step count")
    p.add_argument("--time-limit", type=float, default=None, help="stop each run after this many seconds")
    p.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    args = p.parse_args(argv)

    data = (load_mnist("train")[0], *load_mnist("test"))
    rows = []
    for seed in args.seeds:
        rows.append(run(args.preset, seed, args.steps, False, data, args.time_limit))
        print(json.dumps(rows[-1]), flush=True)
    for seed in args.control_seeds:
        rows.append(run(args.preset, seed, args.steps, True, data, args.time_limit))
        print(json.dumps(rows[-1]), flush=True)

    machine = machine_summary()
    print(f"\n{args.preset} preset on {machine}, torch {torch.__version__}, {time.strftime('%Y-%m-%d')}\n")
    print(table(rows))
    accs = [r["accuracy"] for r in rows if not r["control"]]
    if accs:
        print(f"\nmedian test accuracy over {len(accs)} seeds: {statistics.median(accs):.3f} "
              f"(min {min(accs):.3f}, max {max(accs):.3f})")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
