"""Faults while running: SIGKILL then resume, a corrupt file in the user cache, NaN at a random step, a full disk
during training (the trials of tests/reliability/running.py, plus regression tests of what the catalogue found)."""

import errno
import os
import random
from pathlib import Path

import pytest
import torch

from infogan_edu import cli
from infogan_edu.checkpoint import load_file
from infogan_edu.train import NonFiniteLossError, Trainer

from .reliability.catalogue import fault_class, run_class
from .reliability.common import tiny_config, tiny_images
from .reliability.running import CORRUPTIONS, trial_cache_corrupt, trial_sigkill


@pytest.mark.slow
@pytest.mark.parametrize("mid_save, seed", [(True, 0), (False, 1)])
def test_sigkill_then_resume_equals_an_uninterrupted_run(mid_save: bool, seed: int, tmp_path) -> None:
    # a child process (started here, killed by its PID only) trains with a checkpoint every 2 steps; killed during a
    # save (temporary file written, not renamed) or at a random moment; the run resumed here ends bit for bit where
    # an uninterrupted run ends, and the folder holds only checkpoint.pt
    out = trial_sigkill(random.Random(seed), tmp_path, mid_save=mid_save)
    assert out.handled and not out.lost, out.note


@pytest.mark.parametrize("kind", CORRUPTIONS)
def test_a_corrupt_cached_file_is_fetched_again(kind: str, tmp_path) -> None:
    out = trial_cache_corrupt(random.Random(kind), tmp_path, kind=kind, offline=False)
    assert out.handled and not out.lost, out.note


def test_a_corrupt_cached_file_with_no_good_mirror_is_one_clear_error(tmp_path) -> None:
    out = trial_cache_corrupt(random.Random(0), tmp_path, kind="garbage", offline=True)
    assert out.handled, out.note


def test_a_corrupt_file_outside_the_cache_is_reported_not_replaced(tmp_path, monkeypatch) -> None:
    from infogan_edu.data import download as dl

    folder = tmp_path / "mine" / "mnist"
    folder.mkdir(parents=True)
    bad = folder / "t10k-labels-idx1-ubyte.gz"
    bad.write_bytes(b"not gzip")
    monkeypatch.setenv(dl.CACHE_ENV, str(tmp_path / "cache"))
    with pytest.raises(dl.ChecksumError, match=f"^{bad}: the SHA-256"):
        dl.read_verified(bad, dl.SHA256["mnist"][bad.name])
    assert bad.read_bytes() == b"not gzip"  # the user's file: reported, never touched


def tiny_trainer(out: Path, **overrides) -> Trainer:
    return Trainer(tiny_config(steps=10, **overrides), tiny_images(), out_dir=out, progress=False)


@pytest.mark.slow
def test_nan_between_log_windows_never_reaches_a_checkpoint(tmp_path) -> None:
    # log every 3 steps, save every 2: NaN in step 4's batch used to be saved at step 4 (the losses were checked
    # only at step 6), so "the last good checkpoint" held NaN weights
    t = tiny_trainer(tmp_path, log_every=3, ckpt_every=2)
    real_next = t.batcher.next
    t.batcher.next = lambda: real_next() * float("nan") if t.step == 3 else real_next()
    with pytest.raises(NonFiniteLossError, match=r"weights .* became NaN or infinite by step 4; they were not saved"):
        t.train()
    good = load_file(tmp_path / "checkpoint.pt")
    assert good["step"] == 2
    assert all(v.isfinite().all() for v in good["model"].values() if v.is_floating_point())


@pytest.mark.slow
def test_nan_in_a_weight_after_the_last_logged_loss_is_not_saved(tmp_path) -> None:
    t = tiny_trainer(tmp_path, log_every=2, ckpt_every=2)
    real_step = t.train_step

    def step():
        out = real_step()
        if t.step == 10:  # after the final step's losses were computed: only the save can notice
            with torch.no_grad():
                next(t.model.parameters()).view(-1)[0] = float("nan")
        return out

    t.train_step = step
    with pytest.raises(NonFiniteLossError, match=r"the last good checkpoint is .* \(step 8\)"):
        t.train()
    assert load_file(tmp_path / "checkpoint.pt")["step"] == 8


@pytest.mark.slow
def test_a_full_disk_during_training_ends_the_cli_in_one_line_and_keeps_the_last_checkpoint(
    tmp_path, monkeypatch, capsys
) -> None:
    from ._tiny import tiny_data

    x, y = tiny_data()
    monkeypatch.setattr(cli, "_load_data", lambda dataset, root: (x, x[:32], y[:32]))
    real_fsync, saves = os.fsync, []

    def full_at_second_save(fd: int) -> None:
        saves.append(fd)
        if len(saves) == 3:  # file fsync and folder fsync of save 1, then the file of save 2
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full_at_second_save)
    args = ["train", "--preset", "cpu", "--steps", "6", "--no-progress", "--out", str(tmp_path / "run")]
    args += ["--set", "width=0.125", "--set", "batch_size=16", "--set", "ckpt_every=2", "--set", "eval_every=100"]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: [Errno 28] could not write the checkpoint") and err.count("\n") == 1
    assert load_file(tmp_path / "run" / "checkpoint.pt")["step"] == 2
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["checkpoint.pt"]


@pytest.mark.slow
@pytest.mark.parametrize("name, trials", [("nan-at-random-step", 10), ("corrupt-cache-file", 20)])
def test_catalogue(name: str, trials: int) -> None:
    handled, lost, notes = run_class(fault_class(name), trials)
    assert (handled, lost) == (trials, 0), notes[:5]
