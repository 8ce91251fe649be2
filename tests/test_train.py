"""The trainer never loses work: exact resume, atomic saves, refusals, NaN and signal stops."""

import copy
import math
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from infogan_edu import checkpoint as ckpt_mod
from infogan_edu.checkpoint import CheckpointError, load_file
from infogan_edu.train import NonFiniteLossError, Trainer, TrainingInterrupted

from ._tiny import sigterm_at, tiny_config, tiny_data

X, Y = tiny_data()


def weights(t: Trainer) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in t.model.state_dict().items()}


@pytest.mark.slow
def test_history_is_plain_data_and_logs_l_i() -> None:
    t = Trainer(tiny_config(), X, X[:32], Y[:32], progress=False)
    after_d = []  # the model as each step's G phase sees it: D updated, G and Q not yet
    d_step = t.opt_d.step

    def step_and_keep(*args, **kwargs):
        out = d_step(*args, **kwargs)
        after_d.append(copy.deepcopy(t.model))
        return out

    t.opt_d.step = step_and_keep
    h = t.train()
    assert h.step == [2, 4, 6] and len(h.li_cat) == 3 and h.eval_step == [3, 6]
    assert all(isinstance(v, float) for v in h.li_cat + h.accuracy)
    # the first window (steps 1 and 2) recomputed: L_I = ln 10 - cross-entropy of Q's c1 logits on G(z, c),
    # with (z, c) drawn again from the trainer's latent stream (seeded seed + 1)
    rng = torch.Generator().manual_seed(t.config.seed + 1)
    li = []
    for model in after_d[:2]:
        latent = t.spec.sample(t.config.batch_size, rng)
        with torch.no_grad():
            logits = model.q_head(model.d.features(model.g(t.spec.to_input(latent)))).cat_logits[0]  # (B, 10)
        li.append(math.log(10) - F.cross_entropy(logits, latent.cat[:, 0]).item())
    assert h.li_cat[0] == pytest.approx(sum(li) / 2, abs=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("extra", [{}, {"lambda_invariance": 1.0}], ids=["plain", "invariance"])
def test_resume_equals_uninterrupted(tmp_path: Path, extra: dict) -> None:
    # with the invariance term, T's random draws continue from the saved generator too
    full = Trainer(tiny_config(steps=6, **extra), X, progress=False)
    full.train()
    first = Trainer(tiny_config(steps=6, **extra), X, out_dir=tmp_path, progress=False)
    first.train(steps=3)
    assert load_file(tmp_path / "checkpoint.pt")["step"] == 3
    resumed = Trainer.resume(tmp_path / "checkpoint.pt", X, progress=False)
    assert resumed.step == 3
    resumed.train()
    assert resumed.step == 6
    a, b = weights(full), weights(resumed)
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), f"{k} differs after resume"
    assert set(full.history.step) <= set(resumed.history.step)  # plus the window cut at step 3


@pytest.mark.slow
def test_atomic_save_survives_a_crash_mid_write(tmp_path: Path, monkeypatch) -> None:
    t = Trainer(tiny_config(), X, out_dir=tmp_path, progress=False)
    t.train(steps=3)
    path = tmp_path / "checkpoint.pt"
    before = path.read_bytes()
    real_save = torch.save

    def crash(obj, f, *a, **k):
        real_save({"partial": torch.zeros(10)}, f)  # some bytes reach the temporary file...
        raise OSError("disk full (simulated)")  # ...then the write fails

    monkeypatch.setattr(ckpt_mod.torch, "save", crash)
    with pytest.raises(OSError, match="simulated"):
        t.save(path)
    assert path.read_bytes() == before, "the previous checkpoint must be intact"
    assert list(tmp_path.glob("*.tmp")) == [], "no temporary file may be left behind"
    assert load_file(path)["step"] == 3


@pytest.mark.slow
def test_mismatched_checkpoint_is_refused(tmp_path: Path) -> None:
    t = Trainer(tiny_config(), X, out_dir=tmp_path, progress=False)
    t.train(steps=3)
    other = Trainer(tiny_config(width=0.25, categorical=(8,)), X, progress=False)
    with pytest.raises(CheckpointError) as e:
        other.load_state(load_file(tmp_path / "checkpoint.pt"), tmp_path / "checkpoint.pt")
    msg = str(e.value)
    assert "width" in msg and "categorical" in msg and "0.125" in msg


