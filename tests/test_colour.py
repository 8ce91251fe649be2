"""Colour end to end: training on uint8 (N, 3, H, W) (one seed and several), checkpoints that record the channels
and the network, the paper's SVHN and CelebA presets on a tiny CPU run, and RGB pictures in the sample grids and
both explorers."""

from __future__ import annotations

import base64
import io
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from matplotlib import pyplot as plt
from PIL import Image

from infogan_edu.checkpoint import CheckpointError, load_file
from infogan_edu.config import get_preset
from infogan_edu.latent import LatentSpec
from infogan_edu.multiseed import MultiSeedTrainer
from infogan_edu.plots import grid_png, show_samples, traversal_grid
from infogan_edu.pretrained import model_from_checkpoint
from infogan_edu.static_explorer import static_explorer
from infogan_edu.train import Trainer
from infogan_edu.widgets import TraversalExplorer

from ._tiny import tiny_config, tiny_data

COLOUR = np.random.default_rng(0).integers(0, 256, size=(256, 3, 32, 32), dtype=np.uint8)
DIGITS = np.random.default_rng(1).integers(0, 10, size=256).astype(np.uint8)


def tiny_colour(name: str = "svhn", **overrides):
    base = dict(width=0.0625, batch_size=16, steps=4, log_every=2, eval_every=4, ckpt_every=4, device="cpu")
    return get_preset(name, **{**base, **overrides})


# --- the presets, against the paper's Appendix C (C.2 SVHN, C.3 CelebA, and its common settings) ------------------
PAPER_TABLE = {
    # name: (noise, categorical codes, continuous codes, G's input, network)
    "svhn": (124, (10, 10, 10, 10), 4, 168, "svhn-celeba"),
    "celeba": (128, (10,) * 10, 0, 228, "svhn-celeba"),
}


@pytest.mark.parametrize("name", sorted(PAPER_TABLE))
def test_presets_follow_appendix_c(name: str) -> None:
    cfg = get_preset(name)
    noise, categorical, continuous, input_dim, network = PAPER_TABLE[name]
    assert (cfg.noise, cfg.categorical, cfg.continuous, cfg.network) == (noise, categorical, continuous, network)
    assert cfg.latent_spec().input_dim == input_dim
    assert (cfg.lr_d, cfg.lr_g, cfg.lambda_cat, cfg.betas[0]) == (2e-4, 1e-3, 1.0, 0.5)  # "unless noted otherwise"
    assert cfg.dataset == name and cfg.width == 1.0 and cfg.batch_size == 128


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PAPER_TABLE))
def test_cpu_dry_run_of_a_colour_preset(name: str, tmp_path: Path) -> None:
    """A few steps of the preset, at a small width, on 256 random colour images: finite losses, L_I logged,
    test accuracy scored where labels exist, a checkpoint that rebuilds the model."""
    labels = (COLOUR[:64], DIGITS[:64]) if name == "svhn" else (None, None)
    t = Trainer(tiny_colour(name), COLOUR, *labels, out_dir=tmp_path, progress=False)
    h = t.train()
    assert h.step == [2, 4] and all(math.isfinite(v) for v in h.loss_d + h.loss_g + h.li_cat)
    assert all(v <= sum(math.log(k) for k in PAPER_TABLE[name][1]) + 1e-4 for v in h.li_cat)  # L_I <= H(c)
    assert h.eval_step == ([4] if name == "svhn" else [])
    model = model_from_checkpoint(load_file(tmp_path / "checkpoint.pt"))
    latent = model.spec.sample(3, torch.Generator().manual_seed(0))
    assert model.g(model.spec.to_input(latent)).shape == (3, 3, 32, 32)


