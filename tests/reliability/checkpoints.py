"""Checkpoints: flipped bytes, cuts, foreign pickles, other architectures, and a full disk during a save.

The checkpoint is a real one (the tiny model after 2 steps). The oracles are the original file and its loaded
content: a damaged file is refused with one CheckpointError naming it, or loads identical to the original; a
pickle that would run code never does; a save that fails leaves the previous file byte for byte.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import io
import os
import pickle
import random
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import torch

from infogan_edu import checkpoint as ckpt_mod
from infogan_edu.checkpoint import CheckpointError, load_file
from infogan_edu.train import Trainer

from .common import Outcome, one_line, patched, same, tiny_config, tiny_images


@functools.lru_cache(maxsize=1)
def tiny_checkpoint() -> bytes:
    """The bytes of a real checkpoint: the tiny model after 2 steps (weights, both Adams, RNG, history)."""
    with tempfile.TemporaryDirectory() as tmp:
        Trainer(tiny_config(), tiny_images(), out_dir=tmp, progress=False).train(steps=2)
        return (Path(tmp) / "checkpoint.pt").read_bytes()


@functools.lru_cache(maxsize=1)
def tiny_state() -> dict:
    """The tiny checkpoint as loaded (to compare with; never modified: callers load their own copy to change)."""
    return torch.load(io.BytesIO(tiny_checkpoint()), weights_only=True)


def structure_ranges(raw: bytes) -> list[tuple[int, int]]:
    """Byte ranges of everything but tensor data: zip headers, the pickle, the central directory."""
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        infos = z.infolist()
        ranges = [(i.header_offset, i.header_offset + 30 + len(i.filename) + 64) for i in infos]
        ranges += [(i.header_offset, i.header_offset + 200 + i.file_size) for i in infos if i.filename.endswith(".pkl")]
        ranges.append((max(i.header_offset + i.file_size for i in infos), len(raw)))
    return [(a, min(b, len(raw))) for a, b in ranges]


@functools.lru_cache(maxsize=1)
def tiny_structure() -> list[tuple[int, int]]:
    return structure_ranges(tiny_checkpoint())


def pick_position(rng: random.Random, raw: bytes) -> int:
    """A byte of the tiny checkpoint: anywhere (30 %), else in its zip headers, pickle or central directory."""
    if rng.random() < 0.3:
        return rng.randrange(len(raw))
    a, b = rng.choice(tiny_structure())
    return rng.randrange(a, max(a + 1, b))


def load_outcome(path: Path, original: dict | None) -> Outcome:
    """Refused with a CheckpointError, or loaded and identical to `original` (None: must be refused)."""
    try:
        got = load_file(path)
    except CheckpointError as e:
        return Outcome(str(path) in str(e), note="" if str(path) in str(e) else f"message lacks the path: {e}")
    except Exception as e:
        return Outcome(False, note=f"{type(e).__name__}: {str(e)[:200]}")
    ok = original is not None and same(original, got)
    return Outcome(ok, lost=not ok, note="" if ok else "loaded different content without an error")


def trial_ckpt_flip(rng: random.Random, work: Path) -> Outcome:
    raw = bytearray(tiny_checkpoint())
    original = tiny_state()
    for _ in range(rng.randint(1, 3)):
        raw[pick_position(rng, raw)] ^= rng.randrange(1, 256)
    path = work / "flipped.pt"
    path.write_bytes(bytes(raw))
    return load_outcome(path, original)


def trial_ckpt_truncate(rng: random.Random, work: Path) -> Outcome:
    raw = tiny_checkpoint()
    path = work / "cut.pt"
    path.write_bytes(raw[: pick_position(rng, raw) if rng.random() < 0.7 else rng.randrange(len(raw))])
    return load_outcome(path, None)


class Payload:
    """A pickled object whose unpickling would call `action(*args)` (e.g. create a marker file)."""

    def __init__(self, action: Callable, *args: object) -> None:
        self.action, self.args = action, args

    def __reduce__(self) -> tuple:
        return self.action, self.args


def payloads(marker: Path) -> list[Payload]:
    """Five ways a pickle could run code on load; each would create `marker`."""
    return [
        Payload(open, str(marker), "w"),
        Payload(exec, f"open({str(marker)!r}, 'w').close()"),
        Payload(os.system, f"touch {marker}"),
        Payload(Path.touch, marker),
        Payload(subprocess.call, ["touch", str(marker)]),
    ]


PLACES = ["top", "config", "history", "weights", "bare", "plain-pickle"]


def foreign_file(path: Path, marker: Path, payload: int, where: str) -> None:
    """A checkpoint-shaped file carrying payload number `payload`, placed `where` (one of PLACES)."""
    evil = payloads(marker)[payload]
    state = torch.load(io.BytesIO(tiny_checkpoint()), weights_only=True)
    if where == "top":
        state["extra"] = evil
    elif where in ("config", "history"):
        state[where]["note"] = evil
    elif where == "weights":
        state["model"][next(iter(state["model"]))] = evil
    else:
        state = evil
    if where == "plain-pickle":  # a bare pickle, not torch's zip archive
        path.write_bytes(pickle.dumps(state))
    else:
        torch.save(state, path)


def trial_ckpt_foreign(rng: random.Random, work: Path) -> Outcome:
    marker = work / f"marker-{rng.randrange(10**9)}"
    path = work / "foreign.pt"
    foreign_file(path, marker, rng.randrange(len(payloads(marker))), rng.choice(PLACES))
    out = load_outcome(path, None)
    if marker.exists():
        return Outcome(False, lost=True, note="the payload ran: the marker file exists")
    return out


ARCH_CHOICES = {"width": [0.0625, 0.125, 0.25], "noise": [8, 62], "categorical": [(10,), (8,), (10, 4)],
                "continuous": [0, 1, 2, 3]}  # fmt: skip


def trial_ckpt_architecture(rng: random.Random, work: Path) -> Outcome:
    base = tiny_config()
    other = {k: rng.choice(v) for k, v in ARCH_CHOICES.items()}
    if all(getattr(base, k) == v for k, v in other.items()):
        other["width"] = 0.25
    stranger = Trainer(tiny_config(**other), tiny_images(), progress=False)
    path = stranger.save(work / "other.pt")
    mine = Trainer(base, tiny_images(), progress=False)
    before = {k: v.clone() for k, v in mine.model.state_dict().items()}
    try:
        mine.load_state(load_file(path), path)
        return Outcome(False, lost=True, note=f"a checkpoint of {other} loaded into the base model")
    except CheckpointError as e:
        msg = str(e)
    untouched = all(torch.equal(before[k], v) for k, v in mine.model.state_dict().items())
    named = all(k in msg for k, v in other.items() if getattr(base, k) != v and k != "categorical") and str(path) in msg
    resumed = Trainer.resume(path, tiny_images(), progress=False).model.architecture() == stranger.model.architecture()
    ok = untouched and named and resumed
    return Outcome(ok, lost=not untouched, note="" if ok else f"untouched={untouched} named={named}: {msg}")


# ---------------------------------------------------------------------------------------------- a full disk
def io_faults(k: int, calls: list[str]) -> contextlib.ExitStack:
    """Patch the I/O calls of save_atomic so that call number `k` (1-based) raises ENOSPC; log every call."""
    stack = contextlib.ExitStack()

    def fail(what: str) -> None:
        calls.append(what)
        if len(calls) == k:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    class File:
        def __init__(self, f: io.BufferedWriter) -> None:
            self.f = f

        def write(self, data: bytes) -> int:
            if len(calls) + 1 == k:
                self.f.write(bytes(data[: len(data) // 2]))  # a partial write, then the disk is full
            fail("write")
            return self.f.write(data)

        def flush(self) -> None:
            fail("flush")
            self.f.flush()

        def fileno(self) -> int:
            return self.f.fileno()

        def __enter__(self) -> File:
            return self

        def __exit__(self, *exc: object) -> None:
            self.f.close()
            if exc[0] is None:
                fail("close")

    real_open, real_fdopen, real_fsync, real_replace = os.open, os.fdopen, os.fsync, os.replace

    def op(path: object, *args: object, **kwargs: object) -> int:
        if str(path).endswith(".tmp"):
            fail("open")
        return real_open(path, *args, **kwargs)

    def fsync(fd: int) -> None:
        fail("fsync")
        real_fsync(fd)

    def replace(a: object, b: object) -> None:
        fail("replace")
        real_replace(a, b)

    stack.enter_context(patched(ckpt_mod, "CHUNK", 1 << 18))
    for name, fake in (("open", op), ("fdopen", lambda fd, mode: File(real_fdopen(fd, mode))), ("fsync", fsync),
                       ("replace", replace)):  # fmt: skip
        stack.enter_context(patched(os, name, fake))
    return stack


@functools.lru_cache(maxsize=1)
def count_save_calls() -> int:
    calls: list[str] = []
    state = torch.load(io.BytesIO(tiny_checkpoint()), weights_only=True)
    with tempfile.TemporaryDirectory() as tmp:
        with io_faults(0, calls):
            ckpt_mod.save_atomic(state, Path(tmp) / "c.pt")
    return len(calls)


def enospc_at(k: int, work: Path) -> Outcome:
    folder = work / f"enospc-{k}"
    folder.mkdir()
    path = folder / "checkpoint.pt"
    old = tiny_checkpoint()
    path.write_bytes(old)
    new = torch.load(io.BytesIO(old), weights_only=True)
    new["step"] = 99
    calls: list[str] = []
    try:
        with io_faults(k, calls):
            ckpt_mod.save_atomic(new, path)
    except OSError as e:
        msg = str(e)
        intact = path.read_bytes() == old
        clean = sorted(p.name for p in folder.iterdir()) == ["checkpoint.pt"]
        clear = e.errno == errno.ENOSPC and "could not write the checkpoint" in msg and "intact" in msg
        clear = clear and "Free some disk space" in msg and one_line(msg)
        ok = intact and clean and clear
        return Outcome(ok, lost=not intact, note="" if ok else f"k={k} ({calls[-1]}): intact={intact} clean={clean}")
    done = load_file(path)["step"] == 99 and sorted(p.name for p in folder.iterdir()) == ["checkpoint.pt"]
    return Outcome(done, lost=not done, note="" if done else f"k={k}: no error, but the new file is not complete")


def trial_enospc(rng: random.Random, work: Path) -> Outcome:
    return enospc_at(rng.randint(1, count_save_calls()), work)
