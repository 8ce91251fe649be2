"""Faults while running: SIGKILL then resume, a corrupt file in the download cache, NaN at a random step.

The oracles are independent of the code under test: an uninterrupted run's weights, bit for bit; the arrays the
fake mirror serves; the finiteness of the last checkpoint's tensors. Run as a module, this file is the process that
the SIGKILL trial kills: `python -m tests.reliability.running OUT --save-pause SECONDS` (from the repository root).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gzip
import hashlib
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from infogan_edu.checkpoint import CheckpointError, load_file
from infogan_edu.data import datasets as ds
from infogan_edu.data import download as dl
from infogan_edu.data.idx import IDXFormatError, write_idx
from infogan_edu.train import NonFiniteLossError, Trainer

from .._loopback import mirror
from .common import ROOT, Outcome, environment, patched, patched_item, tiny_config, tiny_images

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
    cmd = [sys.executable, "-m", __spec__.name, str(out), "--save-pause", "0.05"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT)
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


if __name__ == "__main__":
    p = argparse.ArgumentParser(description="the SIGKILL trial's child: tiny training that announces its saves")
    p.add_argument("out", type=Path)
    p.add_argument("--save-pause", type=float, default=0.0)
    args = p.parse_args()
    worker(args.out, args.save_pause)