# --- training and checkpoints -------------------------------------------------------------------------------
def test_a_colour_run_records_its_channels_and_network_and_resumes(tmp_path: Path) -> None:
    t = Trainer(tiny_colour(steps=4), COLOUR, out_dir=tmp_path, progress=False)
    assert t.model.d.conv[0].in_channels == 3 and t.model.g.deconv[-1].out_channels == 3
    t.train(steps=2)
    ckpt = load_file(tmp_path / "checkpoint.pt")
    arch = ckpt["architecture"]
    assert (arch["channels"], arch["image_size"], arch["network"], arch["width"]) == (3, 32, "svhn-celeba", 0.0625)
    rebuilt = model_from_checkpoint(ckpt)
    for name, value in t.model.state_dict().items():
        assert torch.equal(rebuilt.state_dict()[name], value), name
    resumed = Trainer.resume(tmp_path / "checkpoint.pt", COLOUR, progress=False)
    assert resumed.step == 2 and resumed.train().step == [2, 4]
    with pytest.raises(CheckpointError) as info:  # the same run, continued on grayscale images
        Trainer.resume(tmp_path / "checkpoint.pt", COLOUR[:, 0], progress=False)
    assert "channels: checkpoint has 3, model has 1" in str(info.value)


def test_a_checkpoint_of_the_other_network_is_one_clear_error(tmp_path: Path) -> None:
    x, _ = tiny_data()
    Trainer(tiny_config(steps=2), x, out_dir=tmp_path, progress=False).train()  # Table 1's network, grayscale
    colour = Trainer(tiny_colour(), COLOUR, progress=False)
    with pytest.raises(CheckpointError) as info:
        colour.load_state(load_file(tmp_path / "checkpoint.pt"), tmp_path / "checkpoint.pt")
    message = str(info.value)
    assert "network: checkpoint has 'mnist', model has 'svhn-celeba'" in message
    assert "channels: checkpoint has 1, model has 3" in message and "image_size" in message


def test_a_checkpoint_from_before_the_network_field_still_loads(tmp_path: Path) -> None:
    x, _ = tiny_data()
    Trainer(tiny_config(steps=4), x, out_dir=tmp_path, progress=False).train(steps=2)
    path = tmp_path / "checkpoint.pt"
    ckpt = load_file(path)
    ckpt["architecture"].pop("network")
    ckpt["config"].pop("network")
    torch.save(ckpt, path)
    assert Trainer.resume(path, x, progress=False).step == 2
    assert model_from_checkpoint(load_file(path)).network == "mnist"


def test_several_colour_seeds_at_once_match_separate_runs() -> None:
    """The first step's losses come from the initial weights, so each seed's equal its own Trainer's (to float32
    rounding) and differ from the other seed's."""
    cfg = tiny_colour(steps=1, log_every=1)
    mst = MultiSeedTrainer(cfg, [0, 1], COLOUR, progress=False)
    histories = mst.train()
    singles = {s: Trainer(cfg.replace(seed=s), COLOUR, progress=False).train() for s in (0, 1)}
    for s in (0, 1):
        for metric in ("loss_d", "loss_g", "li_cat", "li_cont"):
            assert getattr(histories[s], metric) == pytest.approx(getattr(singles[s], metric), abs=1e-5), metric
    assert abs(histories[0].loss_g[0] - singles[1].loss_g[0]) > 1e-3


def test_training_images_must_be_square_with_one_or_three_channels() -> None:
    for shape in ((8, 3, 32, 28), (8, 4, 32, 32), (8, 32)):
        with pytest.raises(ValueError, match="training images must be square"):
            Trainer(tiny_colour(), np.zeros(shape, np.uint8), progress=False)


# --- RGB pictures -------------------------------------------------------------------------------------------
SPEC = LatentSpec(noise=2, categorical=(3, 2), continuous=1)
PURE = {0: (255, 0, 0), 1: (0, 255, 0), 2: (0, 0, 255)}  # c1 = 0, 1, 2: red, green, blue


