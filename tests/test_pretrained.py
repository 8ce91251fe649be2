"""Exported (fp16) checkpoints: small, hash-verified on load, rebuilt into the right architecture."""

import json
from pathlib import Path

import pytest
import torch

from infogan_edu import pretrained
from infogan_edu.checkpoint import CheckpointError, export_weights, load_file
from infogan_edu.train import Trainer

from ._tiny import tiny_config, tiny_data


@pytest.fixture()
def shipped(tmp_path: Path, monkeypatch) -> Path:
    x, _ = tiny_data()
    t = Trainer(tiny_config(), x, out_dir=tmp_path / "run", progress=False)
    t.train(steps=2)
    export_weights(load_file(tmp_path / "run" / "checkpoint.pt"), tmp_path / "ship" / "toy.pt", {"test_accuracy": 0.5})
    monkeypatch.setattr(pretrained, "CHECKPOINT_DIR", tmp_path / "ship")
    return tmp_path / "ship" / "toy.pt"


def test_export_is_fp16_and_loads_back(shipped: Path) -> None:
    state = load_file(shipped)["model"]
    assert all(v.dtype == torch.float16 for v in state.values() if v.is_floating_point())
    model, info = pretrained.load_pretrained("toy")
    assert info["test_accuracy"] == 0.5 and model.width == 0.125 and not model.training
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert pretrained.available_pretrained() == ["toy"]


def test_tampered_file_is_refused(shipped: Path) -> None:
    data = bytearray(shipped.read_bytes())
    data[len(data) // 2] ^= 0xFF
    shipped.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="SHA-256"):
        pretrained.load_pretrained("toy")


def test_unknown_name_lists_what_exists(shipped: Path) -> None:
    with pytest.raises(CheckpointError, match="available: \\['toy'\\]"):
        pretrained.load_pretrained("nope")


def test_sidecar_records_hash_and_size(shipped: Path) -> None:
    meta = json.loads(Path(str(shipped) + ".json").read_text())
    assert meta["bytes"] == shipped.stat().st_size and len(meta["sha256"]) == 64


def test_shipped_checkpoint_if_present() -> None:
    if "mnist_cpu" not in pretrained.available_pretrained():
        pytest.skip("no shipped mnist_cpu checkpoint in this checkout")
    model, info = pretrained.load_pretrained("mnist_cpu")
    assert info["file"] == "mnist_cpu.pt" and "command" in info and info["steps"] > 0
    assert (pretrained.CHECKPOINT_DIR / "mnist_cpu.pt").stat().st_size < 30e6
    assert model.g(model.spec.to_input(model.spec.sample(2))).shape == (2, 1, 28, 28)
