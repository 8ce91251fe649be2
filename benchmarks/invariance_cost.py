"""What the invariance term costs per training step, measured side by side in one process.

    OMP_NUM_THREADS=1 python benchmarks/invariance_cost.py --blocks 8 --block-steps 25 \
        --json benchmarks/results/invariance-cost-cpu.json

Two trainers of the `cpu` preset, one plain and one with `lambda_invariance=1`, take turns: a block of steps for
one, then a block for the other, so that both see the same machine load. It prints the median milliseconds per
step of each, over the blocks, and their ratio; the JSON holds every block's time. Run it alone on the machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import markdown_table, write_json  # noqa: E402

from infogan_edu.config import get_preset  # noqa: E402
from infogan_edu.data import load_dataset  # noqa: E402
from infogan_edu.train import Trainer  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--blocks", type=int, default=8, help="blocks per trainer (the first one of each is a warm-up)")
    p.add_argument("--block-steps", type=int, default=25)
    p.add_argument("--set", dest="parts", default="shift,rotate,scale", help="invariance_parts of the second trainer")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    x_train, _ = load_dataset("mnist", "train")
    arms = {
        "plain": Trainer(get_preset("cpu", seed=0), x_train, progress=False),
        "invariance": Trainer(
            get_preset("cpu", seed=0, lambda_invariance=1.0, invariance_parts=tuple(args.parts.split(","))),
            x_train,
            progress=False,
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in arms}
    for _ in range(args.blocks):
        for name, trainer in arms.items():
            t0 = time.perf_counter()
            for _ in range(args.block_steps):
                trainer.train_step()
            times[name].append((time.perf_counter() - t0) / args.block_steps * 1000)
    ms = {name: statistics.median(t[1:]) for name, t in times.items()}  # the first block warms up
    ratio = ms["invariance"] / ms["plain"]
    print(markdown_table([(name, f"{v:.1f}") for name, v in ms.items()], ["arm", "ms per step (median of blocks)"]))
    print(f"\nratio invariance / plain: {ratio:.2f} ({torch.get_num_threads()} thread(s), parts {args.parts})")
    if args.json:
        payload = {"ms_per_step": ms, "ratio": ratio, "blocks_ms_per_step": times, "parts": args.parts}
        write_json(args.json, payload, "benchmarks/invariance_cost.py", argv)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
