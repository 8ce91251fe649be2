"""The reliability catalogue: bad input and injected faults, tried in bulk, counted.

Each class runs `--trials` seeded trials and checks one promise of the library. A trial is *handled* when the
library did the right thing (refused with one clear error, or returned exactly the right data), and counts in *data
lost* when a good file was damaged, wrong data came back without an error, or foreign code ran. Prints one table:

    fault or input class | trials | handled correctly | data lost | command that reruns it

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/reliability.py                 # every class, default trials
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/reliability.py --trials 50 --only ckpt-byte-flip
    .venv/bin/python benchmarks/reliability.py --list                            # the classes and their promise

The trials live in tests/reliability/ (files and checkpoints, faults while running, input validation and its
tables of cases); tests/test_reliability_*.py run the same trial functions with fewer trials, plus property-based
tests (hypothesis). This script only runs them and prints the table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.reliability.catalogue import CLASSES, run_class  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--trials", type=int, default=None, help="trials per class (default: each class's own)")
    p.add_argument("--only", action="append", default=None, help="run only this class (repeatable)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--list", action="store_true")
    args = p.parse_args(argv)
    if args.list:
        for fc in CLASSES:
            print(f"{fc.name}: {fc.promise}")
        return 0
    unknown = sorted(set(args.only or ()) - {fc.name for fc in CLASSES})
    if unknown:
        p.error(f"unknown class(es) {unknown}; see --list")
    torch.set_num_threads(1)
    chosen = [fc for fc in CLASSES if args.only is None or fc.name in args.only]
    print("| fault or input class | trials | handled correctly | data lost | command that reruns it |")
    print("|---|---:|---:|---:|---|")
    failures = []
    for fc in chosen:
        n = args.trials or fc.trials
        t0 = time.perf_counter()
        handled, lost, notes = run_class(fc, n, args.seed)
        failures += notes
        cmd = f"`OMP_NUM_THREADS=1 .venv/bin/python benchmarks/reliability.py --only {fc.name} --trials {n}`"
        print(
            f"| {fc.name} | {n} | {handled} | {lost} | {cmd} |  <!-- {time.perf_counter() - t0:.0f} s -->", flush=True
        )
    for note in failures:
        print("FAILED", note)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
