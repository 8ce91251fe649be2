"""The kernel-free explorer's frames, checked against pictures made here from the model directly.

The reference never calls the library's latent or tiling helpers: it draws z with torch itself,
writes the one-hot block and the continuous codes into the generator input by hand, runs G and
tiles the 2 x 2 picture with plain array slicing. A frame may differ from it by one grey level at
most (G runs in a batch of 100 there and of 4 here, which can move a value across a rounding edge).
What the page does with the frames (the script) is tested in a browser by tests/test_site.py.
"""

from __future__ import annotations

import base64
import io
import json
import re

import numpy as np
import pytest
import torch
from PIL import Image

from infogan_edu.pretrained import load_pretrained
from infogan_edu.static_explorer import DEFAULT_SEEDS, DEFAULT_VALUES, StaticExplorer, static_explorer

VALUES = (-1.0, 0.0, 1.0)
SEEDS = (0, 5)
PAD_GREY = 64  # the library's padding value -0.5 in image units: round((-0.5 + 1) * 127.5) = 63.75 -> 64


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    net, _ = load_pretrained("mnist_cpu")
    return net


@pytest.fixture(scope="module")
def explorer(model) -> StaticExplorer:
    return static_explorer(model, values=VALUES, seeds=SEEDS)  # 2 seeds x 10 x 3 x 3 = 180 frames


def _decode(png: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(png))
    assert image.mode == "L", image.mode
    return np.asarray(image)


def _reference(model, seed: int, c1: int, c2: float, c3: float) -> np.ndarray:
    """G's 2 x 2 picture for the codes, made without the library's latent or tiling helpers."""
    spec = model.spec
    z = torch.randn(4, spec.noise, generator=torch.Generator().manual_seed(seed)) * spec.noise_scale  # (4, 62)
    assert spec.noise_prior == "normal"
    one_hot = torch.zeros(4, 10)
    one_hot[:, c1] = 1.0
    cont = torch.tensor([[c2, c3]]).repeat(4, 1)  # (4, 2)
    with torch.no_grad():
        images = model.g.eval()(torch.cat([z, one_hot, cont], dim=1))[:, 0].numpy()  # (4, 28, 28)
    pixels = np.clip(np.rint((images + 1.0) * 127.5), 0, 255)
    out = np.full((62, 62), PAD_GREY, np.float64)  # 2 * (28 + 2) + 2 = 62
    for i in range(4):
        top, left = 2 + (i // 2) * 30, 2 + (i % 2) * 30
        out[top:top + 28, left:left + 28] = pixels[i]
    return out


@pytest.mark.parametrize("seed, c1, c2, c3", [(0, 0, 0.0, 0.0), (0, 7, 1.0, -1.0), (5, 3, -1.0, 0.0), (5, 9, 1.0, 1.0)])
def test_frames_match_the_model(model, explorer: StaticExplorer, seed: int, c1: int, c2: float, c3: float) -> None:
    frame = _decode(explorer.frame(seed, {"c1": c1, "c2": c2, "c3": c3})).astype(np.float64)
    expected = _reference(model, seed, c1, c2, c3)
    assert frame.shape == expected.shape == (62, 62)
    assert np.abs(frame - expected).max() <= 1, "a frame is not G's picture for its seed and codes"
    assert (frame > 128).mean() > 0.05, "the frame should show bright strokes, not an empty picture"


def test_frame_order_is_seed_then_codes_last_fastest(explorer: StaticExplorer) -> None:
    # seed 5 is seed position 1; c1 = 3; c2 = 1.0 is position 2 of (-1, 0, 1); c3 = -1.0 position 0
    assert explorer.index(5, {"c1": 3, "c2": 1.0, "c3": -1.0}) == ((1 * 10 + 3) * 3 + 2) * 3 + 0 == 123
    assert len(explorer.frames) == 2 * 10 * 3 * 3 == 180
    assert explorer.frame_bytes == sum(len(f) for f in explorer.frames)


def test_codes_change_the_picture(explorer: StaticExplorer) -> None:
    base = {"c1": 0, "c2": 0.0, "c3": 0.0}
    frames = {explorer.frame(0, base), explorer.frame(0, {**base, "c1": 4}), explorer.frame(0, {**base, "c2": 1.0}),
              explorer.frame(0, {**base, "c3": -1.0}), explorer.frame(5, base)}
    assert len(frames) == 5, "each code, and the seed, must change the picture"


def test_html_is_self_contained_and_starts_at_the_middle(explorer: StaticExplorer) -> None:
    page = explorer.html()
    payload = json.loads(re.search(r'<script type="application/json" class="ise-data">(.*?)</script>', page).group(1))
    assert [base64.b64decode(f) for f in payload["frames"]] == list(explorer.frames)
    assert [a["name"] for a in payload["axes"]] == ["seed", "c1", "c2", "c3"]
    assert payload["axes"][2]["labels"] == ["-1.00", "+0.00", "+1.00"]
    first = re.search(r'<img class="ise-image"[^>]* src="data:image/png;base64,([^"]+)"', page).group(1)
    assert base64.b64decode(first) == explorer.frame(0, {"c1": 0, "c2": 0.0, "c3": 0.0})
    assert 'width="248"' in page, "62-pixel frames shown 4 times larger"
    # Nothing is loaded from anywhere: no URL other than data: and no external script or style.
    markup = re.sub(r'(<script type="application/json" class="ise-data">).*?(</script>)', r"\1\2", page)
    markup = re.sub(r"base64,[A-Za-z0-9+/=]+", "base64,", markup)  # base64 text may spell anything
    assert not re.search(r"(src|href)=\"(?!data:)", markup)
    assert "http" not in markup and "//" not in markup.replace("://", "")
    assert page == explorer.html(), "the same frames must give the same HTML (stored outputs reproduce)"
    assert explorer._repr_html_() == page
    assert "180 frames" in repr(explorer)


def test_rebuilding_gives_the_same_bytes(model, explorer: StaticExplorer) -> None:
    again = static_explorer(model, values=VALUES, seeds=SEEDS)
    assert again.frames == explorer.frames


def test_one_clear_error_each(model, explorer: StaticExplorer) -> None:
    with pytest.raises(ValueError, match="has no frames; this explorer has seeds"):
        explorer.index(3, {"c1": 0, "c2": 0.0, "c3": 0.0})
    with pytest.raises(ValueError, match="not on the grid"):
        explorer.index(0, {"c1": 0, "c2": 0.25, "c3": 0.0})
    with pytest.raises(ValueError, match="c3 is missing"):
        explorer.index(0, {"c1": 0, "c2": 0.0})
    with pytest.raises(ValueError, match="more than max_frames"):
        static_explorer(model, values=np.linspace(-1, 1, 41), seeds=range(3))
    with pytest.raises(ValueError, match="finite numbers"):
        static_explorer(model, values=[0.0, float("nan")])
    with pytest.raises(ValueError, match="distinct integers"):
        static_explorer(model, seeds=[1, 1])
    with pytest.raises(ValueError, match="LatentSpec"):
        static_explorer(torch.nn.Identity())


@pytest.mark.slow
def test_default_explorer_fits_the_page_budget(model) -> None:
    """The defaults: 3 seeds x 10 x 5 x 5 = 750 frames; about 1 MB in the page, well inside 3 MB."""
    full = static_explorer(model)
    assert len(full.frames) == len(DEFAULT_SEEDS) * 10 * len(DEFAULT_VALUES) ** 2 == 750
    assert 500 < full.frame_bytes / len(full.frames) < 1600, "a 62 x 62 grey PNG of four digits is about 1 kB"
    assert full.page_bytes < 1_500_000
