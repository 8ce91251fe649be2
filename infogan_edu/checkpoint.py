"""Checkpoints that never lose work, and never run foreign code.

- Written atomically: to a temporary file in the same folder, flushed to disk, then renamed over the
  old one (`os.replace` is atomic on POSIX and Windows). A crash mid-write leaves the previous
  checkpoint intact.
- Read with `torch.load(weights_only=True)`: only tensors and plain containers are unpickled, so a
  checkpoint from a stranger cannot execute code on your machine.
- Compared against the model before loading: a checkpoint from another architecture or latent spec
  is refused with a message that names the mismatch.
- Shipped checkpoints are fp16 and carry a SHA-256 in a JSON file beside them, checked on load.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import torch

FORMAT = "infogan-edu/1"


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be used, with what happened and what to do."""


def save_atomic(obj: dict, path: str | os.PathLike) -> Path:
    """torch.save `obj` to `path` atomically (temporary file + fsync + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_file(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint with weights_only=True and turn every failure into one CheckpointError."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}: check the path (train one with `python -m infogan_edu train`)")
    try:
        obj = torch.load(path, map_location=map_location, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(
            f"{path} is not a readable infogan-edu checkpoint ({first[:200]}). It may be truncated, "
            "corrupt, or hold pickled objects other than tensors, which are refused for safety. "
            "Use a checkpoint written by infogan-edu, or train a new one."
        ) from None
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} is not an infogan-edu checkpoint (expected format {FORMAT!r}, "
            f"found {obj.get('format') if isinstance(obj, dict) else type(obj).__name__!r})"
        )
    return obj


def check_architecture(expected: dict, found: dict, path: str | os.PathLike) -> None:
    """Refuse a checkpoint whose architecture (latent spec, width, image size) differs from the model's."""
    diffs = []
    for key in sorted(set(expected) | set(found)):
        if expected.get(key) != found.get(key):
            diffs.append(f"{key}: checkpoint has {found.get(key)!r}, model has {expected.get(key)!r}")
    if diffs:
        raise CheckpointError(
            f"{path} was trained with a different architecture, so its weights do not fit this model:\n  - "
            + "\n  - ".join(diffs)
            + "\nBuild the model from the checkpoint's own config (e.g. `load_pretrained` / `Trainer.resume`) "
            "or pick a checkpoint trained with this spec."
        )


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def export_weights(checkpoint: dict, path: str | os.PathLike, provenance: dict) -> dict:
    """Write a small, shareable fp16 copy of a training checkpoint (model weights, architecture and
    config; no optimiser state) and a JSON sidecar with its SHA-256 and `provenance`."""
    state = {
        k: (v.half() if torch.is_floating_point(v) else v) for k, v in checkpoint["model"].items()
    }
    small = {
        "format": FORMAT,
        "architecture": checkpoint["architecture"],
        "config": checkpoint["config"],
        "step": checkpoint["step"],
        "model": state,
    }
    path = save_atomic(small, path)
    meta = {"file": path.name, "sha256": sha256_file(path), "bytes": path.stat().st_size, **provenance}
    Path(str(path) + ".json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def verify_sha256(path: str | os.PathLike, expected: str) -> None:
    actual = sha256_file(path)
    if actual != expected:
        raise CheckpointError(
            f"{path} fails its SHA-256 check (expected {expected[:16]}..., found {actual[:16]}...): the file is "
            "corrupt or was replaced. Restore it with `git checkout -- <file>` or reinstall infogan-edu."
        )
