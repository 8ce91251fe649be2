r"""The machinery every exercise check shares: the result, the failure, and how wrong answers are reported.

A check (one per task, in the module named after its exercise notebook) runs the learner's function
through `_call`, which lets a stub's `NotImplementedError` through unchanged and turns any other error
into a `_Mismatch` naming the input; it compares numbers with `_close`, renders inputs with `_fmt`, and
names the known mistake that explains a wrong number with `_diagnose`. `_finish` turns the outcome into a
`CheckResult`: it prints `✓ Exercise N passed: ...`, or raises `ExerciseCheckFailed` with

    ✗ Exercise N: <what went wrong: the input, what came back, what was expected>
    What to look at: <the known mistake that explains it, or the rule it broke>
    Hint 1: <the task's first hint>
    More hints: open "Hint 2" (and on) in the collapsed cell below this check.

Hints are shown only after a failure. Each exercise module declares them once, in order from gentle to
explicit, as `HINTS = {"<the learner's function>": ("hint 1", "hint 2", ...)}`, and passes the task's tuple
to `_finish`; the notebook's collapsed `<details>` cell below the check is written from the same tuple by
`scripts/exercise_copies.py hints` (see `hints_markdown`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
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


# ------------------------------------------------------------------------------------------- hints
def hints_markdown(task: str, hints: Sequence[str]) -> str:
    """The notebook's collapsed hints cell for `task`: every hint behind its own closed `<details>` block.

    `scripts/exercise_copies.py hints` writes this text into the solution notebook's cell tagged `hints`
    (metadata `exercise.hints_for = task`) below the check cell, and `check` reports a cell that differs.
    """
    blocks = [
        f"**Stuck on `{task}`?** A failed check prints hint 1. Open the others one at a time, only as far as you need."
    ]
    for i, hint in enumerate(hints, start=1):
        blocks.append(f"<details><summary>Hint {i}</summary>\n\n{hint}\n\n</details>")
    return "\n\n".join(blocks)


def _failure_text(exercise: int, detail: str, hints: Sequence[str]) -> str:
    """The message of a failed check: what went wrong, then the first hint, then where the others are."""
    lines = [f"✗ Exercise {exercise}: {detail}"]
    if hints:
        lines.append(f"Hint 1: {_plain(hints[0])}")
    if len(hints) > 1:
        more = len(hints) - 1
        lines.append(f'More hints: open "Hint 2" (and on) in the collapsed cell below this check ({more} more).')
    return "\n".join(lines)


def _plain(markdown: str) -> str:
    """A hint written in Markdown, for a plain-text message: no backticks, `$`, or bold marks."""
    return markdown.replace("`", "").replace("$", "").replace("**", "")


# --------------------------------------------------------------------------------------- machinery
def _finish(
    exercise: int,
    run: Callable[[], str],
    verbose: bool,
    raise_on_failure: bool,
    hints: Sequence[str] = (),
) -> CheckResult:
    """Run a check's body: a pass prints its summary; a `_Mismatch` becomes the failure text with hint 1."""
    try:
        summary = run()
    except _Mismatch as m:
        result = CheckResult(exercise, False, _failure_text(exercise, m.args[0], hints))
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
