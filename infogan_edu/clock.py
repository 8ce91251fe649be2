"""How long a lesson took: the CPU time and the wall time of its kernel, printed in its last cell.

Every lesson starts a `LessonClock` in its set-up cell and prints `clock.report()` at its end, so that a learner
sees what the notebook cost on their own machine. The two numbers differ on purpose:

* **CPU time** (`time.process_time`) adds up every thread of the kernel: on 2 threads it can reach twice the wall
  time, and it hardly changes when other programs share the machine;
* **wall time** (`time.perf_counter`) is what the learner waits. It grows when the machine is shared.

The times in each lesson's header come from this report on an idle machine.
"""

from __future__ import annotations

import time

import torch

__all__ = ["LessonClock"]


class LessonClock:
    """CPU and wall seconds since the clock was made (the lesson's set-up cell)."""

    def __init__(self) -> None:
        self.cpu_start = time.process_time()
        self.wall_start = time.perf_counter()

    def elapsed(self) -> tuple[float, float]:
        """(CPU seconds, wall seconds) since the clock started."""
        return time.process_time() - self.cpu_start, time.perf_counter() - self.wall_start

    def report(self) -> str:
        """One line for the lesson's last cell, e.g. 'this notebook took 1.2 CPU min and 0.8 min of wall time ...'."""
        cpu, wall = self.elapsed()
        threads = torch.get_num_threads()
        return (
            f"this notebook took {cpu / 60:.1f} CPU min and {wall / 60:.1f} min of wall time, "
            f"with {threads} thread{'s' if threads != 1 else ''} (the wall time grows when the machine is shared)"
        )
