"""The reference reader of Shapes images: the redraw against the renderer's own images, the distances against
hand-computed values, and the shipped reader against real Shapes and a shape that is not one of the three."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from infogan_edu.checkpoint import CheckpointError
from infogan_edu.data.shapes import IMAGE_SIZE, sample_shapes
from infogan_edu.shapes_reader import _wasserstein_1d, judge, load_reader, read, redraw_iou


def test_the_redraw_of_the_true_factors_is_the_image_itself() -> None:
    images, factors, _ = sample_shapes(200, torch.Generator().manual_seed(0))
    truth = {
        "shape": factors["index"]["shape"],
        "placement": torch.stack([factors["value"][k] for k in ("scale", "pos_x", "pos_y")], dim=1),
    }
    assert torch.equal(redraw_iou(images, truth), torch.ones(200))  # the true angle is one of the 39 tried


def test_wasserstein_of_a_shifted_sample_is_the_shift() -> None:
    a = torch.rand(5000, generator=torch.Generator().manual_seed(1))
    assert _wasserstein_1d(a, a + 0.1) == pytest.approx(0.1, abs=1e-6)
    assert _wasserstein_1d(a, a) == 0.0


def _discs(n: int, radius: float) -> torch.Tensor:
    """Filled discs at random centres, uint8 (n, 64, 64) in {0, 1}: a blob, none of the three shapes."""
    g = torch.Generator().manual_seed(2)
    centre = 16 + 32 * torch.rand(n, 2, generator=g)  # (n, 2)
    yy, xx = torch.meshgrid(torch.arange(IMAGE_SIZE), torch.arange(IMAGE_SIZE), indexing="ij")
    d2 = (yy - centre[:, 0, None, None]) ** 2 + (xx - centre[:, 1, None, None]) ** 2  # (n, 64, 64)
    return (d2 <= radius**2).to(torch.uint8)


def test_the_shipped_reader_reads_real_shapes_and_calls_a_disc_none_of_them() -> None:
    reader = load_reader()
    real, factors, _ = sample_shapes(1000, torch.Generator().manual_seed(3))
    verdict = read(reader, real)
    assert float((verdict["shape"] == factors["index"]["shape"]).float().mean()) > 0.9
    centre_error = (verdict["placement"][:, 1] - factors["value"]["pos_x"]).abs().mean()
    assert float(centre_error) < 0.03  # of the canvas span: about a pixel
    on_real = judge(reader, real, real)
    assert on_real["redrawn"] >= 0.9 and on_real["w1_pos_x"] < 0.005  # the bar: the real images' 10th percentile
    assert on_real["none"] < 0.01 and on_real["confident"] > 0.85
    for radius in (4.0, 6.0, 8.0):  # a blob of a shape's size is not a square, an ellipse or a heart
        on_discs = judge(reader, _discs(300, radius), real)
        assert on_discs["confident"] < 0.1 and on_discs["none"] > 0.9, (radius, on_discs)


def test_load_reader_refuses_a_missing_sidecar_and_another_network(tmp_path) -> None:
    from infogan_edu.pretrained import CHECKPOINT_DIR

    lone = tmp_path / "reader.pt"
    shutil.copy(CHECKPOINT_DIR / "shapes_reader.pt", lone)
    with pytest.raises(CheckpointError, match="make one with"):
        load_reader(lone)
    other = tmp_path / "model.pt"
    shutil.copy(CHECKPOINT_DIR / "shapes_infogan_s0.pt", other)
    sidecar = json.loads((CHECKPOINT_DIR / "shapes_infogan_s0.pt.json").read_text())
    (tmp_path / "model.pt.json").write_text(json.dumps(sidecar))
    with pytest.raises(CheckpointError, match="not a Shapes reader"):
        load_reader(other)