@pytest.mark.slow
def test_checkpoint_of_a_retired_experiment_is_refused_and_one_with_it_off_resumes(tmp_path: Path) -> None:
    t = Trainer(tiny_config(steps=6), X, out_dir=tmp_path, progress=False)
    t.train(steps=3)
    ckpt = load_file(tmp_path / "checkpoint.pt")
    old_off = {**ckpt["config"], "d_minibatch": 0, "lambda_warmup": 0, "d_batchnorm": "separate", "init": "pytorch"}
    torch.save({**ckpt, "config": {**old_off, "extra": {}}}, tmp_path / "checkpoint.pt")
    assert Trainer.resume(tmp_path / "checkpoint.pt", X, progress=False).step == 3
    torch.save({**ckpt, "config": {**old_off, "d_minibatch": 16}}, tmp_path / "checkpoint.pt")
    with pytest.raises(ValueError, match=r"TrainConfig\.d_minibatch=16, an experiment since removed.*d37abd5"):
        Trainer.resume(tmp_path / "checkpoint.pt", X, progress=False)


@pytest.mark.slow
def test_importing_the_trainer_does_not_import_matplotlib_or_pil() -> None:
    # imports run one way: training and its metrics below the plotting layer, with no circle back
    code = "import sys, infogan_edu.train; bad = {'matplotlib', 'PIL'} & set(sys.modules); assert not bad, bad"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


@pytest.mark.slow
def test_importing_the_trainer_does_not_import_scikit_learn() -> None:
    code = "import sys, infogan_edu.train; assert 'sklearn' not in sys.modules, 'sklearn was imported'"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_foreign_pickles_and_garbage_are_refused(tmp_path: Path) -> None:
    evil = tmp_path / "evil.pt"
    torch.save({"format": "infogan-edu/1", "payload": Path("/etc/passwd")}, evil)  # a non-tensor object
    with pytest.raises(CheckpointError, match="refused for safety"):
        load_file(evil)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable"):
        load_file(junk)
    with pytest.raises(CheckpointError, match="no checkpoint at"):
        load_file(tmp_path / "missing.pt")
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(2)}, other)
    with pytest.raises(CheckpointError, match="not an infogan-edu checkpoint"):
        load_file(other)


@pytest.mark.slow
def test_nan_stops_training_and_keeps_last_good_checkpoint(tmp_path: Path) -> None:
    t = Trainer(tiny_config(steps=10, ckpt_every=3, log_every=1), X, out_dir=tmp_path, progress=False)
    real_next = t.batcher.next

    def poisoned():
        x = real_next()
        return x * float("nan") if t.step >= 4 else x

    t.batcher.next = poisoned
    with pytest.raises(NonFiniteLossError) as e:
        t.train()
    assert "step 5" in str(e.value) and "last good checkpoint" in str(e.value) and "(step 3)" in str(e.value)
    good = load_file(tmp_path / "checkpoint.pt")
    assert good["step"] == 3
    assert all(torch.isfinite(v).all() for v in good["model"].values() if v.is_floating_point())


@pytest.mark.slow
def test_sigterm_saves_a_checkpoint_then_stops(tmp_path: Path) -> None:
    t = Trainer(tiny_config(steps=50, ckpt_every=100), X, out_dir=tmp_path, progress=False)
    sigterm_at(t, 4)
    with pytest.raises(TrainingInterrupted, match="SIGTERM at step 4"):
        t.train()
    assert load_file(tmp_path / "checkpoint.pt")["step"] == 4
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is restored


def test_progress_lines_prints_one_line_per_evaluation(capsys) -> None:
    """progress="lines" prints the step, L_I and accuracy at each evaluation: a log a stored notebook keeps."""
    from tests._tiny import tiny_config, tiny_data

    images, labels = tiny_data()
    trainer = Trainer(tiny_config(steps=4, eval_every=2, log_every=1), images, images, labels, progress="lines")
    trainer.train()
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["step     2 of 4", "step     4 of 4"]
    assert f"D loss {trainer.history.loss_d[-1]:.3f}, G loss {trainer.history.loss_g[-1]:.3f}" in lines[-1]
    assert f"L_I(c1) {trainer.history.li_cat[-1]:.3f} nats" in lines[-1]
    assert f"test accuracy {trainer.history.accuracy[-1]:.3f}" in lines[-1]
    plain = Trainer(tiny_config(steps=2, eval_every=2, log_every=1, lambda_cat=0.0), images, progress="lines")
    plain.train()
    assert "L_I" not in capsys.readouterr().out  # a plain GAN: nothing trains Q's categorical output
