"""The paper's colour figures: train the `svhn` or `celeba` preset, then draw what each code does.

    python benchmarks/colour_figures.py --preset svhn --out runs/gpu/svhn      # Figure 4 (SVHN)
    python benchmarks/colour_figures.py --preset celeba --out runs/gpu/celeba  # Figure 5 (CelebA)

(benchmarks/gpu/colour_figures.sh wraps this for a GPU session.) The run goes to RUN/checkpoint.pt (--run,
default OUT/run); then:

- OUT/<preset>-c<i>.png for every code c_i, the layout of the paper's Figures 4 and 5: each row one draw of the
  noise z and of the other codes (continuous codes at 0), the columns c_i = 0 ... K-1 for a categorical code or
  -2 ... 2 for a continuous one (the paper's sweeps go to twice the training range [-1, 1]);
- OUT/<preset>-samples.png: 10 x 10 samples from the prior;
- OUT/<preset>.json: command, commit, machine and date, the config, the L_I and loss curves, SVHN's test accuracy
  of c1 against the digit (the paper does not claim that c1 follows the digit on SVHN; it is a label-based check
  of what c1 caught), the wall time and the files written.

The data: SVHN's train_32x32.mat and test_32x32.mat, or CelebA's img_align_celeba.zip, list_attr_celeba.txt and
list_eval_partition.txt (or CelebA's decoded cache), found as `infogan_edu.data.load_dataset` finds them (root,
$INFOGAN_EDU_DATA, the user cache). `--synthetic N` trains on N random colour images instead, for a dry run
without the data: `--synthetic 256 --steps 4 --set width=0.0625 --set batch_size=16` takes seconds on a CPU.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import write_json  # noqa: E402

from infogan_edu.cli import parse_overrides  # noqa: E402
from infogan_edu.config import get_preset  # noqa: E402
from infogan_edu.data import load_dataset  # noqa: E402
from infogan_edu.latent import Latent, LatentSpec  # noqa: E402
from infogan_edu.models import generate  # noqa: E402
from infogan_edu.plots import grid_png  # noqa: E402
from infogan_edu.train import Trainer  # noqa: E402

ROWS = 10  # noise draws per figure
CONTINUOUS_SWEEP = [-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0]
SEED = 123  # of the figures' noise draws


Data = tuple[np.ndarray, np.ndarray | None, np.ndarray | None]


def load(preset: str, synthetic: int | None, root: Path | None) -> Data:
    """Training images (N, 3, 32, 32), and SVHN's test images and digits (None for CelebA, which has no classes)."""
    if synthetic is not None:
        rng = np.random.default_rng(0)
        x = rng.integers(0, 256, (synthetic, 3, 32, 32), dtype=np.uint8)
        if preset == "svhn":
            return x, x[: synthetic // 4], rng.integers(0, 10, synthetic // 4).astype(np.uint8)
        return x, None, None
    if preset == "svhn":
        x, _ = load_dataset("svhn", "train", root=root)
        x_test, y_test = load_dataset("svhn", "test", root=root)
        return x, x_test, y_test
    x, _ = load_dataset("celeba", "all", root=root)  # InfoGAN trains on every face; the attributes are not used
    return x, None, None


def code_figure(model: torch.nn.Module, spec: LatentSpec, code: str) -> bytes:
    """PNG: one row per noise draw, one column per value of `code` (the paper's Figures 4 and 5)."""
    c = spec.code(code)
    values = list(range(c.size)) if c.kind == "categorical" else CONTINUOUS_SWEEP
    draws = spec.sample(ROWS, torch.Generator().manual_seed(SEED))
    rows = []
    for r in range(ROWS):
        base = Latent(draws.z[r : r + 1], draws.cat[r : r + 1], torch.zeros_like(draws.cont[r : r + 1]))
        rows.append(spec.traversal(code, values, base))  # (len(values), ...)
    latent = Latent(*(torch.cat(parts) for parts in zip(*rows, strict=True)))  # (ROWS * len(values), ...)
    return grid_png(generate(model, spec, latent), nrow=len(values), scale=2)  # (ROWS * len(values), 3, 32, 32)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--preset", choices=["svhn", "celeba"], required=True)
    p.add_argument("--out", type=Path, required=True, help="folder for the PNGs and <preset>.json")
    p.add_argument("--run", type=Path, default=None, help="folder for the checkpoint (default: OUT/run)")
    p.add_argument("--steps", type=int, default=None, help="training steps (default: the preset's)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="override a TrainConfig field")
    p.add_argument("--data-root", type=Path, default=None, help="a folder holding svhn/ or celeba/ (default: search)")
    p.add_argument("--synthetic", type=int, default=None, metavar="N", help="N random images instead of the data")
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)

    overrides = {**parse_overrides(args.set), "seed": args.seed}
    if args.steps is not None:
        overrides["steps"] = args.steps
    config = get_preset(args.preset, **overrides)
    started = time.perf_counter()
    x, x_test, y_test = load(args.preset, args.synthetic, args.data_root)
    load_s = time.perf_counter() - started
    print(f"{args.preset}: {len(x):,} training images {x.shape[1:]} loaded in {load_s:.1f} s", flush=True)
    run_dir = args.run if args.run is not None else args.out / "run"
    trainer = Trainer(config, x, x_test, y_test, out_dir=run_dir, progress=not args.no_progress)
    history = trainer.train()
    model, spec = trainer.model, trainer.spec
    files = []
    for code in spec.codes:
        path = args.out / f"{args.preset}-{code.name}.png"
        path.write_bytes(code_figure(model, spec, code.name))
        files.append(path.name)
    samples = generate(model, spec, spec.sample(ROWS * ROWS, torch.Generator().manual_seed(SEED)))
    (args.out / f"{args.preset}-samples.png").write_bytes(grid_png(samples, nrow=ROWS, scale=2))
    files.append(f"{args.preset}-samples.png")
    payload = {
        "preset": args.preset,
        "synthetic": args.synthetic,
        "config": config.to_dict(),
        "train_images": len(x),
        "load_s": round(load_s, 1),
        "train_s": round(trainer.train_seconds, 1),
        "history": history.to_dict(),
        "test_accuracy_c1": history.accuracy[-1] if history.accuracy else None,
        "files": files,
        "checkpoint": str(run_dir / "checkpoint.pt"),
    }
    write_json(args.out / f"{args.preset}.json", payload, "benchmarks/colour_figures.py", argv)
    last = f"L_I {history.li_cat[-1]:.3f} nats (H(c) = {spec.categorical_entropy():.3f})" if history.li_cat else ""
    accuracy = f", test accuracy of c1 {history.accuracy[-1]:.3f}" if history.accuracy else ""
    print(f"{config.steps} steps in {trainer.train_seconds:.0f} s; {last}{accuracy}; wrote {', '.join(files)}")


if __name__ == "__main__":
    main()
