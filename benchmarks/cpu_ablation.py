"""What we tried for the `cpu` preset: a fixed step budget, one change at a time, the seeds you ask for.

    OMP_NUM_THREADS=1 python benchmarks/cpu_ablation.py --seeds 0 --steps 3000 --only preset lr_d-2e-4

Prints the test accuracy of c1 (Hungarian matching) every 500 steps for each variant, as a Markdown table.
Each variant has a stable name and is a set of overrides of the current `cpu` preset, so older rows (run against an
older preset) are spelled out in full and rerun exactly: with the same seed, steps and thread count a run is
deterministic. Run it alone on the machine, or with OMP_NUM_THREADS=1 for each of several concurrent copies
(`--only`). Results that cite variant *numbers* (`--only 30`) count positions in VARIANTS at commit d37abd5 and rerun
there; the variants of tuning aids since removed from the library are listed, with their commands, in
benchmarks/results/cpu-tuning-retired.md.

    python benchmarks/cpu_ablation.py --speed --only preset no-channels-last batch-64-no-channels-last fused-adam

measures speed instead (alone on the machine, please): steps/s and images/s over 150 steps after 20 warm-up
steps, and the time of the first step (which includes compilation for `torch.compile`).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import markdown_table, write_json  # noqa: E402

from infogan_edu.config import get_preset  # noqa: E402
from infogan_edu.data import load_mnist  # noqa: E402
from infogan_edu.train import Trainer  # noqa: E402

# the `cpu` preset before tuning round 2: batch 64, the paper's lr_D, no channels-last
ROUND1 = {"batch_size": 64, "lr_d": 2e-4, "channels_last": False}

VARIANTS: dict[str, dict] = {
    "preset": {},  # none: the cpu preset
    # round 2 (batch 128, channels-last)
    "lr_d-2e-4": {"lr_d": 2e-4},  # batch 128 with the paper's learning rates: where round 2 started
    "batch-256-lr_d-2e-4": {"batch_size": 256, "lr_d": 2e-4},
    "lr_d-2e-4-lr_g-2e-3": {"lr_d": 2e-4, "lr_g": 2e-3},
    "lr_d-2e-4-lr_g-5e-4": {"lr_d": 2e-4, "lr_g": 5e-4},
    "lr_d-6e-4": {"lr_d": 6e-4},
    "lr_d-8e-4": {"lr_d": 8e-4},
    "noise-16": {"noise": 16},  # 16 noise dimensions instead of 62
    # round 1 (batch 64, lr_D 2e-4, no channels-last)
    "round1": ROUND1,  # the round-1 preset
    "round1-paper-like": {  # Unif(-1, 1) noise, Q's head in D's Adam, lambda_cont = 1
        **ROUND1,
        "noise_prior": "uniform",
        "q_optimizer": "d",
        "lambda_cont": 1.0,
    },
    "round1-lambda_cat-2": {**ROUND1, "lambda_cat": 2.0},
    "round1-lr-doubled": {**ROUND1, "lr_d": 4e-4, "lr_g": 2e-3},
    "round1-noise-scale-0.3": {**ROUND1, "noise_scale": 0.3},
    "round1-noise-16-lambda_cat-2": {**ROUND1, "noise": 16, "lambda_cat": 2.0},
    # speed only (--speed): what the CPU can do per second
    "no-channels-last": {"channels_last": False},  # batch 128
    "batch-64-no-channels-last": {"batch_size": 64, "channels_last": False},
    "fused-adam": {"fused_adam": True},
    "compile-default": {"compile": True, "compile_mode": "default"},  # torch.compile, mode "default"
    # round 3 (the round-2 preset; 3,000 steps)
    "q-head-in-d": {"q_optimizer": "d"},  # Q's head in D's Adam, as in the original code
    "q-head-in-d-beta2-0.99": {"q_optimizer": "d", "betas": (0.5, 0.99)},
    "q-head-in-d-lambda_cont-1": {"q_optimizer": "d", "lambda_cont": 1.0},
    "q-head-in-d-width-0.125": {"q_optimizer": "d", "width": 0.125},
    "lambda_cat-0.5": {"lambda_cat": 0.5},
    "q-head-in-d-fixed-std-lambda_cont-1": {  # the original code's continuous codes: sigma = 1, lambda_cont = 1
        "q_optimizer": "d",
        "fixed_std": True,
        "lambda_cont": 1.0,
    },
    # round 4 (the same preset; 3,000 steps, or as many steps of batch 64 as fit in the same time)
    "trunk-without-l_i": {"info_trains_trunk": False},  # L_I does not train D's shared trunk
    "batch-64": {"batch_size": 64},  # lr_D 4e-4, channels-last
    # round 5: the continuous codes as in the `paper` preset since the H200 runs
    "fixed-std-lambda_cont-1": {"fixed_std": True, "lambda_cont": 1.0},
    # round 8: a stronger pull towards a partition from the start
    "lambda_cat-2": {"lambda_cat": 2.0},
}


def selected(only: list[str] | None) -> dict[str, dict]:
    """The variants named in `only` (all when None), in the order given; an unknown name is one clear error."""
    if only is None:
        return VARIANTS
    unknown = [name for name in only if name not in VARIANTS]
    if unknown:
        raise SystemExit(f"unknown variant(s) {', '.join(unknown)}; choose from: {', '.join(VARIANTS)}")
    return {name: VARIANTS[name] for name in only}


def speed(x_train: object, variants: dict[str, dict]) -> None:
    """Steps/s of each variant's training step (no evaluation), as a Markdown table."""
    import torch

    print(f"({torch.get_num_threads()} threads)\n", flush=True)
    rows = []
    for name, changes in variants.items():
        trainer = Trainer(get_preset("cpu", **changes), x_train, progress=False)
        t0 = time.perf_counter()
        trainer.train_step()
        first = time.perf_counter() - t0
        for _ in range(19):
            trainer.train_step()
        t0 = time.perf_counter()
        for _ in range(150):
            trainer.train_step()
        per_step = (time.perf_counter() - t0) / 150
        batch = trainer.config.batch_size
        rows.append([name, batch, f"{first:.1f}", f"{1 / per_step:.1f}", f"{batch / per_step:.0f}"])
        print(f"{name}: " + ", ".join(map(str, rows[-1][1:])), file=sys.stderr, flush=True)  # the table: at the end
    print(markdown_table(rows, ["variant", "batch", "first step (s)", "steps/s", "images/s"]))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--only", nargs="*", default=None, metavar="NAME", help="names of the variants to run (default all)")
    p.add_argument("--speed", action="store_true", help="measure steps/s instead of accuracy")
    p.add_argument("--json", type=Path, default=None, help="also write the raw numbers here, with their provenance")
    args = p.parse_args(argv)
    variants = selected(args.only)  # before the data: a wrong name fails at once
    x_train, _ = load_mnist("train")
    if args.speed:
        speed(x_train, variants)
        return
    x_test, y_test = load_mnist("test")
    rows, runs = [], []
    for name, changes in variants.items():
        for seed in args.seeds:
            cfg = get_preset("cpu", seed=seed, steps=args.steps, eval_every=500, **changes)
            h = Trainer(cfg, x_train, x_test, y_test, progress=False).train()
            rows.append([name, seed, ", ".join(f"{a:.3f}" for a in h.accuracy), f"{h.li_cat[-1]:.3f}"])
            runs.append(
                {
                    "variant": name,
                    "seed": seed,
                    "overrides": changes,
                    "steps": args.steps,
                    "eval_steps": list(h.eval_step),
                    "test_accuracy": list(h.accuracy),
                    "nmi": list(h.nmi),
                    "li_cat_final": h.li_cat[-1],
                }
            )
            print(f"{name}, seed {seed}: {rows[-1][2]}; {rows[-1][3]}", file=sys.stderr, flush=True)  # progress
            if args.json is not None:  # after every run: an interrupted study keeps what it finished
                write_json(args.json, {"runs": runs}, "benchmarks/cpu_ablation.py", argv)
    print(markdown_table(rows, ["variant", "seed", "test accuracy every 500 steps", "L_I end"]))


if __name__ == "__main__":
    main()
