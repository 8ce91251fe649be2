"""Checkpoints that never lose work, and never run foreign code.

- Written atomically: serialised in memory, written to a temporary file in the same folder, flushed to
  disk, then renamed over the old one (`os.replace` is atomic on POSIX and Windows). A failed write (a full
  disk) or a crash mid-write leaves the previous checkpoint intact; a temporary file that a killed process
  left behind is removed by the next save to the same path.
- Checked before it is read: the zip archive `torch.save` writes carries a CRC-32 of every record, which
  PyTorch's reader does not verify; `zipfile` does, so a flipped byte or a cut file is refused instead of
  loading altered weights.
- Read with `torch.load(weights_only=True)`: only tensors and plain containers are unpickled, so a
  checkpoint from a stranger cannot execute code on your machine.
- Compared against the model before loading: a checkpoint from another architecture or latent spec
  is refused with a message that names the mismatch.
- Shipped checkpoints are fp16 and carry a SHA-256 in a JSON file beside them, checked on load.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import zipfile
from pathlib import Path
from typing import Any

import torch

from . import __version__
from .history import History
from .models import LEGACY_ARCHITECTURE

__all__ = [
    "check_architecture",
    "CheckpointError",
    "CHUNK",
    "export_weights",
    "FORMAT",
    "load_file",
    "REQUIRED",
    "restore_training_state",
    "save_atomic",
    "saved_step",
    "sha256_file",
    "training_state",
    "verify_sha256",
    "write_atomic",
]

FORMAT = "infogan-edu/1"


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be used, with what happened and what to do."""


CHUNK = 1 << 20  # bytes per write call
# What every infogan-edu checkpoint holds (training checkpoints and fp16 exports alike), and the type of each.
REQUIRED: dict[str, type | tuple[type, ...]] = {"architecture": dict, "config": dict, "step": int, "model": dict}


def _remove_stale_temporaries(path: Path) -> None:
    """Delete `<name>.<pid>.<hex>.tmp` files beside `path` whose writer process no longer exists (killed mid-save)."""
    if os.name != "posix":  # no cheap, harmless liveness check elsewhere; leave them
        return
    for tmp in path.parent.glob(f"{path.name}.*.*.tmp"):
        pid_text = tmp.name[len(path.name) + 1 :].split(".")[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid():
            continue
        try:
            os.kill(int(pid_text), 0)  # signal 0: only asks whether the process exists
        except ProcessLookupError:
            tmp.unlink(missing_ok=True)
        except OSError:  # it exists (e.g. another user's): not ours to delete
            continue


def save_atomic(obj: dict, path: str | os.PathLike) -> Path:
    """torch.save `obj` to `path` atomically (in memory, then temporary file + fsync + rename).

    Raises:
        OSError: the file could not be written (full disk, no permission...). The message says what happened
            and that the previous checkpoint at `path` is unchanged; no temporary file is left.
    """
    buffer = io.BytesIO()
    torch.save(obj, buffer)  # serialised first: a failed disk write is then a plain OSError, never torch's
    return write_atomic(buffer.getvalue(), path)  # bytes, not a view: a failed write must not pin the buffer


def write_atomic(data: bytes, path: str | os.PathLike, what: str = "the checkpoint") -> Path:
    """Write `data` to `path` atomically: temporary file beside it, fsync, rename; OSError as in `save_atomic`."""
    path = Path(path)
    tmp = path.parent / f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temporaries(path)
        umask = os.umask(0)
        os.umask(umask)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as f:
            for start in range(0, len(data), CHUNK):
                f.write(data[start : start + CHUNK])
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        message = (
            f"could not write {what} {path} ({e.strerror or e}); nothing was changed: the previous file there, "
            "if any, is intact and no temporary file was left. Free some disk space (or choose another folder), "
            "then save again or continue the run with --resume / Trainer.resume"
        )
        raise (OSError(message) if e.errno is None else OSError(e.errno, message)) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    return path


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable (POSIX); best effort, since some file systems refuse to fsync a folder."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _unreadable(path: Path, reason: str) -> CheckpointError:
    return CheckpointError(
        f"{path} is not a readable infogan-edu checkpoint ({reason[:200]}). It may be truncated, "
        "corrupt, or hold pickled objects other than tensors, which are refused for safety. "
        "Use a checkpoint written by infogan-edu, or train a new one."
    )


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _check_archive(path: Path) -> None:
    """Verify the CRC-32 of every record of the zip archive torch.save writes (torch.load does not)."""
    try:
        f = open(path, "rb")  # noqa: SIM115 (closed below)
    except OSError as e:  # the file itself cannot be read (permissions, I/O error): not a damaged archive
        raise CheckpointError(f"cannot read {path} ({e.strerror or e}): check its permissions and the disk") from None
    try:
        with f, zipfile.ZipFile(f) as archive:
            bad = archive.testzip()
    except Exception as e:  # any parse failure of a damaged archive: BadZipFile, zlib.error, EOFError, ...
        raise _unreadable(path, f"damaged archive: {_first_line(e)}") from None
    if bad is not None:
        raise _unreadable(path, f"record {bad} fails its CRC-32 check")


def load_file(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint with weights_only=True and turn every failure into one CheckpointError."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}: check the path (train one with `python -m infogan_edu train`)")
    _check_archive(path)
    try:
        obj = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # the weights-only unpickler can also fail with KeyError, IndexError, struct.error...
        raise _unreadable(path, _first_line(e)) from None
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} is not an infogan-edu checkpoint (expected format {FORMAT!r}, "
            f"found {obj.get('format') if isinstance(obj, dict) else type(obj).__name__!r})"
        )
    wrong = [key for key, kind in REQUIRED.items() if not isinstance(obj.get(key), kind) or isinstance(obj[key], bool)]
    tensors = obj.get("model") if isinstance(obj.get("model"), dict) else {}
    if wrong or not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in tensors.items()):
        raise CheckpointError(
            f"{path} says it is an infogan-edu checkpoint but its {', '.join(wrong) or 'model weights'} "
            f"{'are' if len(wrong) > 1 else 'is'} missing or of the wrong type: it was damaged or written by "
            "other code. Use a checkpoint written by infogan-edu, or train a new one."
        )
    return obj


