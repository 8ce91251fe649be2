"""Checkpoints under damage, foreign pickles, other architectures and a full disk (property-based, plus the catalogue).

The checkpoint is a real one (the tiny model after 2 steps, from tests/reliability/checkpoints.py). A damaged file is
refused with one CheckpointError that names it, or (when the changed byte carries no data) loads identical to the
original; a pickle that would run code never does; a save that fails leaves the previous file byte for byte.
"""

import errno
import io
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from infogan_edu import checkpoint as ckpt_mod
from infogan_edu.checkpoint import FORMAT, CheckpointError, load_file, save_atomic
from infogan_edu.train import Trainer

from .reliability.catalogue import fault_class, run_class
from .reliability.checkpoints import (
    PLACES,
    count_save_calls,
    enospc_at,
    foreign_file,
    io_faults,
    load_outcome,
    structure_ranges,
    tiny_checkpoint,
)
from .reliability.common import same, tiny_images

set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "infogan-edu-hypothesis")
PROPERTY = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
RAW = tiny_checkpoint()
ORIGINAL = torch.load(io.BytesIO(RAW), weights_only=True)
STRUCTURE = structure_ranges(RAW)


@st.composite
def positions(draw) -> int:
    """A byte of the file: anywhere (mostly tensor data), or in the zip headers, the pickle or the directory."""
    if draw(st.booleans()):
        return draw(st.integers(0, len(RAW) - 1))
    a, b = draw(st.sampled_from(STRUCTURE))
    return draw(st.integers(a, max(a, b - 1)))


@pytest.mark.slow
@PROPERTY
@given(flips=st.lists(st.tuples(positions(), st.integers(1, 255)), min_size=1, max_size=3))
def test_flipped_bytes_are_refused_or_harmless(flips, tmp_path) -> None:
    raw = bytearray(RAW)
    for where, xor in flips:
        raw[where] ^= xor
    path = tmp_path / "flipped.pt"
    path.write_bytes(bytes(raw))
    out = load_outcome(path, ORIGINAL)
    assert out.handled, out.note


@PROPERTY
@given(cut=positions())
def test_truncated_checkpoints_are_refused(cut, tmp_path) -> None:
    path = tmp_path / "cut.pt"
    path.write_bytes(RAW[:cut])
    with pytest.raises(CheckpointError, match="not a readable infogan-edu checkpoint"):
        load_file(path)


def test_a_flipped_weight_byte_is_caught_by_the_crc(tmp_path) -> None:
    # torch.load does not check the zip's CRC-32: this flip used to load silently, with one weight changed
    with zipfile.ZipFile(io.BytesIO(RAW)) as z:
        record = max(z.infolist(), key=lambda i: i.file_size)  # the largest tensor
        start = record.header_offset + 30 + len(record.filename) + len(record.extra)
    raw = bytearray(RAW)
    raw[start + record.file_size // 2] ^= 0x40
    path = tmp_path / "bitrot.pt"
    path.write_bytes(bytes(raw))
    assert not same(ORIGINAL, torch.load(path, weights_only=True))  # torch alone returns altered weights
    with pytest.raises(CheckpointError, match="fails its CRC-32 check"):
        load_file(path)


def rewrite_pickle(path: Path, pickle_bytes: bytes) -> None:
    """Replace data.pkl inside a torch zip archive (with a correct CRC, so only the unpickler can object)."""
    with zipfile.ZipFile(io.BytesIO(RAW)) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = pickle_bytes if info.filename.endswith("data.pkl") else src.read(info)
            dst.writestr(info.filename, data)


def test_unpickler_errors_other_than_unpicklingerror_are_one_checkpointerror(tmp_path) -> None:
    # BINGET of a memo slot never stored: torch's weights-only unpickler raised a bare KeyError
    path = tmp_path / "memo.pt"
    rewrite_pickle(path, b"\x80\x02h\x05.")
    with pytest.raises(KeyError):
        torch.load(path, weights_only=True)
    with pytest.raises(CheckpointError, match="not a readable"):
        load_file(path)


@pytest.mark.parametrize("payload, where", [(i % 5, where) for i, where in enumerate(PLACES)])  # all 30: slow
def test_foreign_objects_are_refused_and_never_run(payload: int, where: str, tmp_path) -> None:
    marker = tmp_path / "marker"
    path = tmp_path / "foreign.pt"
    foreign_file(path, marker, payload, where)
    with pytest.raises(CheckpointError, match="not a readable infogan-edu checkpoint"):
        load_file(path)
    assert not marker.exists()


def test_the_payloads_would_run_if_unpickled_fully(tmp_path) -> None:
    # the foreign-pickle test can fail: loaded without weights_only, each payload does create its marker
    for payload in range(5):
        marker = tmp_path / f"marker-{payload}"
        foreign_file(tmp_path / "f.pt", marker, payload, "top")
        torch.load(tmp_path / "f.pt", weights_only=False)
        assert marker.exists(), payload


@pytest.mark.parametrize(
    "state, words",
    [
        ({"format": FORMAT}, "architecture, config, step, model are missing"),
        ({**ORIGINAL, "step": "3"}, "step is missing or of the wrong type"),
        ({**ORIGINAL, "model": {"w": [1.0]}}, "model weights is missing"),
        ({**ORIGINAL, "config": None}, "config is missing"),
    ],
)
def test_a_checkpoint_with_missing_parts_is_one_clear_error(state, words, tmp_path) -> None:
    path = tmp_path / "partial.pt"
    torch.save(state, path)
    with pytest.raises(CheckpointError, match=words):
        load_file(path)


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["no-rng", "rng-not-a-tensor", "no-history", "history-wrong"])
def test_a_damaged_training_state_is_refused_by_the_trainer(damage: str, tmp_path) -> None:
    state = {k: v for k, v in torch.load(io.BytesIO(RAW), weights_only=True).items()}
    if damage == "no-rng":
        del state["rng"]
    elif damage == "rng-not-a-tensor":
        state["rng"]["torch"] = [1, 2, 3]
    elif damage == "no-history":
        del state["history"]
    else:
        state["history"] = {"steps": 1}
    path = tmp_path / "damaged.pt"
    torch.save(state, path)
    with pytest.raises(CheckpointError, match="its state does not fit this trainer"):
        Trainer.resume(path, tiny_images(), progress=False)


