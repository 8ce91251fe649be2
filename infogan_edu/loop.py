"""The training loop, one for a single seed (`train.Trainer`) and for several seeds at once
(`multiseed.MultiSeedTrainer`): each brings its own step, and the loop owns the cadence.

    every step          run.train_step(): the step's metrics stay on the device (no host sync)
    every log_every     run.flush(window): the window's metrics go to the host, once; a NaN stops the run
    every eval_every    run.checkpoint(evaluate=True): test accuracy and NMI into the history
    every ckpt_every    run.checkpoint(save=True): an atomic checkpoint (when the run has an output folder)
    the last step       all three
    Ctrl-C, SIGTERM     stop after the current step, flush and save, then raise `TrainingInterrupted`

Logging windows end at multiples of `log_every` and evaluations at multiples of `eval_every`, so a run stopped
and resumed logs the same steps as one that never stopped (an interrupted run is not evaluated at the step where
it stopped, for that reason).
"""

from __future__ import annotations

import time
from typing import Literal, Protocol

import torch

from .config import TrainConfig
from .stopping import StopRequests, interrupted

__all__ = ["Progress", "Run", "run"]

Progress = bool | Literal["lines"]  # a tqdm bar (True), nothing (False), or one printed line per evaluation


class Run(Protocol):
    """What the loop needs from a trainer."""

    config: TrainConfig
    step: int  # steps done
    train_seconds: float  # training time so far, also over earlier sessions of a resumed run

    def train_step(self) -> torch.Tensor:
        """One step; its metrics, (..., len(METRICS)), on the device."""

    def flush(self, window: torch.Tensor, wall: float) -> None:
        """The window's metrics, (n, ..., len(METRICS)), into the history: the loop's one host sync."""

    def checkpoint(self, evaluate: bool, save: bool) -> None:
        """Score on the test set and/or save, each where the run can (test data given, output folder given)."""

    def describe(self) -> str:
        """The name of the progress bar."""

    def report(self) -> str:
        """The latest logged metrics (and test score), for the bar and the printed lines."""

    def finished_early(self) -> bool:
        """True when nothing is left to train before the target (every seed stopped by a NaN)."""

    def saved_to(self) -> str | None:
        """Where the checkpoint of a stopped run is, in words; None without an output folder."""


def run(trainer: Run, steps: int | None = None, progress: Progress = True) -> None:
    """Train `trainer` to `config.steps`, or for `steps` more steps. Safe against Ctrl-C, SIGTERM and NaN."""
    cfg = trainer.config
    target = trainer.step + steps if steps is not None else cfg.steps
    if target <= trainer.step:
        return
    window, n_in_window = None, 0
    bar = None
    if progress is True:
        from tqdm.auto import tqdm

        bar = tqdm(total=target, initial=trainer.step, desc=trainer.describe(), unit="step")
    started = time.perf_counter() - trainer.train_seconds
    with StopRequests() as stop:
        try:
            while trainer.step < target and not stop.requested and not trainer.finished_early():
                metrics = trainer.train_step()
                if window is None:
                    window = metrics.new_zeros(cfg.log_every, *metrics.shape)  # (log_every, ..., len(METRICS))
                window[n_in_window] = metrics
                n_in_window += 1
                end = trainer.step == target or stop.requested
                if trainer.step % cfg.log_every == 0 or end:
                    trainer.flush(window[:n_in_window], time.perf_counter() - started)
                    n_in_window = 0
                    if bar is not None:
                        bar.n = trainer.step
                        bar.set_postfix_str(trainer.report(), refresh=False)
                        bar.refresh()
                evaluate = trainer.step % cfg.eval_every == 0 or trainer.step == target
                save = trainer.step % cfg.ckpt_every == 0 or end
                trainer.train_seconds = time.perf_counter() - started
                if evaluate or save:
                    trainer.checkpoint(evaluate, save)
                if evaluate and progress == "lines":
                    wall = time.perf_counter() - started
                    print(f"step {trainer.step:5d} of {target}: {trainer.report()} · {wall / 60:.1f} min")
        finally:
            if bar is not None:
                bar.close()
    trainer.train_seconds = time.perf_counter() - started
    if stop.requested:
        raise interrupted(stop.requested, trainer.step, trainer.saved_to())
