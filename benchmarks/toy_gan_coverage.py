"""Lesson 01's toy GAN across seeds: how many of the ring's 8 modes the recipe covers.

    OMP_NUM_THREADS=1 python benchmarks/toy_gan_coverage.py --seeds 0-9 --json benchmarks/results/toy-gan.json

Trains `ToyGANConfig`'s defaults (lesson 01's recipe) once per seed and generator loss, and scores the last
snapshot's 2,000 samples with `mode_coverage` (a mode is covered when at least 10% of an even share of the samples
lie within 3 standard deviations of its centre). Prints one row per run and writes the raw numbers with their
provenance after every run, so an interrupted study keeps what it finished.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import markdown_table, write_json  # noqa: E402

from infogan_edu.data.toys import mode_coverage, ring_centres  # noqa: E402
from infogan_edu.toy_gan import GENERATOR_LOSSES, ToyGANConfig, train_toy_gan  # noqa: E402

RING_STD = 0.02  # the ring's component standard deviation (the default of toys.ring_of_gaussians)


def seed_range(text: str) -> list[int]:
    """ "0-9" or "0,3,5" -> the seeds; one clear error otherwise."""
    try:
        if "-" in text:
            first, last = (int(part) for part in text.split("-"))
            seeds = list(range(first, last + 1))
        else:
            seeds = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"seeds must look like 0-9 or 0,3,5, got {text!r}") from None
    if not seeds or min(seeds) < 0:
        raise argparse.ArgumentTypeError(f"seeds must be non-negative and at least one, got {text!r}")
    return seeds


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=seed_range, default=list(range(10)), help="e.g. 0-9 (default) or 0,3,5")
    p.add_argument("--g-loss", nargs="+", default=["nonsaturating"], choices=sorted(GENERATOR_LOSSES))
    p.add_argument("--json", type=Path, default=None, help="also write the raw numbers here, with their provenance")
    args = p.parse_args(argv)
    rows, runs = [], []
    for g_loss in args.g_loss:
        for seed in args.seeds:
            t0 = time.perf_counter()
            run = train_toy_gan(ToyGANConfig(g_loss=g_loss, seed=seed, snapshot_every=ToyGANConfig.steps))
            seconds = time.perf_counter() - t0
            covered, good = mode_coverage(run.history.snapshots[-1].samples, ring_centres(), RING_STD)
            runs.append(
                {
                    "g_loss": g_loss,
                    "seed": seed,
                    "steps": run.config.steps,
                    "modes_covered": covered,
                    "high_quality_fraction": good,
                    "seconds": round(seconds, 1),
                }
            )
            rows.append([g_loss, seed, f"{covered} / 8", f"{good:.2f}", f"{seconds:.0f}"])
            print(", ".join(map(str, rows[-1])), file=sys.stderr, flush=True)  # progress; the table comes at the end
            if args.json is not None:
                write_json(args.json, {"runs": runs}, "benchmarks/toy_gan_coverage.py", argv)
    print(markdown_table(rows, ["G loss", "seed", "modes covered", "high-quality fraction", "seconds"]))


if __name__ == "__main__":
    main()
