"""LessonClock: CPU time counts work, not waiting; wall time counts both."""

import re
import time

from infogan_edu.clock import LessonClock


def test_sleeping_costs_wall_time_but_no_cpu_time() -> None:
    clock = LessonClock()
    time.sleep(0.3)
    cpu, wall = clock.elapsed()
    assert wall >= 0.3
    assert cpu < 0.1


def test_working_costs_cpu_time() -> None:
    clock = LessonClock()
    deadline = time.perf_counter() + 0.3
    while time.perf_counter() < deadline:
        pass
    cpu, wall = clock.elapsed()
    assert cpu >= 0.2 and wall >= 0.3


def test_report_names_both_times_in_minutes() -> None:
    line = LessonClock().report()
    assert re.fullmatch(r"this notebook took \d+\.\d CPU min and \d+\.\d min of wall time, with \d+ threads?.*", line)
