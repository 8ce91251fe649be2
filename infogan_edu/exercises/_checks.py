r"""The machinery every exercise check shares: the result, the failure, and how wrong answers are reported.

A check (one per task, in the module named after its exercise notebook) runs the learner's function
through `_call`, which lets a stub's `NotImplementedError` through unchanged and turns any other error
into a `_Mismatch` naming the input; it compares numbers with `_close`, renders inputs with `_fmt`, and
names the known mistake that explains a wrong number with `_diagnose`. `_finish` turns the outcome into a
`CheckResult`: it prints `✓ Exercise N passed: ...`, or raises `ExerciseCheckFailed` with
`✗ Exercise N: ...`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch


class ExerciseCheckFailed(AssertionError):
    """A learner's function gave a wrong answer. `str(error)` is the friendly explanation."""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: which exercise, whether it passed, and the message shown."""

    exercise: int
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return self.message

    def _ipython_display_(self) -> None:
        """Show nothing when a notebook cell ends with a check: the check has printed its message."""


class _Mismatch(Exception):
    """Internal: a check found a wrong answer; `args[0]` explains it."""


# --------------------------------------------------------------------------------------- machinery
def _finish(exercise: int, run: Callable[[], str], verbose: bool, raise_on_failure: bool) -> CheckResult:
    try:
        summary = run()
    except _Mismatch as m:
        result = CheckResult(exercise, False, f"✗ Exercise {exercise}: {m.args[0]}")
    else:
        result = CheckResult(exercise, True, f"✓ Exercise {exercise} passed: {summary}")
    if not result.passed and raise_on_failure:
        raise ExerciseCheckFailed(result.message)
    if verbose:
        print(result.message)
    return result


def _call(fn: Callable[..., Any], call: str, *args: Any, **kwargs: Any) -> Any:
    """Run the learner's `fn`; stubs' NotImplementedError passes, any other error becomes a mismatch."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise
    except Exception as e:  # every other error is reported to the learner, with its input
        raise _Mismatch(f"{call} raised {type(e).__name__}: {e}") from None


def _fmt(x: Any) -> str:
    """A short, one-line rendering of a number, tensor or array: at most 6 values per row, 2 rows."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    arr = np.asarray(x)
    if arr.ndim == 0:
        return _num(arr.item())
    if arr.ndim == 1:
        items = [_num(v) for v in arr[:6].tolist()]
        if arr.size > 6:
            items = [_num(v) for v in arr[:3].tolist()] + ["..."] + [_num(v) for v in arr[-2:].tolist()]
        return "[" + ", ".join(items) + "]"
    rows = [_fmt(row) for row in arr[:2]]
    more = ", ..." if arr.shape[0] > 2 else ""
    return f"[{', '.join(rows)}{more}] (shape {tuple(arr.shape)})"


def _num(v: Any) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{float(v) + 0.0:.4g}"  # + 0.0 turns -0.0 into 0.0
    return str(v)


def _close(got: float, expected: float, rtol: float = 1e-4, atol: float = 1e-5) -> bool:
    if math.isnan(got) or math.isnan(expected):
        return False
    if math.isinf(got) or math.isinf(expected):
        return got == expected
    return math.isclose(got, expected, rel_tol=rtol, abs_tol=atol)


def _diagnose(got: float, variants: dict[str, float], default: str, atol: float = 1e-4) -> str:
    """The hint of the first known mistake whose value equals `got` (within `atol`), else `default`."""
    for hint, value in variants.items():
        if math.isfinite(value) and _close(got, value, rtol=1e-3, atol=atol):
            return hint
    return default


def _scalar(value: Any, call: str, require_tensor: bool) -> float:
    """One number out of a learner's return value (a loss must stay a tensor for `.backward()`)."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise _Mismatch(
                f"{call} returned a tensor of shape {tuple(value.shape)}; expected a single number "
                f"(average over the batch, e.g. with .mean())"
            )
        return float(value.detach().double())
    if require_tensor:
        raise _Mismatch(
            f"{call} returned a {type(value).__name__}, not a torch tensor; keep it a tensor "
            f"(no .item(), no float(...)) so that .backward() can reach the networks"
        )
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value)
    raise _Mismatch(f"{call} returned {type(value).__name__}; expected a number")
