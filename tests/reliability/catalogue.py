"""The fault classes of the reliability catalogue, and `run_class`, which runs one of them for N seeded trials."""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .checkpoints import trial_ckpt_architecture, trial_ckpt_flip, trial_ckpt_foreign, trial_ckpt_truncate, trial_enospc
from .common import Outcome
from .folders import trial_folder
from .idx import trial_idx_gzip, trial_idx_header
from .inputs import trial_cli, trial_config, trial_latent
from .running import trial_cache_corrupt, trial_nan, trial_sigkill


@dataclass
class FaultClass:
    name: str
    trial: Callable[[random.Random, Path], Outcome]
    trials: int  # the catalogue's default number of trials
    promise: str


CLASSES = [
    FaultClass("idx-header", trial_idx_header, 1000, "random magic, dtype code, dims, cuts and trailing bytes, "
               "plain or gzip: the right array, or one IDXFormatError naming the file"),
    FaultClass("idx-gzip-damage", trial_idx_gzip, 500, "flipped bytes, cuts, trailing bytes in a gzip stream"),
    FaultClass("ckpt-byte-flip", trial_ckpt_flip, 300, "1-3 bytes of a real checkpoint changed: refused, or loaded "
               "identical (a byte that carries no data)"),
    FaultClass("ckpt-truncate", trial_ckpt_truncate, 300, "a real checkpoint cut short: refused"),
    FaultClass("ckpt-foreign-pickle", trial_ckpt_foreign, 100, "objects whose unpickling would create a marker "
               "file: refused, and the marker never appears"),
    FaultClass("ckpt-other-architecture", trial_ckpt_architecture, 30, "another width / latent spec: refused "
               "naming the difference, the model untouched; the checkpoint's own config resumes it"),
    FaultClass("config-wrong-value", trial_config, 1000, "TrainConfig fields given wrong types and ranges (1-3 "
               "cases of a hand-written table at once): accepted exactly when the table says valid"),
    FaultClass("latent-wrong-value", trial_latent, 500, "LatentSpec fields given wrong types and ranges, as above"),
    FaultClass("cli-bad-arguments", trial_cli, 300, "train's arguments and --set values: one line, status 2"),
    FaultClass("folder-bad-images", trial_folder, 100, "train --dataset folder:PATH on mixed, missing, empty, "
               "corrupt, too small or too few images: read at the right shape, or one line naming the file, status 2, "
               "nothing written"),
    FaultClass("disk-full-on-save", trial_enospc, 100, "ENOSPC at the k-th I/O call of a checkpoint save"),
    FaultClass("sigkill-then-resume", trial_sigkill, 10, "SIGKILL at a random moment or mid-save, then resume: "
               "N + N steps equal 2N, no file left corrupt or half-written"),
    FaultClass("corrupt-cache-file", trial_cache_corrupt, 50, "a corrupt file in the user cache: refused and "
               "fetched again from a 127.0.0.1 mirror (or one clear error when none has it)"),
    FaultClass("nan-at-random-step", trial_nan, 40, "NaN in the batch, the codes or a weight at a random step: "
               "stops with the message; the last checkpoint is loadable and finite"),
]  # fmt: skip


def fault_class(name: str) -> FaultClass:
    """The class called `name` (KeyError naming the known ones otherwise)."""
    for fc in CLASSES:
        if fc.name == name:
            return fc
    raise KeyError(f"no fault class {name!r}; the classes are: {', '.join(fc.name for fc in CLASSES)}")


def run_class(fc: FaultClass, trials: int, seed: int = 0) -> tuple[int, int, list[str]]:
    """(handled, lost, notes of failed trials) over `trials` seeded trials."""
    handled = lost = 0
    notes = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(trials):
            rng = random.Random(f"{fc.name}-{seed}-{i}")
            work = Path(tmp) / str(i)
            work.mkdir()
            out = fc.trial(rng, work)
            handled += out.handled
            lost += out.lost
            if not out.handled:
                notes.append(f"{fc.name} trial {i}: {out.note}")
    return handled, lost, notes