def check_architecture(expected: dict, found: dict, path: str | os.PathLike) -> None:
    """Refuse a checkpoint whose architecture (latent spec, width, image size, channels, network) differs from the
    model's."""
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
    write_atomic((json.dumps(meta, indent=2) + "\n").encode(), str(path) + ".json", "the checkpoint's sidecar")
    return meta


def verify_sha256(path: str | os.PathLike, expected: str) -> None:
    actual = sha256_file(path)
    if actual != expected:
        raise CheckpointError(
            f"{path} fails its SHA-256 check (expected {expected[:16]}..., found {actual[:16]}...): the file is "
            "corrupt or was replaced. Restore it with `git checkout -- <file>` or reinstall infogan-edu."
        )


# ------------------------------------------------------------------------------------ a training run's state
def training_state(trainer: Any) -> dict[str, Any]:
    """Everything a `train.Trainer` needs to continue exactly: weights, both optimisers, every RNG (torch's, the
    latents', the transformation's, the batcher's), the step, the history and the training time so far."""
    rng = {
        "torch": torch.get_rng_state(),
        "latent": trainer.latent_rng.get_state(),
        "augment": trainer.augment_rng.get_state(),
        "batcher": trainer.batcher.state_dict(),
    }
    if torch.cuda.is_available():
        rng["cuda"] = torch.cuda.get_rng_state_all()
    return {
        "format": FORMAT,
        "version": __version__,
        "architecture": trainer.model.architecture(),
        "config": trainer.config.to_dict(),
        "step": trainer.step,
        "train_seconds": trainer.train_seconds,
        "model": trainer.model.state_dict(),
        "opt_d": trainer.opt_d.state_dict(),
        "opt_g": trainer.opt_g.state_dict(),
        "rng": rng,
        "history": trainer.history.to_dict(),
    }


def restore_training_state(trainer: Any, ckpt: dict[str, Any], path: str | os.PathLike = "checkpoint") -> None:
    """Put `ckpt` (from `training_state`) back into `trainer`; a checkpoint of another architecture, or a damaged
    or hand-made state, is one CheckpointError that names `path`."""
    check_architecture(trainer.model.architecture(), {**LEGACY_ARCHITECTURE, **ckpt["architecture"]}, path)
    try:  # missing keys or wrong types: one CheckpointError, not a traceback
        trainer.model.load_state_dict(ckpt["model"])
        trainer.opt_d.load_state_dict(ckpt["opt_d"])
        trainer.opt_g.load_state_dict(ckpt["opt_g"])
        torch.set_rng_state(ckpt["rng"]["torch"])
        trainer.latent_rng.set_state(ckpt["rng"]["latent"])
        if "augment" in ckpt["rng"]:  # checkpoints from before the invariance term have none
            trainer.augment_rng.set_state(ckpt["rng"]["augment"])
        trainer.batcher.load_state_dict(ckpt["rng"]["batcher"])
        if "cuda" in ckpt["rng"] and trainer.device.type == "cuda":
            torch.cuda.set_rng_state_all(ckpt["rng"]["cuda"])
        trainer.step = int(ckpt["step"])
        trainer.train_seconds = float(ckpt.get("train_seconds", 0.0))
        trainer.history = History.from_dict(ckpt["history"])
    except (RuntimeError, ValueError, KeyError, TypeError, AttributeError) as e:
        why = (str(e).splitlines() or [type(e).__name__])[0]
        raise CheckpointError(f"{path}: its state does not fit this trainer ({why})") from None


def saved_step(path: str | os.PathLike) -> int | str:
    """The step a checkpoint was saved at, or "unknown" when it cannot be read."""
    try:
        return int(load_file(path)["step"])
    except CheckpointError:
        return "unknown"
