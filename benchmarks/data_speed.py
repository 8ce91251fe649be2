"""How fast is the data layer?  Prints one table:

(a) rendering 10,000 Shapes images;
(b) the cost of one ``TensorBatcher`` batch next to one training step of a small conv network
    (the size of an MNIST GAN discriminator) at batch 128 on 28x28 images;
(c) the same batches through a ``torch.utils.data.DataLoader`` over a per-sample ``Dataset``,
    the usual tutorial baseline.

MNIST comes from ``$INFOGAN_EDU_DATA`` when that variable is set, else random uint8 images of the
same shape are used (the timings do not depend on pixel values).

Usage::

    .venv/bin/python benchmarks/data_speed.py           # full run, about a minute on 2 CPU cores
    .venv/bin/python benchmarks/data_speed.py --quick   # a few seconds, for CI
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import markdown_table, write_json  # noqa: E402

from infogan_edu.data import TensorBatcher, load_mnist, render_shapes  # noqa: E402
from infogan_edu.data.shapes import N_SHAPES  # noqa: E402


def median_seconds(fn: Callable[[], object], repeats: int, warmup: int = 2) -> float:
    """Median wall time of ``fn()`` over ``repeats`` calls, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def mnist_images(n_synthetic: int) -> tuple[np.ndarray, np.ndarray, str]:
    """MNIST train images from $INFOGAN_EDU_DATA, or random stand-ins of the same shape."""
    if os.environ.get("INFOGAN_EDU_DATA"):
        images, labels = load_mnist("train", download=False)
        return images, labels, "MNIST train from $INFOGAN_EDU_DATA"
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n_synthetic, 28, 28), dtype=np.uint8)  # (N, 28, 28)
    labels = rng.integers(0, 10, n_synthetic, dtype=np.uint8)
    return images, labels, f"{n_synthetic:,} random uint8 images (INFOGAN_EDU_DATA not set)"


def small_conv_net() -> nn.Module:
    """A discriminator-sized network: two strided convolutions and a linear layer."""
    return nn.Sequential(
        nn.Conv2d(1, 64, 4, stride=2, padding=1),  # (B, 64, 14, 14)
        nn.LeakyReLU(0.1),
        nn.Conv2d(64, 128, 4, stride=2, padding=1),  # (B, 128, 7, 7)
        nn.LeakyReLU(0.1),
        nn.Flatten(),  # (B, 6272)
        nn.Linear(128 * 7 * 7, 1),  # (B, 1)
    )


class PerSampleDataset(torch.utils.data.Dataset):
    """The usual tutorial dataset: one image converted to float per ``__getitem__`` call."""

    def __init__(self, images: np.ndarray, labels: np.ndarray) -> None:
        self.images, self.labels = images, labels

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        x = torch.from_numpy(self.images[i]).float().div(127.5).sub(1).unsqueeze(0)  # (1, 28, 28)
        return x, int(self.labels[i])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and images (for CI)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--json", type=Path, default=None, help="also write the raw timings here, with provenance")
    args = parser.parse_args(argv)
    quick, b = args.quick, args.batch_size
    n_shapes = 2_000 if quick else 10_000
    repeats = 20 if quick else 200
    step_repeats = 5 if quick else 30

    rows: list[tuple[str, str, str]] = []

    # (a) Shapes rendering.
    indices = torch.randint(N_SHAPES, (n_shapes,), generator=torch.Generator().manual_seed(0))
    start = time.perf_counter()
    render_shapes(indices)
    shapes_s = time.perf_counter() - start
    per_10k = shapes_s * 10_000 / n_shapes
    note = "budget 5 s" + ("" if n_shapes == 10_000 else f" (timed {n_shapes:,}, scaled to 10,000)")
    rows.append(("(a) render 10,000 Shapes images", f"{per_10k:8.2f} s", note))

    # (b) TensorBatcher vs a training step.
    images, labels, source = mnist_images(10_000 if quick else 60_000)
    batcher = TensorBatcher(images, labels, batch_size=b, seed=0)
    batch_s = median_seconds(batcher.next, repeats)

    net = small_conv_net()
    optimizer = torch.optim.Adam(net.parameters(), lr=2e-4)
    x_fixed, _ = batcher.next()
    target = torch.ones(b, 1)

    def train_step() -> None:
        optimizer.zero_grad(set_to_none=True)
        loss = nn.functional.binary_cross_entropy_with_logits(net(x_fixed), target)
        loss.backward()
        optimizer.step()

    step_s = median_seconds(train_step, step_repeats)
    share = 100 * batch_s / step_s
    rows.append((f"(b) TensorBatcher.next(), batch {b}", f"{batch_s * 1e3:8.3f} ms", f"data: {source}"))
    rows.append((f"    training step, batch {b}", f"{step_s * 1e3:8.3f} ms", "2 conv + linear, fwd+bwd+Adam"))
    verdict = "within" if share < 5 else "over"
    rows.append(("    batch time / step time", f"{share:8.2f} %", f"budget 5%: {verdict}"))

    # (c) DataLoader baseline over a per-sample Dataset.
    loader = torch.utils.data.DataLoader(
        PerSampleDataset(images, labels), batch_size=b, shuffle=True, num_workers=0, drop_last=True
    )
    batches = iter(loader)

    def next_loader_batch() -> None:
        nonlocal batches
        try:
            next(batches)
        except StopIteration:
            batches = iter(loader)
            next(batches)

    loader_s = median_seconds(next_loader_batch, max(5, repeats // 10))
    speedup = f"{loader_s / batch_s:.0f}x the TensorBatcher time"
    rows.append((f"(c) DataLoader batch {b} (per-sample)", f"{loader_s * 1e3:8.3f} ms", speedup))

    print(f"infogan-edu data benchmark ({'quick' if quick else 'full'}; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads; load average {', '.join(f'{x:.1f}' for x in os.getloadavg())})\n")
    print(markdown_table([(what, value.strip(), note) for what, value, note in rows], ["what", "time", "note"]))
    if args.json is not None:
        raw = {"quick": quick, "batch_size": b, "threads": torch.get_num_threads(), "load_average": os.getloadavg(),
               "data": source, "shapes_images": n_shapes, "shapes_seconds_per_10k": per_10k,
               "batcher_seconds": batch_s, "train_step_seconds": step_s, "batch_share_percent": share,
               "dataloader_seconds": loader_s}
        write_json(args.json, raw, "benchmarks/data_speed.py", argv)

if __name__ == "__main__":
    main()
