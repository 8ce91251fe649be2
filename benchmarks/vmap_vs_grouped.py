"""K seeds' convolutions three ways: `vmap` over one convolution (what `MultiSeedTrainer` does), one grouped
convolution written by hand, and a Python loop of K convolutions. Forward and backward, per layer of the MNIST
discriminator and generator at the `cpu` preset's width (or `--width 1` for the paper's).

    python benchmarks/vmap_vs_grouped.py            # K = 8, batch 128, quarter width
    python benchmarks/vmap_vs_grouped.py --k 16 --width 1

Why it exists: seeds can be stacked either with `torch.func` over the existing `models` classes, or by writing the
networks again with grouped convolutions. `vmap`'s rule for a convolution whose weight is batched folds the seed
axis into the convolution's groups, so both should run the same kernel; this script measures whether they do,
and checks that the two give the same numbers. Run it alone on the machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.func import vmap

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import markdown_table  # noqa: E402

from infogan_edu.config import machine_summary  # noqa: E402

# (name, transposed, in channels, out channels, input side) at width 1: D's two convolutions, G's two
LAYERS = [
    ("D conv 1", False, 1, 64, 28),
    ("D conv 2", False, 64, 128, 14),
    ("G deconv 1", True, 128, 64, 7),
    ("G deconv 2", True, 64, 1, 14),
]


def _conv(x: torch.Tensor, w: torch.Tensor, transposed: bool, groups: int = 1) -> torch.Tensor:
    if transposed:
        return F.conv_transpose2d(x, w, stride=2, padding=1, groups=groups)
    return F.conv2d(x, w, stride=2, padding=1, groups=groups)


def _seconds(fn, reps: int) -> float:
    fn()  # warm-up
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t0) / reps


def _row(
    name: str, transposed: bool, c_in: int, c_out: int, side: int, k: int, b: int, reps: int, gen: torch.Generator
) -> list[str]:
    """One layer's table row (its cells): the three ways timed (forward and backward), and vmap against grouped."""
    x = torch.randn(k, b, c_in, side, side, generator=gen)  # (K, B, C_in, S, S)
    shape = (c_in, c_out, 4, 4) if transposed else (c_out, c_in, 4, 4)
    w = (torch.randn(k, *shape, generator=gen) * 0.1).requires_grad_()  # (K, *weight)

    def by_vmap() -> torch.Tensor:
        return vmap(lambda xi, wi: _conv(xi, wi, transposed))(x, w)  # (K, B, C_out, S', S')

    def by_groups() -> torch.Tensor:
        xg = x.transpose(0, 1).reshape(b, k * c_in, side, side)  # (B, K * C_in, S, S)
        wg = w.reshape(k * shape[0], *shape[1:])  # (K * shape[0], shape[1], 4, 4)
        y = _conv(xg, wg, transposed, groups=k)  # (B, K * C_out, S', S')
        return y.view(b, k, c_out, *y.shape[-2:]).transpose(0, 1)  # (K, B, C_out, S', S')

    def by_loop() -> torch.Tensor:
        return torch.stack([_conv(x[i], w[i], transposed) for i in range(k)])

    def fwd_bwd(fn) -> None:
        w.grad = None
        fn().square().mean().backward()

    diff = (by_vmap() - by_groups()).abs().max().item()
    ms = [_seconds(lambda f=f: fwd_bwd(f), reps) * 1e3 for f in (by_vmap, by_groups, by_loop)]
    return [name, f"{ms[0]:.2f}", f"{ms[1]:.2f}", f"{ms[2]:.2f}", f"{diff:.1e}"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--k", type=int, default=8, help="seeds")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--width", type=float, default=0.25)
    p.add_argument("--reps", type=int, default=10)
    args = p.parse_args(argv)
    k, b = args.k, args.batch
    gen = torch.Generator().manual_seed(0)
    print(
        f"K = {k}, batch {b}, width {args.width}; {machine_summary()}; torch {torch.__version__}; "
        f"{time.strftime('%Y-%m-%d')}\n"
    )
    rows = []
    for name, transposed, c_in, c_out, side in LAYERS:
        c_in = c_in if c_in == 1 else max(1, round(c_in * args.width))
        c_out = c_out if c_out == 1 else max(1, round(c_out * args.width))
        rows.append(_row(name, transposed, c_in, c_out, side, k, b, args.reps, gen))
    headers = ["layer", "vmap (ms)", "grouped (ms)", "loop of K (ms)", "max difference vmap vs grouped"]
    print(markdown_table(rows, headers))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
