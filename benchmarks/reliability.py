"""The reliability catalogue: bad input and injected faults, tried in bulk, counted.

Each class below runs `--trials` seeded trials and checks one promise of the library. A trial is *handled* when the
library did the right thing (refused with one clear error, or returned exactly the right data), and counts in *data
lost* when a good file was damaged, wrong data came back without an error, or foreign code ran. Prints one table:

    fault or input class | trials | handled correctly | data lost | command that reruns it

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/reliability.py                 # every class, default trials
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/reliability.py --trials 50 --only ckpt-flip
    .venv/bin/python benchmarks/reliability.py --list                            # the classes and their promise

tests/test_reliability_*.py run the same trial functions with fewer trials, plus property-based tests (hypothesis).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import functools
import gzip
import hashlib
import io
import math
import os
import pickle
import random
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from infogan_edu import checkpoint as ckpt_mod  # noqa: E402
from infogan_edu import cli  # noqa: E402
from infogan_edu.checkpoint import CheckpointError, load_file  # noqa: E402
from infogan_edu.config import TrainConfig, get_preset  # noqa: E402
from infogan_edu.data import datasets as ds  # noqa: E402
from infogan_edu.data import download as dl  # noqa: E402
from infogan_edu.data.idx import IDXFormatError, read_idx, write_idx  # noqa: E402
from infogan_edu.latent import LatentSpec  # noqa: E402
from infogan_edu.train import NonFiniteLossError, Trainer  # noqa: E402


@dataclass
class Outcome:
    handled: bool
    lost: bool = False
    note: str = ""


def tiny_config(**overrides: object) -> TrainConfig:
    base = dict(width=0.125, batch_size=16, steps=8, log_every=2, eval_every=1000, ckpt_every=2, device="cpu")
    return get_preset("cpu", **{**base, **overrides})


def tiny_images(n: int = 64) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, size=(n, 28, 28), dtype=np.uint8)


@contextlib.contextmanager
def patched(obj: object, name: str, value: object) -> Iterator[None]:
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


@contextlib.contextmanager
def patched_item(mapping: dict, key: str, value: object) -> Iterator[None]:
    old = mapping[key]
    mapping[key] = value
    try:
        yield
    finally:
        mapping[key] = old


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def one_line(text: str) -> bool:
    return bool(text.strip()) and "\n" not in text.strip() and "Traceback" not in text


def same(a: object, b: object) -> bool:
    """Deep equality of loaded checkpoints (tensors bit for bit, NaN equal to NaN)."""
    if isinstance(a, torch.Tensor):
        bits = lambda t: t.contiguous().reshape(-1).view(torch.uint8)  # noqa: E731 (bit for bit: NaN == NaN)
        alike = isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape
        return alike and torch.equal(bits(a), bits(b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


# ------------------------------------------------------------------------------------------------ IDX files
# The format, written out again here from the specification (not imported), so that the oracle is independent.
IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
NUMPY_MAX_DIMS = 64 if int(np.__version__.split(".")[0]) >= 2 else 32


@dataclass
class IdxCase:
    magic: tuple[int, int]
    code: int
    dims: tuple[int, ...]
    ndim: int  # may disagree with len(dims): the header then declares more dims than it holds
    payload_delta: int  # bytes added to (or cut from) the payload the header declares
    header_cut: int | None  # cut the file inside the header, at this byte
    gz: bool
    seed: int

    def build(self) -> bytes:
        """The file content before gzip: header (maybe cut), then a payload of the declared size plus delta."""
        header = bytes([self.magic[0], self.magic[1], self.code, self.ndim])
        header += b"".join(struct.pack(">I", d) for d in self.dims[: self.ndim])
        declared = math.prod(self.dims[: self.ndim]) * int(IDX_TYPES.get(self.code, ">u1")[-1])
        n = max(0, (declared if declared < 1 << 20 else 0) + self.payload_delta)
        content = header + random.Random(self.seed).randbytes(n)
        return content if self.header_cut is None else content[: min(self.header_cut, len(header))]


def parse_idx_reference(content: bytes) -> tuple[tuple[int, ...], str, bytes] | None:
    """An independent reading of the specification with `struct`: (shape, dtype, payload), or None when the
    file must be refused (including shapes numpy cannot hold: too many dimensions, or a size that overflows
    its index type even when a zero dimension makes the array empty)."""
    if len(content) < 4 or content[:2] != b"\x00\x00" or content[2] not in IDX_TYPES:
        return None
    ndim = content[3]
    if len(content) < 4 + 4 * ndim:
        return None
    dims = struct.unpack_from(f">{ndim}I", content, 4)
    itemsize = int(IDX_TYPES[content[2]][-1])
    payload = content[4 + 4 * ndim :]
    if len(payload) != math.prod(dims) * itemsize or ndim > NUMPY_MAX_DIMS:
        return None
    if math.prod(d for d in dims if d) * itemsize >= 2**63:
        return None
    return dims, IDX_TYPES[content[2]], payload


def random_idx_case(rng: random.Random) -> IdxCase:
    ndim = rng.randint(0, 4) if rng.random() < 0.85 else rng.randint(0, 255)
    huge = [65536, 2**31, 2**32 - 1]
    dims = tuple(rng.randint(0, 5) if rng.random() < 0.9 else rng.choice(huge) for _ in range(ndim))
    return IdxCase(
        magic=(0, 0) if rng.random() < 0.8 else (rng.randrange(256), rng.randrange(256)),
        code=rng.choice(list(IDX_TYPES)) if rng.random() < 0.8 else rng.randrange(256),
        dims=dims,
        ndim=ndim if rng.random() < 0.9 else min(255, ndim + rng.randint(1, 3)),
        payload_delta=0 if rng.random() < 0.5 else rng.randint(-64, 16),
        header_cut=None if rng.random() < 0.9 else rng.randint(0, 4 + 4 * ndim),
        gz=rng.random() < 0.5,
        seed=rng.randrange(2**32),
    )


def check_idx_case(case: IdxCase, work: Path) -> Outcome:
    content = case.build()
    expected = parse_idx_reference(content)
    path = work / ("case.idx.gz" if case.gz else "case.idx")
    path.write_bytes(gzip.compress(content, mtime=0) if case.gz else content)
    return check_idx_file(path, expected)


def check_idx_file(path: Path, expected: tuple[tuple[int, ...], str, bytes] | None) -> Outcome:
    try:
        array = read_idx(path)
    except IDXFormatError as e:
        ok = expected is None and str(e).startswith(f"{path.name}: ") and one_line(str(e))
        return Outcome(ok, note="" if ok else f"refused a valid file or unclear message: {e}")
    except Exception as e:  # any other exception type is a failure of the promise
        return Outcome(False, note=f"{type(e).__name__}: {e}")
    if expected is None:
        return Outcome(False, lost=True, note=f"accepted a malformed file as shape {array.shape}")
    shape, dtype, payload = expected
    right = array.shape == shape and array.dtype == np.dtype(dtype).newbyteorder("=")
    right = right and array.astype(dtype).tobytes() == payload
    return Outcome(right, lost=not right, note="" if right else "wrong array returned")


def trial_idx_header(rng: random.Random, work: Path) -> Outcome:
    return check_idx_case(random_idx_case(rng), work)


def trial_idx_gzip(rng: random.Random, work: Path) -> Outcome:
    array = np.random.default_rng(rng.randrange(2**32)).integers(0, 256, (rng.randint(1, 9), 28, 28), dtype=np.uint8)
    raw = bytearray(gzip.compress(bytes([0, 0, 8, 3]) + struct.pack(">3I", *array.shape) + array.tobytes(), mtime=0))
    damage = rng.choice(["flip", "cut", "tail"])
    if damage == "flip":
        for _ in range(rng.randint(1, 3)):
            raw[rng.randrange(len(raw))] ^= rng.randrange(1, 256)
    elif damage == "cut":
        raw = raw[: rng.randrange(len(raw))]
    else:
        raw += rng.randbytes(rng.randint(1, 32))
    path = work / "damaged.idx.gz"
    path.write_bytes(bytes(raw))
    try:
        got = read_idx(path)
    except IDXFormatError as e:
        ok = str(e).startswith(f"{path.name}: ") and one_line(str(e))
        return Outcome(ok, note="" if ok else str(e))
    except Exception as e:
        return Outcome(False, note=f"{type(e).__name__}: {e}")
    right = got.shape == array.shape and np.array_equal(got, array)  # a harmless change (gzip mtime byte...)
    return Outcome(right, lost=not right, note="" if right else f"{damage}: wrong array returned")


# ------------------------------------------------------------------------------------------------ checkpoints
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


# ------------------------------------------------------------------------------------------------ disk full
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


# ------------------------------------------------------------------------------------------------ SIGKILL
KILL_STEPS = 12


def worker(out: Path, save_pause: float) -> None:
    """The process that gets killed: tiny training with a checkpoint every 2 steps; prints while it saves."""
    torch.set_num_threads(1)
    real_fsync = os.fsync

    def announced_fsync(fd: int) -> None:  # the temporary file is written, not yet renamed
        print("saving", flush=True)
        time.sleep(save_pause)
        real_fsync(fd)

    os.fsync = announced_fsync
    print("started", flush=True)
    Trainer(tiny_config(steps=KILL_STEPS), tiny_images(), out_dir=out, progress=False).train()
    print("finished", flush=True)


@functools.lru_cache(maxsize=1)
def uninterrupted_weights() -> dict[str, torch.Tensor]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        t = Trainer(tiny_config(steps=KILL_STEPS), tiny_images(), progress=False)
        t.train()
        return {k: v.clone() for k, v in t.model.state_dict().items()}
    finally:
        torch.set_num_threads(threads)


def trial_sigkill(rng: random.Random, work: Path, mid_save: bool | None = None) -> Outcome:
    out = work / f"kill-{rng.randrange(10**9)}"
    mid_save = rng.random() < 0.5 if mid_save is None else mid_save
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(out), "--save-pause", "0.05"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
        if mid_save:  # during the j-th save, with the temporary file written and not yet renamed
            j = rng.randint(1, KILL_STEPS // 2)
            for _ in range(j):
                line = proc.stdout.readline()
            time.sleep(rng.uniform(0, 0.04))
        else:
            time.sleep(rng.uniform(0, 1.5))
            line = "timer"
    finally:
        proc.kill()  # SIGKILL, to this child only
        proc.wait()
    where = f"{'save ' + str(j) if mid_save else 'random time'} ({line.strip() or 'ended'})"
    files = sorted(p.name for p in out.iterdir()) if out.exists() else []
    if any(not (f == "checkpoint.pt" or f.startswith("checkpoint.pt.") and f.endswith(".tmp")) for f in files):
        return Outcome(False, note=f"{where}: unexpected files {files}")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        if "checkpoint.pt" in files:
            try:
                load_file(out / "checkpoint.pt")
            except CheckpointError as e:
                return Outcome(False, lost=True, note=f"{where}: the checkpoint is unreadable: {e}")
            t = Trainer.resume(out / "checkpoint.pt", tiny_images(), progress=False)
        else:
            t = Trainer(tiny_config(steps=KILL_STEPS), tiny_images(), out_dir=out, progress=False)
        t.train()
    finally:
        torch.set_num_threads(threads)
    ref = uninterrupted_weights()
    equal = all(torch.equal(ref[k], v) for k, v in t.model.state_dict().items())
    clean = sorted(p.name for p in out.iterdir()) == ["checkpoint.pt"]
    ok = equal and clean
    return Outcome(ok, lost=not equal, note="" if ok else f"{where}: equal={equal} files={files}")


# ------------------------------------------------------------------------------------------------ user cache
class _Quiet(SimpleHTTPRequestHandler):
    seen: list[str]

    def do_GET(self) -> None:  # noqa: N802 (name fixed by http.server)
        self.seen.append(self.path)
        super().do_GET()

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def mirror(folder: Path) -> Iterator[tuple[str, list[str]]]:
    """Serve `folder` on a free port of 127.0.0.1 only; yields (base URL, paths requested)."""
    seen: list[str] = []
    handler = type("Handler", (_Quiet,), {"seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


CORRUPTIONS = ["flip", "cut", "empty", "other-file", "garbage", "uncompressed-flip"]


def corrupt(rng: random.Random, raw: bytes, kind: str) -> tuple[str, bytes]:
    if kind == "flip":
        b = bytearray(raw)
        b[rng.randrange(len(b))] ^= rng.randrange(1, 256)
        return kind, bytes(b)
    if kind == "cut":
        return kind, raw[: rng.randrange(len(raw))]
    if kind == "empty":
        return kind, b""
    if kind == "other-file":  # a valid IDX file, but not the right one
        return kind, gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 5]) + rng.randbytes(5), mtime=0)
    if kind == "garbage":
        return kind, rng.randbytes(rng.randint(1, 4096))
    b = bytearray(gzip.decompress(raw))
    b[rng.randrange(len(b))] ^= rng.randrange(1, 256)
    return kind, bytes(b)


def trial_cache_corrupt(
    rng: random.Random, work: Path, kind: str | None = None, offline: bool | None = None
) -> Outcome:
    case = work / f"cache-{rng.randrange(10**9)}"
    good = case / "www" / "good" / "mnist"
    good.mkdir(parents=True)
    (case / "www" / "bad").mkdir()
    arrays = {"t10k-images-idx3-ubyte.gz": tiny_images(5), "t10k-labels-idx1-ubyte.gz": np.arange(5, dtype=np.uint8)}
    hashes = {}
    for filename, array in arrays.items():
        hashes[filename] = hashlib.sha256(gzip.decompress(write_idx(array, good / filename).read_bytes())).hexdigest()
        write_idx(array[:1], case / "www" / "bad" / filename)  # a wrong copy on the bad mirror
    cached = case / "cache" / "mnist"
    cached.mkdir(parents=True)
    for filename in arrays:
        (cached / filename).write_bytes((good / filename).read_bytes())
    victim = rng.choice(sorted(arrays))
    kind, bad_bytes = corrupt(rng, (cached / victim).read_bytes(), kind or rng.choice(CORRUPTIONS))
    if kind == "uncompressed-flip":  # the cache may also hold the file under its uncompressed name
        (cached / victim).unlink()
        victim = victim.removesuffix(".gz")
    (cached / victim).write_bytes(bad_bytes)
    offline = rng.random() < 0.2 if offline is None else offline  # no mirror has a good copy: one clear error
    with contextlib.ExitStack() as stack:
        base, seen = stack.enter_context(mirror(case / "www"))
        urls = [f"{base}/bad/"] + ([] if offline else [f"{base}/good/mnist/"])
        stack.enter_context(patched(ds, "SYSTEM_DIRS", {"mnist": [], "fashion-mnist": []}))
        stack.enter_context(patched_item(dl.MIRRORS, "mnist", urls))  # in place: datasets imported the dicts
        stack.enter_context(patched_item(dl.SHA256, "mnist", hashes))
        stack.enter_context(patched(dl, "PROGRESSBAR", False))
        stack.enter_context(environment({dl.CACHE_ENV: str(case / "cache"), ds.DATA_ENV: str(case / "empty"),
                                         "NO_PROXY": "127.0.0.1,localhost"}))  # fmt: skip
        try:
            images, labels = ds.load_dataset("mnist", "test")
        except (dl.ChecksumError, IDXFormatError) as e:
            ok = offline and "fetched again" in str(e) and str(cached) in str(e)
            return Outcome(ok, note="" if ok else f"{kind}: {e}")
        except Exception as e:
            return Outcome(False, note=f"{kind}: {type(e).__name__}: {e}")
    right = np.array_equal(images, arrays["t10k-images-idx3-ubyte.gz"]) and np.array_equal(labels, arrays[
        "t10k-labels-idx1-ubyte.gz"])  # fmt: skip
    refetched = any(p.endswith(victim.removesuffix(".gz") + ".gz") and "/good/" in p for p in seen)
    with contextlib.suppress(Exception):  # a flip in gzip's header (time stamp, OS byte) changes no content
        good_bytes = gzip.decompress((good / (victim.removesuffix(".gz") + ".gz")).read_bytes())
        refetched = refetched or (not refetched and gzip.decompress(bad_bytes) == good_bytes)
    now_good = sorted(p.name for p in cached.iterdir()) == sorted(arrays)
    ok = right and refetched and now_good and not offline
    return Outcome(ok, lost=not right, note="" if ok else f"{kind}: right={right} refetched={refetched}")


# ------------------------------------------------------------------------------------------------ NaN
def trial_nan(rng: random.Random, work: Path) -> Outcome:
    out = work / f"nan-{rng.randrange(10**9)}"
    cfg = tiny_config(steps=10, log_every=rng.randint(1, 5), ckpt_every=rng.randint(1, 5))
    t = Trainer(cfg, tiny_images(), out_dir=out, progress=False)
    bad_step, how = rng.randint(1, 10), rng.choice(["batch", "weight", "latent"])
    real_step, real_next, real_sample = t.train_step, t.batcher.next, t.spec.sample

    def poisoned_batch() -> torch.Tensor:
        x = real_next()
        return x * float("nan") if how == "batch" and t.step + 1 == bad_step else x

    def step() -> torch.Tensor:
        out_ = real_step()
        if how == "weight" and t.step == bad_step:
            with torch.no_grad():
                p = rng.choice(list(t.model.parameters()))
                p[tuple(rng.randrange(n) for n in p.shape)] = float("nan")  # any layout (channels-last too)
        return out_

    def poisoned_codes(*a: object, **k: object):  # noqa: ANN202
        lat = real_sample(*a, **k)
        return lat._replace(z=lat.z * float("nan")) if t.step + 1 == bad_step else lat

    t.batcher.next, t.train_step = poisoned_batch, step
    if how == "latent":  # the spec is a frozen dataclass: shadow its method on this instance only
        object.__setattr__(t.spec, "sample", poisoned_codes)
    try:
        t.train()
        return Outcome(False, note=f"{how} NaN at step {bad_step}: training did not stop")
    except NonFiniteLossError as e:
        msg = str(e)
    path = out / "checkpoint.pt"
    if not path.exists():
        ok = "no checkpoint had been written" in msg
        return Outcome(ok, note="" if ok else msg)
    try:
        ck = load_file(path)
    except CheckpointError as e:
        return Outcome(False, lost=True, note=f"the last checkpoint is unreadable: {e}")
    finite = all(v.isfinite().all() for v in ck["model"].values() if v.is_floating_point())
    told = f"(step {ck['step']})" in msg and "NaN or infinite" in msg
    ok = finite and told and ck["step"] < bad_step
    return Outcome(ok, lost=not finite, note="" if ok else f"{how}@{bad_step} {cfg.log_every}/{cfg.ckpt_every}: {msg}")


# ------------------------------------------------------------------------------------------------ wrong values
def bad_values(rng: random.Random) -> object:
    return rng.choice([None, "x", "", [1], {}, -1, 0, 1.5, -0.5, float("nan"), float("inf"), True, 2**64, (1,), b"1"])


def config_value_is_valid(field: str, v: object) -> bool:
    """What TrainConfig accepts, written from its documentation (the oracle of the config trials)."""
    num = isinstance(v, (int, float)) and not isinstance(v, bool)
    integer = isinstance(v, int) and not isinstance(v, bool)
    if field in ("steps", "batch_size", "log_every", "eval_every", "ckpt_every"):
        return integer and 1 <= v < 2**63
    if field == "seed":
        return integer and 0 <= v < 2**63 - 1
    if field in ("lr_d", "lr_g", "width", "noise_scale"):
        return num and math.isfinite(v) and v > 0
    if field in ("lambda_cat", "lambda_cont", "lambda_invariance"):
        return num and math.isfinite(v) and v >= 0
    if field == "invariance_parts":  # one or more of T's parts, each once; "shift,rotate" as a string too
        parts = [p.strip() for p in v.split(",")] if isinstance(v, str) else v
        return (isinstance(parts, (tuple, list)) and len(parts) > 0
                and all(isinstance(p, str) and p in ("shift", "rotate", "scale") for p in parts)
                and len(set(parts)) == len(parts))  # fmt: skip
    if field in ("noise",):
        return integer and v >= 1
    if field == "continuous":
        return integer and v >= 0
    if field == "categorical":
        ks = (v,) if integer else v
        return isinstance(ks, (tuple, list)) and all(isinstance(k, int) and not isinstance(k, bool) and k >= 2
                                                     for k in ks)  # fmt: skip
    if field == "betas":
        return isinstance(v, (tuple, list)) and len(v) == 2 and all(
            isinstance(b, (int, float)) and not isinstance(b, bool) and 0 <= b < 1 for b in v)  # fmt: skip
    if field in ("fixed_std", "info_trains_trunk", "info_to_generator"):
        return isinstance(v, bool)
    if field in ("channels_last", "bf16", "compile", "fused_adam"):
        return v is None or isinstance(v, bool)
    if field == "g_loss":
        return v in ("nonsaturating", "minimax") and isinstance(v, str)
    if field == "q_optimizer":
        return v in ("d", "g") and isinstance(v, str)
    if field == "noise_prior":
        return v in ("uniform", "normal") and isinstance(v, str)
    if field == "device":  # "auto", or any name torch.device parses ("cpu", "cuda:1", "meta"...)
        try:
            return isinstance(v, str) and (v == "auto" or torch.device(v) is not None)
        except (RuntimeError, ValueError, TypeError):
            return False
    return isinstance(v, str)  # preset, dataset, compile_mode


def config_outcome(field: str, value: object) -> Outcome:
    valid = config_value_is_valid(field, value)
    try:
        TrainConfig(**{field: value})
    except ValueError as e:
        msg = str(e)
        named = field in msg or (field == "categorical" and "LatentSpec" in msg)
        ok = not valid and named and one_line(msg)
        return Outcome(ok, note="" if ok else f"{field}={value!r}: {msg}")
    except Exception as e:
        return Outcome(False, note=f"{field}={value!r}: {type(e).__name__}: {e}")
    return Outcome(valid, note="" if valid else f"{field}={value!r} was accepted")


def trial_config(rng: random.Random, work: Path) -> Outcome:  # noqa: ARG001
    field = rng.choice(list(TrainConfig.__dataclass_fields__))
    value = bad_values(rng) if rng.random() < 0.8 else rng.choice(["gpu", "cuda:x", (0.5,), (1.0, 0.9), (10, 1)])
    return config_outcome(field, value)


def trial_latent(rng: random.Random, work: Path) -> Outcome:  # noqa: ARG001
    field = rng.choice(["noise", "categorical", "continuous", "noise_prior", "noise_scale"])
    value = bad_values(rng)
    valid = config_value_is_valid(field, value)
    try:
        LatentSpec(**{field: value})
    except ValueError as e:
        ok = not valid and f"LatentSpec.{field}" in str(e) and one_line(str(e))
        return Outcome(ok, note="" if ok else f"{field}={value!r}: {e}")
    except Exception as e:
        return Outcome(False, note=f"{field}={value!r}: {type(e).__name__}: {e}")
    return Outcome(valid, note="" if valid else f"{field}={value!r} was accepted")


class ReachedData(Exception):
    """Raised instead of reading the data: every argument was accepted."""


def cli_outcome(argv: list[str], bad: str | None) -> Outcome:
    """Run the CLI in-process; `bad` is the word its error must name, or None when `argv` is valid."""
    err = io.StringIO()

    def no_data(*a: object) -> None:
        raise ReachedData

    quiet = contextlib.redirect_stdout(io.StringIO())
    with patched(cli, "_load_data", no_data), contextlib.redirect_stderr(err), quiet:
        try:
            status = cli.main(argv)
        except SystemExit as e:
            status = e.code
        except ReachedData:
            return Outcome(bad is None, note="" if bad is None else f"{argv}: accepted")
    text = err.getvalue()
    ok = bad is not None and status not in (0, None) and one_line(text) and bad in text
    return Outcome(ok, note="" if ok else f"{argv}: status {status}: {text.strip()[:300]}")


def random_cli_case(rng: random.Random, out: Path) -> tuple[list[str], str | None]:
    argv = ["train", "--out", str(out), "--preset", "cpu", "--no-progress"]
    kind = rng.choice(["steps", "seed", "dataset", "preset", "set", "set", "set", "unknown", "no-out", "valid"])
    if kind in ("steps", "seed"):
        value = rng.choice(["abc", "-3", "0", "1e3", "", "2.5", str(2**70)])
        valid = {"steps": lambda v: v.isdigit() and 0 < int(v) < 2**63, "seed": lambda v: v.isdigit() and
                 int(v) < 2**63 - 1}[kind](value)  # fmt: skip
        return argv + [f"--{kind}", value], None if valid else kind
    if kind in ("dataset", "preset"):
        return argv + [f"--{kind}", rng.choice(["cifar", "", "MNIST", "gpu"])], kind
    if kind == "set":
        field = rng.choice(["lr_d", "width", "steps", "betas", "categorical", "noise", "g_loss", "device", "seed",
                            "lambda_cont", "fixed_std", "noise_scale", "batch_size"])  # fmt: skip
        value = rng.choice(["-1", "0", "nan", "inf", "x", "", "1,2,3", "0.5", "true", "1e-3", str(2**64)])
        return argv + ["--set", f"{field}={value}"], field
    if kind == "unknown":
        return argv + ["--learning-rate", "3"], "--learning-rate"
    if kind == "no-out":
        return ["train", "--preset", "cpu"], "--out"
    return argv + ["--steps", str(rng.randint(1, 99)), "--set", "lr_d=1e-4"], None


def set_value_is_valid(field: str, text: str) -> bool:
    """Whether `--set field=text` is a valid value (the oracle of the CLI trials), from TrainConfig's rules."""
    if field not in TrainConfig.__dataclass_fields__ or field == "preset":
        return False
    optional = field in ("channels_last", "bf16", "compile", "fused_adam")  # bool | None
    if optional and text.lower() == "none":
        return True
    try:
        default = getattr(TrainConfig(), field)
        if isinstance(default, bool) or optional:
            if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                return False
            value: object = text.lower() in ("true", "1", "yes")
        elif isinstance(default, tuple):
            value = tuple(type(default[0])(v) for v in text.split(","))
        else:
            value = type(default)(text)
    except ValueError:
        return False
    return config_value_is_valid(field, value)


