"""The command line, end to end on a tiny run (real MNIST from INFOGAN_EDU_DATA when present)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from infogan_edu.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_help_is_complete() -> None:
    out = subprocess.run([sys.executable, "-m", "infogan_edu", "train", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for flag in ("--dataset", "--preset", "--seed", "--out", "--steps", "--resume", "--lambda0-control"):
        assert flag in out.stdout
    out = subprocess.run([sys.executable, "-m", "infogan_edu", "eval", "--help"], capture_output=True, text=True)
    assert "checkpoint" in out.stdout


@pytest.mark.slow
def test_lambda0_control_flag_trains_the_control(tmp_path: Path, monkeypatch) -> None:
    from infogan_edu import cli
    from infogan_edu.checkpoint import load_file

    from ._tiny import tiny_data

    x, y = tiny_data()
    monkeypatch.setattr(cli, "_load_data", lambda dataset, root: (x, x[:32], y[:32]))
    args = ["train", "--preset", "cpu", "--steps", "2", "--no-progress", "--set", "width=0.125"]
    args += ["--set", "batch_size=16"]
    assert main([*args, "--out", str(tmp_path / "control"), "--lambda0-control"]) == 0
    assert load_file(tmp_path / "control" / "checkpoint.pt")["config"]["info_to_generator"] is False
    assert main([*args, "--out", str(tmp_path / "infogan")]) == 0
    assert load_file(tmp_path / "infogan" / "checkpoint.pt")["config"]["info_to_generator"] is True


def test_missing_checkpoint_is_one_clear_line(tmp_path: Path, capsys) -> None:
    assert main(["eval", str(tmp_path / "nope.pt")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no checkpoint at") and "Traceback" not in err


def hungarian_test_accuracy(path: Path) -> float:
    """The checkpoint's test accuracy computed here: argmax of Q's c1 logits on the MNIST test set (eval mode),
    then the one-to-one matching of categories to labels that maximises the hits."""
    import numpy as np
    import torch
    from scipy.optimize import linear_sum_assignment

    from infogan_edu.checkpoint import load_file
    from infogan_edu.data import load_mnist
    from infogan_edu.pretrained import model_from_checkpoint

    model = model_from_checkpoint(load_file(path), path)  # in eval mode
    images, labels = load_mnist("test")
    x = torch.from_numpy(np.asarray(images, dtype=np.float32)).unsqueeze(1) / 127.5 - 1  # (N, 1, 28, 28)
    with torch.no_grad():
        pred = torch.cat([model.q(b).cat_logits[0].argmax(1) for b in x.split(1000)]).numpy()  # (N,)
    hits = np.zeros((10, 10), dtype=np.int64)  # hits[category, label]
    np.add.at(hits, (pred, np.asarray(labels, dtype=np.int64)), 1)
    rows, cols = linear_sum_assignment(hits, maximize=True)
    return hits[rows, cols].sum() / len(labels)


@pytest.mark.slow
def test_train_resume_eval_export(tmp_path: Path, capsys, monkeypatch) -> None:
    from infogan_edu.data import find_dataset

    if find_dataset("mnist") is None:
        pytest.skip("MNIST not found locally (set INFOGAN_EDU_DATA to a folder with mnist/)")
    out = tmp_path / "run"
    common = ["--preset", "cpu", "--seed", "1", "--out", str(out), "--no-progress"]
    assert main(["train", *common, "--steps", "20"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 20
    assert main(["train", *common, "--steps", "20"]) == 2  # refuses to overwrite
    assert "--resume" in capsys.readouterr().err
    assert main(["train", *common, "--steps", "30", "--resume"]) == 0
    assert json.loads((out / "summary.json").read_text())["steps"] == 30
    capsys.readouterr()
    assert main(["eval", str(out / "checkpoint.pt")]) == 0
    text = capsys.readouterr().out
    assert "test accuracy (Hungarian)" in text and "NMI" in text and "final L_I" in text
    printed = float(text.split("test accuracy (Hungarian): ")[1].split()[0])
    assert printed == pytest.approx(hungarian_test_accuracy(out / "checkpoint.pt"), abs=1e-4)
    assert main(["export", str(out / "checkpoint.pt"), "--out", str(tmp_path / "small.pt")]) == 0
    meta = json.loads((tmp_path / "small.pt.json").read_text())
    assert meta["steps"] == 30 and len(meta["sha256"]) == 64


def test_set_overrides_are_typed_by_their_field() -> None:
    from infogan_edu.cli import parse_overrides

    got = parse_overrides(
        ["compile=false", "bf16=True", "lr_d=4e-4", "steps=10", "categorical=10,4", "noise_prior=normal"]
    )
    assert got == {
        "compile": False,
        "bf16": True,
        "lr_d": 4e-4,
        "steps": 10,
        "categorical": (10, 4),
        "noise_prior": "normal",
    }
    assert parse_overrides(["channels_last=none"]) == {"channels_last": None}
    for bad, words in (
        ("warp=9", "FIELD one of"),
        ("steps=ten", "default of steps is 5000"),
        ("bf16=maybe", "true or false"),
        ("lr_d", "FIELD=VALUE"),
    ):
        with pytest.raises(ValueError, match=words):
            parse_overrides([bad])


@pytest.mark.slow
def test_set_reaches_the_run_and_bad_values_are_one_line(tmp_path: Path, capsys) -> None:
    from infogan_edu.data import find_dataset

    assert main(["train", "--preset", "cpu", "--out", str(tmp_path / "x"), "--set", "lr_d=-1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: TrainConfig.lr_d must be a finite number > 0") and "Traceback" not in err
    if find_dataset("mnist") is None:
        pytest.skip("MNIST not found locally (set INFOGAN_EDU_DATA to a folder with mnist/)")
    out = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "--preset",
                "cpu",
                "--out",
                str(out),
                "--no-progress",
                "--steps",
                "4",
                "--set",
                "lr_d=3e-4",
                "--set",
                "eval_every=2",
            ]
        )
        == 0
    )
    summary = json.loads((out / "summary.json").read_text())
    assert sorted(summary["overrides"]) == ["eval_every=2", "lr_d=0.0003"] and summary["fast_path"]["channels_last"]
    from infogan_edu.checkpoint import load_file

    assert load_file(out / "checkpoint.pt")["config"]["lr_d"] == 3e-4
    # a resumed run keeps its configuration: --set may repeat a recorded value, not change one
    resume = ["train", "--out", str(out), "--no-progress", "--resume", "--steps", "6"]
    capsys.readouterr()
    assert main([*resume, "--set", "lr_d=1e-4"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --set lr_d=0.0001, but") and "drop that --set" in err and "Traceback" not in err
    assert main([*resume, "--set", "lr_d=3e-4"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 6 and sorted(summary["overrides"]) == ["eval_every=2", "lr_d=0.0003"]


@pytest.mark.parametrize(
    ("argv", "dataset"),
    [
        (["--preset", "svhn"], "svhn"),  # a preset trains on its own data unless --dataset says otherwise
        (["--preset", "celeba"], "celeba"),
        (["--preset", "cpu"], "mnist"),
        (["--preset", "cpu", "--dataset", "fashion-mnist"], "fashion-mnist"),
        (["--preset", "svhn", "--dataset", "mnist"], "mnist"),
    ],
)
def test_a_preset_brings_its_own_data(argv: list[str], dataset: str) -> None:
    from infogan_edu.cli import _config, _parser

    args = _parser().parse_args(["train", *argv, "--out", "unused"])
    assert _config(args, {}).dataset == dataset


@pytest.mark.parametrize(("dataset", "scored"), [("mnist", True), ("svhn", True), ("celeba", False)])
def test_eval_refuses_data_without_class_labels(tmp_path: Path, capsys, dataset: str, scored: bool) -> None:
    from infogan_edu.data import has_class_labels
    from infogan_edu.train import Trainer
    from tests._tiny import tiny_config, tiny_data

    assert has_class_labels(dataset) is scored
    if scored:
        return
    ckpt = Trainer(tiny_config(steps=1, dataset=dataset), tiny_data()[0], progress=False).save(tmp_path / "c.pt")
    assert main(["eval", str(ckpt)]) != 0
    err = capsys.readouterr().err
    assert "no class labels" in err and err.count("\n") == 1