class Paint(torch.nn.Module):
    """A stand-in for a trained colour G: every image is one colour, red, green or blue by c1 (the one-hot block
    of c1 follows the noise in G's input, so the colour channel k is +1 and the others -1)."""

    def __init__(self) -> None:
        super().__init__()
        self.spec = SPEC
        self.gain = torch.nn.Parameter(torch.ones(()))

    def forward(self, g_input: torch.Tensor) -> torch.Tensor:
        c1 = g_input[:, SPEC.noise : SPEC.noise + 3]  # (B, 3) one-hot
        return (self.gain * (2 * c1 - 1))[:, :, None, None].expand(-1, -1, 6, 6)  # (B, 3, 6, 6)


def rgb(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as image:
        assert image.mode == "RGB"
        return np.asarray(image)


def test_sample_grid_png_is_rgb() -> None:
    images = torch.tensor([[1.0, -1, -1], [-1, -1, 1]])[:, :, None, None].expand(-1, -1, 4, 4)  # red, blue
    picture = rgb(grid_png(images, nrow=2, padding=1))  # (1 + 4 + 1 + 4 + 1) wide, 6 high
    assert picture.shape == (6, 11, 3)
    assert picture[1:5, 1:5].reshape(-1, 3).tolist() == [[255, 0, 0]] * 16
    assert picture[1:5, 6:10].reshape(-1, 3).tolist() == [[0, 0, 255]] * 16
    assert picture[0, 0].tolist() == [64, 64, 64]  # the padding, grey in every channel


def test_figures_show_rgb() -> None:
    fig = show_samples(torch.tensor([[-1.0, 1, -1]])[:, :, None, None].expand(-1, -1, 4, 4), nrow=1)
    shown = fig.axes[0].get_images()[0].get_array()
    assert shown.shape[-1] == 3 and tuple(shown[3, 3]) == PURE[1]
    plt.close(fig)
    fig = traversal_grid(Paint(), SPEC, "c1", [0, 1, 2], "c3", [0.0])
    shown = fig.axes[0].get_images()[0].get_array()
    assert shown.shape == (2 + 3 * 8, 2 + 8, 3)  # three rows, one column of 6 x 6 tiles, each with 2 of padding
    assert [tuple(shown[2 + 8 * r + 3, 5]) for r in range(3)] == [PURE[0], PURE[1], PURE[2]]
    plt.close(fig)


def test_the_live_explorer_shows_rgb() -> None:
    explorer = TraversalExplorer(Paint(), grid=2, scale=1)
    assert rgb(explorer.image.value)[3, 3].tolist() == list(PURE[0])
    explorer.set(c1=2)
    assert rgb(explorer.image.value)[3, 3].tolist() == list(PURE[2])


def test_the_static_explorer_shows_rgb_and_controls_the_codes_asked_for() -> None:
    every = static_explorer(Paint(), values=(0.0, 1.0), seeds=(0,), grid=1)
    assert [name for name, _ in every.axes] == ["c1", "c2", "c3"] and len(every.frames) == 3 * 2 * 2
    one = static_explorer(Paint(), values=(0.0, 1.0), seeds=(0, 1), grid=1, codes=["c1"])
    assert [name for name, _ in one.axes] == ["c1"] and len(one.frames) == 2 * 3
    for k, colour in PURE.items():
        assert rgb(one.frame(1, {"c1": k}))[4, 4].tolist() == list(colour)
        assert one.frame(1, {"c1": k}) == every.frame(0, {"c1": k, "c2": 0, "c3": 0.0})  # the others at 0
    page = one.html()
    data = json.loads(re.search(r'<script type="application/json" class="ise-data">(.*?)</script>', page).group(1))
    assert [a["name"] for a in data["axes"]] == ["seed", "c1"]
    assert rgb(base64.b64decode(data["frames"][0]))[4, 4].tolist() == list(PURE[0])
    with pytest.raises(ValueError, match="codes must name"):
        static_explorer(Paint(), codes=["c1", "c1"])
    with pytest.raises(ValueError, match="c9"):
        static_explorer(Paint(), codes=["c9"])