def test_every_io_call_of_a_save_failing_with_enospc_loses_nothing(tmp_path) -> None:
    n = count_save_calls()
    assert n >= 10  # open, a write per 256 KiB, flush, fsync, close, replace
    for k in range(1, n + 1):
        out = enospc_at(k, tmp_path)
        assert out.handled and not out.lost, out.note


def test_a_full_disk_message_says_what_happened_and_what_to_do(tmp_path) -> None:
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(RAW)
    with io_faults(3, []), pytest.raises(OSError) as e:
        save_atomic(ORIGINAL, path)
    assert e.value.errno == errno.ENOSPC
    msg = str(e.value)
    assert f"could not write the checkpoint {path} (No space left on device)" in msg
    assert "previous file there, if any, is intact" in msg and "Free some disk space" in msg
    assert "--resume" in msg


def test_the_sidecar_of_an_export_is_written_atomically_too(tmp_path) -> None:
    # export_weights wrote its JSON with write_text: a full disk left a cut JSON beside a good .pt
    path = tmp_path / "small.pt"
    meta = ckpt_mod.export_weights(ORIGINAL, path, {"command": "test"})
    sidecar = Path(str(path) + ".json")
    before = sidecar.read_bytes()
    real_replace = os.replace

    def full(a, b):
        if str(b).endswith(".json"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_replace(a, b)

    os.replace = full
    try:
        with pytest.raises(OSError, match="could not write the checkpoint's sidecar"):
            ckpt_mod.export_weights(ORIGINAL, path, {"command": "again"})
    finally:
        os.replace = real_replace
    assert sidecar.read_bytes() == before and meta["sha256"] in before.decode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.pt", "small.pt.json"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_not_called_corrupt(tmp_path) -> None:
    path = tmp_path / "locked.pt"
    path.write_bytes(RAW)
    path.chmod(0)
    with pytest.raises(CheckpointError, match="cannot read .* check its permissions"):
        load_file(path)


def test_a_temporary_file_left_by_a_killed_writer_is_removed_by_the_next_save(tmp_path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)  # this process has exited and been reaped
    stale = tmp_path / f"checkpoint.pt.{dead_pid}.0123abcd.tmp"
    alive = tmp_path / f"checkpoint.pt.{os.getppid()}.0123abcd.tmp"  # a live writer's file stays
    other = tmp_path / f"other.pt.{dead_pid}.0123abcd.tmp"  # another checkpoint's is not ours to judge here
    for p in (stale, alive, other):
        p.write_bytes(b"half")
    save_atomic({"x": torch.zeros(1)}, tmp_path / "checkpoint.pt")
    assert not stale.exists() and alive.exists() and other.exists()


def test_the_save_works_without_the_patches(tmp_path) -> None:
    # io_faults with k = 0 fails nothing: the logged calls are the real sequence, and the file is complete
    calls: list[str] = []
    with io_faults(0, calls):
        save_atomic(ORIGINAL, tmp_path / "c.pt")
    assert calls[0] == "open" and calls[-2:] == ["replace", "fsync"] and calls.count("fsync") == 2  # file, folder
    assert same(ORIGINAL, load_file(tmp_path / "c.pt"))
    assert ckpt_mod.CHUNK == 1 << 20  # the patch is undone


@pytest.mark.parametrize(
    "name, trials",
    [
        pytest.param("ckpt-byte-flip", 60, marks=pytest.mark.slow),
        ("ckpt-truncate", 60),
        pytest.param("ckpt-foreign-pickle", 30, marks=pytest.mark.slow),
        pytest.param("ckpt-other-architecture", 6, marks=pytest.mark.slow),
        pytest.param("disk-full-on-save", 30, marks=pytest.mark.slow),
    ],
)
def test_catalogue(name: str, trials: int) -> None:
    handled, lost, notes = run_class(fault_class(name), trials)
    assert (handled, lost) == (trials, 0), notes[:5]
