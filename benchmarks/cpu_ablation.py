"""What we tried for the `cpu` preset: one seed, a fixed step budget, one change at a time.

    python benchmarks/cpu_ablation.py --seed 0 --steps 2500

Prints the test accuracy of c1 (Hungarian matching) every 500 steps for each variant, as a Markdown table.
Run it alone on the machine, or with OMP_NUM_THREADS=1 for each of several concurrent copies (`--only`).
"""

from __future__ import annotations

import argparse

from infogan_edu.config import get_preset
from infogan_edu.data import load_mnist
from infogan_edu.train import Trainer

VARIANTS: dict[str, dict] = {
    "none (the cpu preset)": {},
    "paper-like: Unif(-1, 1) noise, Q head in D's Adam, lambda_cont = 1": {
        "noise_prior": "uniform",
        "q_optimizer": "d",
        "lambda_cont": 1.0,
    },
    "lambda_cat = 2": {"lambda_cat": 2.0},
    "learning rates doubled (lr_D 4e-4, lr_G 2e-3)": {"lr_d": 4e-4, "lr_g": 2e-3},
    "noise scaled by 0.3": {"noise_scale": 0.3},
    "16 noise dimensions and lambda_cat = 2": {"noise": 16, "lambda_cat": 2.0},
}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=2500)
    p.add_argument("--only", type=int, nargs="*", default=None, help="indices of the variants to run")
    args = p.parse_args(argv)
    x_train, _ = load_mnist("train")
    x_test, y_test = load_mnist("test")
    print("| change from the cpu preset | test accuracy every 500 steps | L_I end |")
    print("|---|---|---|")
    for i, (name, changes) in enumerate(VARIANTS.items()):
        if args.only is not None and i not in args.only:
            continue
        cfg = get_preset("cpu", seed=args.seed, steps=args.steps, eval_every=500, **changes)
        h = Trainer(cfg, x_train, x_test, y_test, progress=False).train()
        print(f"| {name} | {', '.join(f'{a:.3f}' for a in h.accuracy)} | {h.li_cat[-1]:.3f} |", flush=True)


if __name__ == "__main__":
    main()
