"""Training speed of K seeds at once (`MultiSeedTrainer`) against the plain `Trainer`, side by side in one run.

    python benchmarks/seeds_speed.py                 # CPU: the cpu preset (quarter width), K = 1, 2, 4, 8, 16
    python benchmarks/seeds_speed.py --k 1 2 4 8 16 32 64   # GPU: the paper preset (full width)
    python benchmarks/seeds_speed.py --quick         # a few steps of a tiny model: checks that the script runs

The first row is the plain `Trainer` with its fast path (channels-last; bf16 and fused Adam only when asked for); the
others are one `MultiSeedTrainer` each. Each row trains `--warmup` steps untimed, then `--steps` timed steps, on
random uint8 images of MNIST's shape (speed does not depend on the pixels). images/s counts every seed's images:
K x batch x steps / seconds. Run it alone on the machine: anything else running changes the numbers.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import markdown_table  # noqa: E402

from infogan_edu.config import machine_summary, select_preset  # noqa: E402
from infogan_edu.multiseed import MultiSeedTrainer  # noqa: E402
from infogan_edu.train import Trainer  # noqa: E402


def _time(step, steps: int, warmup: int, device: torch.device) -> float:
    """Seconds per step of `step()` after `warmup` untimed calls."""
    for _ in range(warmup):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - t0) / steps


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--k", type=int, nargs="+", default=[1, 2, 4, 8, 16], help="numbers of seeds trained at once")
    p.add_argument("--steps", type=int, default=20, help="timed steps per row")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps per row")
    p.add_argument("--quick", action="store_true", help="K = 1, 2 for 2 steps of a 1/8-width model (for CI)")
    args = p.parse_args(argv)
    config = select_preset()
    if args.quick:
        config = config.replace(width=0.125, batch_size=16)
        args.k, args.steps, args.warmup = [1, 2], 2, 1
    images = np.random.default_rng(0).integers(0, 256, size=(4096, 28, 28), dtype=np.uint8)
    rows = []
    plain = Trainer(config, images, progress=False)
    sec = _time(plain.train_step, args.steps, args.warmup, plain.device)
    fast = ",".join(k for k, on in plain.fast.items() if on) or "none"
    rows.append(("Trainer (one seed)", 1, sec, fast))
    del plain
    for k in args.k:
        mst = MultiSeedTrainer(config, list(range(k)), images, progress=False)
        sec = _time(mst.train_step, args.steps, args.warmup, mst.device)
        rows.append((f"MultiSeedTrainer K={k}", k, sec, "vmap"))
        del mst
    print(
        f"preset {config.preset}, width {config.width}, batch {config.batch_size}; {machine_summary()}; "
        f"torch {torch.__version__}; {time.strftime('%Y-%m-%d')}\n"
    )
    base = config.batch_size / rows[0][2]
    table = []
    for name, k, sec, path in rows:
        ips = k * config.batch_size / sec
        table.append([name, k, f"{sec * 1e3:.1f}", f"{sec * 1e3 / k:.1f}", f"{ips:.0f}", f"{ips / base:.2f}x", path])
    headers = ["trainer", "seeds", "ms/step", "ms/step per seed", "images/s", "vs Trainer", "path"]
    print(markdown_table(table, headers))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
