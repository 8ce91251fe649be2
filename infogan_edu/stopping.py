"""Stopping a training run cleanly: Ctrl-C and SIGTERM ask the loop to stop after the current step, so that the
checkpoint it then saves is consistent, and the error the run raises says what stopped it and what was saved.
Used by `train.Trainer` and `multiseed.MultiSeedTrainer`."""

from __future__ import annotations

import signal
import threading
from typing import Any

__all__ = ["StopRequests", "TrainingInterrupted", "interrupted"]


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM: a checkpoint was saved (when the run has an output folder)."""


def interrupted(by: str, step: int, saved: str | None) -> TrainingInterrupted:
    """The error a stopped run raises: what stopped it, where, and what was saved (None: nothing)."""
    where = (
        f"{saved}; continue with Trainer.resume or --resume"
        if saved
        else "no output folder was given, so nothing was saved to disk (the trainer object still holds it)"
    )
    return TrainingInterrupted(f"training stopped by {by} at step {step}: {where}")


class StopRequests:
    """While training, Ctrl-C (SIGINT) and SIGTERM ask the loop to stop after the current step, so the
    checkpoint it saves is consistent. A second Ctrl-C stops at once. Main thread only (signals)."""

    def __init__(self) -> None:
        self.requested: str | None = None
        self._previous: dict[int, Any] = {}

    def _handler(self, signum: int, frame: object) -> None:  # noqa: ARG002
        if self.requested is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = signal.Signals(signum).name

    def __enter__(self) -> StopRequests:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, prev in self._previous.items():
            signal.signal(sig, prev)