def trial_cli(rng: random.Random, work: Path) -> Outcome:
    argv, bad = random_cli_case(rng, work / "cli-out")
    if "--set" in argv and bad is not None:
        field, text = argv[argv.index("--set") + 1].split("=", 1)
        bad = None if set_value_is_valid(field, text) else field
    return cli_outcome(argv, bad)


# ------------------------------------------------------------------------------------------------ the table
@dataclass
class FaultClass:
    name: str
    trial: Callable[[random.Random, Path], Outcome]
    trials: int
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
    FaultClass("config-wrong-value", trial_config, 1000, "TrainConfig fields given wrong types and ranges"),
    FaultClass("latent-wrong-value", trial_latent, 500, "LatentSpec fields given wrong types and ranges"),
    FaultClass("cli-bad-arguments", trial_cli, 300, "train's arguments and --set values: one line, status 2"),
    FaultClass("disk-full-on-save", trial_enospc, 100, "ENOSPC at the k-th I/O call of a checkpoint save"),
    FaultClass("sigkill-then-resume", trial_sigkill, 10, "SIGKILL at a random moment or mid-save, then resume: "
               "N + N steps equal 2N, no file left corrupt or half-written"),
    FaultClass("corrupt-cache-file", trial_cache_corrupt, 50, "a corrupt file in the user cache: refused and "
               "fetched again from a 127.0.0.1 mirror (or one clear error when none has it)"),
    FaultClass("nan-at-random-step", trial_nan, 40, "NaN in the batch, the codes or a weight at a random step: "
               "stops with the message; the last checkpoint is loadable and finite"),
]


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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--trials", type=int, default=None, help="trials per class (default: each class's own)")
    p.add_argument("--only", action="append", default=None, help="run only this class (repeatable)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--list", action="store_true")
    p.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--save-pause", type=float, default=0.0, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker(args.worker, args.save_pause)
        return 0
    if args.list:
        for fc in CLASSES:
            print(f"{fc.name}: {fc.promise}")
        return 0
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
        print(f"| {fc.name} | {n} | {handled} | {lost} | {cmd} |  <!-- {time.perf_counter() - t0:.0f} s -->",
              flush=True)
    for note in failures:
        print("FAILED", note)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
