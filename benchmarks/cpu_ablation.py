"""What we tried for the `cpu` preset: a fixed step budget, one change at a time, the seeds you ask for.

    OMP_NUM_THREADS=1 python benchmarks/cpu_ablation.py --seeds 0 --steps 3000 --only 0 2

Prints the test accuracy of c1 (Hungarian matching) every 500 steps for each variant, as a Markdown table.
Each variant is a set of overrides of the current `cpu` preset, so older rows (run against an older preset) are
spelled out in full and rerun exactly: with the same seed, steps and thread count a run is deterministic.
Run it alone on the machine, or with OMP_NUM_THREADS=1 for each of several concurrent copies (`--only`).

    python benchmarks/cpu_ablation.py --speed --only 0 14 15 16 17

measures speed instead (alone on the machine, please): steps/s and images/s over 150 steps after 20 warm-up
steps, and the time of the first step (which includes compilation for `torch.compile`).
"""

from __future__ import annotations

import argparse
import time

from infogan_edu.config import get_preset
from infogan_edu.data import load_mnist
from infogan_edu.train import Trainer

# the `cpu` preset before tuning round 2: batch 64, the paper's lr_D, no channels-last
ROUND1 = {"batch_size": 64, "lr_d": 2e-4, "channels_last": False}

VARIANTS: dict[str, dict] = {
    "none (the cpu preset)": {},
    # round 2 (batch 128, channels-last)
    "batch 128, paper learning rates (lr_D 2e-4, lr_G 1e-3)": {"lr_d": 2e-4},  # where round 2 started
    "batch 256, lr_D 2e-4": {"batch_size": 256, "lr_d": 2e-4},
    "lr_D 2e-4, lr_G 2e-3": {"lr_d": 2e-4, "lr_g": 2e-3},
    "lr_D 2e-4, lr_G 5e-4": {"lr_d": 2e-4, "lr_g": 5e-4},
    "lr_D 6e-4": {"lr_d": 6e-4},
    "lr_D 8e-4": {"lr_d": 8e-4},
    "16 noise dimensions instead of 62": {"noise": 16},
    # round 1 (batch 64, lr_D 2e-4, no channels-last)
    "round 1 preset: batch 64, lr_D 2e-4": ROUND1,
    "round 1 + paper-like: Unif(-1, 1) noise, Q head in D's Adam, lambda_cont = 1": {
        **ROUND1,
        "noise_prior": "uniform",
        "q_optimizer": "d",
        "lambda_cont": 1.0,
    },
    "round 1 + lambda_cat = 2": {**ROUND1, "lambda_cat": 2.0},
    "round 1 + learning rates doubled (lr_D 4e-4, lr_G 2e-3)": {**ROUND1, "lr_d": 4e-4, "lr_g": 2e-3},
    "round 1 + noise scaled by 0.3": {**ROUND1, "noise_scale": 0.3},
    "round 1 + 16 noise dimensions and lambda_cat = 2": {**ROUND1, "noise": 16, "lambda_cat": 2.0},
    # speed only (--speed): what the CPU can do per second
    "batch 128 without channels-last": {"channels_last": False},
    "batch 64 without channels-last": {"batch_size": 64, "channels_last": False},
    "fused Adam": {"fused_adam": True},
    "torch.compile (mode 'default')": {"compile": True, "compile_mode": "default"},
    # round 3 (the round-2 preset; 3,000 steps)
    "Q's head in D's Adam (as in the original code)": {"q_optimizer": "d"},
    "Q's head in D's Adam, Adam beta2 = 0.99": {"q_optimizer": "d", "betas": (0.5, 0.99)},
    "Q's head in D's Adam, lambda_cont = 1": {"q_optimizer": "d", "lambda_cont": 1.0},
    "Q's head in D's Adam, width 0.125": {"q_optimizer": "d", "width": 0.125},
    "lambda_cat = 0.5": {"lambda_cat": 0.5},
    "joint real+fake BatchNorm statistics in D": {"d_batchnorm": "joint"},
    "DCGAN initialisation (N(0, 0.02) weights)": {"init": "dcgan"},
    "Q's head in D's Adam, sigma = 1 and lambda_cont = 1 (the original code's continuous codes)": {
        "q_optimizer": "d",
        "fixed_std": True,
        "lambda_cont": 1.0,
    },
    "Q's head in D's Adam, DCGAN initialisation": {"q_optimizer": "d", "init": "dcgan"},
    # round 4 (the same preset; 3,000 steps, or as many steps of batch 64 as fit in the same time)
    "L_I does not train D's shared trunk (info_trains_trunk=False)": {"info_trains_trunk": False},
    "batch 64 (lr_D 4e-4, channels-last)": {"batch_size": 64},
    # round 5: the continuous codes as in the `paper` preset since the H200 runs (README)
    "sigma = 1 for the continuous codes and lambda_cont = 1": {"fixed_std": True, "lambda_cont": 1.0},
    # round 6: an aid outside the paper, aimed at the failure seen in bad seeds (two categories on one digit)
    "minibatch discrimination in D, 16 kernels (d_minibatch=16)": {"d_minibatch": 16},
    # round 7: lambda grows over the first 1,000 steps, so that G draws digits before c1 partitions them
    "lambda warm-up over the first 1,000 steps (lambda_warmup=1000)": {"lambda_warmup": 1000},
    # round 8: the other direction, a stronger pull towards a partition from the start
    "lambda_cat = 2": {"lambda_cat": 2.0},
}


def speed(x_train: object, only: list[int] | None) -> None:
    """Steps/s of each variant's training step (no evaluation), as a Markdown table."""
    import torch

    print(f"| variant | batch | first step (s) | steps/s | images/s |  ({torch.get_num_threads()} threads)")
    print("|---|---|---|---|---|")
    for i, (name, changes) in enumerate(VARIANTS.items()):
        if only is not None and i not in only:
            continue
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
        print(f"| {i}: {name} | {batch} | {first:.1f} | {1 / per_step:.1f} | {batch / per_step:.0f} |", flush=True)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--only", type=int, nargs="*", default=None, help="indices of the variants to run")
    p.add_argument("--speed", action="store_true", help="measure steps/s instead of accuracy")
    args = p.parse_args(argv)
    x_train, _ = load_mnist("train")
    if args.speed:
        speed(x_train, args.only)
        return
    x_test, y_test = load_mnist("test")
    print("| variant | seed | test accuracy every 500 steps | L_I end |")
    print("|---|---|---|---|")
    for i, (name, changes) in enumerate(VARIANTS.items()):
        if args.only is not None and i not in args.only:
            continue
        for seed in args.seeds:
            cfg = get_preset("cpu", seed=seed, steps=args.steps, eval_every=500, **changes)
            h = Trainer(cfg, x_train, x_test, y_test, progress=False).train()
            accs = ", ".join(f"{a:.3f}" for a in h.accuracy)
            print(f"| {i}: {name} | {seed} | {accs} | {h.li_cat[-1]:.3f} |", flush=True)


if __name__ == "__main__":
    main()
