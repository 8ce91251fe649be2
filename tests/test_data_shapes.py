"""The procedural Shapes dataset: index order, geometry, symmetries and speed."""

import math
import time

import numpy as np
import pytest
import torch

from infogan_edu.data import shapes as sh
from infogan_edu.data.shapes import (
    N_SHAPES,
    SHAPES_FACTORS,
    ShapesDataset,
    draw_shapes,
    render_shapes,
    sample_shapes,
    shapes_factors,
    shapes_index,
)


def test_size_and_factor_grid():
    assert N_SHAPES == 737_280 == 3 * 6 * 40 * 32 * 32
    assert sh.SHAPES_SIZES == (3, 6, 40, 32, 32)
    np.testing.assert_allclose(SHAPES_FACTORS["scale"], np.linspace(0.5, 1, 6))
    np.testing.assert_allclose(SHAPES_FACTORS["orientation"], np.linspace(0, 2 * np.pi, 40))
    np.testing.assert_allclose(SHAPES_FACTORS["pos_x"], np.linspace(0, 1, 32))
    np.testing.assert_allclose(SHAPES_FACTORS["pos_y"], np.linspace(0, 1, 32))


def test_index_order_is_dsprites_order():
    # dSprites: latents (color, shape, scale, orientation, posX, posY), row-major, posY fastest.
    assert shapes_index(0, 0, 0, 0, 1) == 1
    assert shapes_index(0, 0, 0, 1, 0) == 32
    assert shapes_index(0, 0, 1, 0, 0) == 32 * 32
    assert shapes_index(0, 1, 0, 0, 0) == 40 * 32 * 32
    assert shapes_index("ellipse", 0, 0, 0, 0) == 6 * 40 * 32 * 32
    assert shapes_index("heart", 5, 39, 31, 31) == N_SHAPES - 1
    rng = np.random.default_rng(0)
    classes = np.stack([rng.integers(0, s, 500) for s in sh.SHAPES_SIZES])  # (5, 500)
    expected = np.ravel_multi_index(tuple(classes), (1, *sh.SHAPES_SIZES)[1:])
    np.testing.assert_array_equal(shapes_index(*classes), expected)


def test_index_round_trip():
    indices = torch.randint(N_SHAPES, (1000,), generator=torch.Generator().manual_seed(1))
    factors = shapes_factors(indices)
    back = shapes_index(*(factors["index"][n].numpy() for n in sh.SHAPES_FACTOR_NAMES))
    np.testing.assert_array_equal(back, indices.numpy())
    for name in sh.SHAPES_FACTOR_NAMES:
        table = torch.as_tensor(SHAPES_FACTORS[name], dtype=torch.float32)
        assert torch.equal(factors["value"][name], table[factors["index"][name]])


def test_out_of_range_is_rejected():
    with pytest.raises(ValueError, match="orientation"):
        shapes_index(0, 0, 40, 0, 0)
    with pytest.raises(ValueError, match="shape"):
        shapes_index("triangle", 0, 0, 0, 0)
    with pytest.raises(ValueError):
        render_shapes([N_SHAPES])


def test_images_are_binary_inside_the_frame():
    # Largest scale, 45 degrees (the widest square), at every corner of the position grid.
    corners = [(x, y) for x in (0, 31) for y in (0, 31)]
    idx = [shapes_index(s, 5, o, x, y) for s in range(3) for o in (0, 5, 15) for x, y in corners]
    images, factors = render_shapes(idx)
    assert images.shape == (len(idx), 64, 64) and images.dtype == torch.uint8
    assert set(images.unique().tolist()) == {0, 1}
    assert (images.flatten(1).sum(1) > 0).all()
    border = torch.cat([images[:, 0], images[:, -1], images[:, :, 0], images[:, :, -1]], dim=1)
    assert border.sum() == 0
    assert set(factors) == {"index", "value"}


def test_area_grows_with_scale():
    for shape in range(3):
        images, _ = render_shapes([shapes_index(shape, s, 3, 16, 16) for s in range(6)])
        areas = images.flatten(1).sum(1).tolist()
        assert all(a < b for a, b in zip(areas, areas[1:], strict=False)), (shape, areas)
        assert areas[-1] / areas[0] == pytest.approx(4, rel=0.35)  # area ~ scale**2


def test_centroid_follows_position():
    grid = torch.arange(64, dtype=torch.float32)
    for shape in range(3):
        for px, py in [(0, 0), (10, 25), (31, 5), (31, 31)]:
            image = render_shapes([shapes_index(shape, 4, 0, px, py)])[0][0].float()
            col = float((image.sum(0) * grid).sum() / image.sum())
            row = float((image.sum(1) * grid).sum() / image.sum())
            expected_col = sh.MARGIN + SHAPES_FACTORS["pos_x"][px] * sh.SPAN
            expected_row = sh.MARGIN + SHAPES_FACTORS["pos_y"][py] * sh.SPAN
            assert col == pytest.approx(expected_col, abs=0.5)  # posX -> column
            tol = 0.5 if shape < 2 else 1.5  # the heart's mass sits a little above its box centre
            assert row == pytest.approx(expected_row, abs=tol)  # posY -> row


def _differ(a: torch.Tensor, b: torch.Tensor) -> int:
    return int((a != b).sum())


@pytest.mark.parametrize("angle", [0.0, 0.3, 1.0, 2.0])
def test_square_has_quarter_turn_symmetry(angle):
    images = draw_shapes(0, 1.0, [angle, angle + math.pi / 2], 0.4, 0.6)
    assert _differ(images[0], images[1]) <= 2


@pytest.mark.parametrize("angle", [0.0, 0.7, 2.5])
def test_ellipse_has_half_turn_symmetry(angle):
    images = draw_shapes(1, 0.8, [angle, angle + math.pi, angle + math.pi / 2], 0.5, 0.5)
    assert _differ(images[0], images[1]) <= 2
    assert _differ(images[0], images[2]) > 20  # but not quarter-turn symmetry


def test_heart_is_mirror_symmetric():
    for o, px in [(0, 3), (7, 12), (20, 16)]:
        heart = render_shapes([shapes_index("heart", 5, o, px, 9)])[0][0]
        mirrored = render_shapes([shapes_index("heart", 5, 39 - o, 31 - px, 9)])[0][0]
        assert _differ(heart.flip(-1), mirrored) <= 2  # mirror image = opposite angle, mirrored x
    upright, turned = draw_shapes(2, 1.0, [0.0, math.pi], 0.5, 0.5)
    assert _differ(upright, turned.flip(-2)) <= 2  # turned over = upside down


def test_full_turn_equals_no_turn():
    images, _ = render_shapes([shapes_index(s, 4, o, 10, 20) for s in range(3) for o in (0, 39)])
    for s in range(3):
        assert _differ(images[2 * s], images[2 * s + 1]) <= 2


def test_rendering_is_deterministic_and_chunk_independent():
    idx = torch.randint(N_SHAPES, (300,), generator=torch.Generator().manual_seed(2))
    a, _ = render_shapes(idx, chunk_size=1024)
    b, _ = render_shapes(idx.numpy(), chunk_size=7)
    assert torch.equal(a, b)


def test_sample_shapes_and_dataset_agree():
    images, factors, indices = sample_shapes(16, torch.Generator().manual_seed(3))
    again, _, same = sample_shapes(16, torch.Generator().manual_seed(3))
    assert torch.equal(indices, same) and torch.equal(images, again)
    data = ShapesDataset(indices)
    assert len(data) == 16 and len(ShapesDataset()) == N_SHAPES
    image, classes = data[5]
    assert torch.equal(image, images[5])
    assert classes.tolist() == [int(factors["index"][n][5]) for n in sh.SHAPES_FACTOR_NAMES]


def test_ten_thousand_images_render_in_under_five_seconds():
    idx = torch.randint(N_SHAPES, (10_000,), generator=torch.Generator().manual_seed(4))
    start = time.perf_counter()
    images, _ = render_shapes(idx)
    elapsed = time.perf_counter() - start
    assert images.shape == (10_000, 64, 64)
    assert elapsed < 5.0, f"rendering 10,000 shapes took {elapsed:.1f} s"


def _reference(shape: int, scale: float, angle: float, pos_x: float, pos_y: float) -> torch.Tensor:
    """Brute force: evaluate the implicit function at all 64 x 64 pixel centres."""
    grid = torch.arange(64, dtype=torch.float32)
    cx, cy = sh.MARGIN + pos_x * sh.SPAN, sh.MARGIN + pos_y * sh.SPAN
    dx = (grid - cx).view(1, 64)  # right of the centre
    dy = (cy - grid).view(64, 1)  # above the centre
    inv = 1.0 / (scale * sh.HALF_SIZE)
    c = torch.cos(torch.tensor(angle, dtype=torch.float32)) * inv
    s = torch.sin(torch.tensor(angle, dtype=torch.float32)) * inv
    return (sh._IMPLICIT[shape](c * dx + s * dy, c * dy - s * dx) <= 0).to(torch.uint8)


def test_window_rendering_matches_the_full_frame():
    """Shapes are only evaluated near their centre; nothing may be cut off, even off the grid."""
    rng = np.random.default_rng(5)
    cases = [(int(rng.integers(3)), *rng.uniform([0.5, 0, 0, 0], [1, 2 * np.pi, 1, 1])) for _ in range(40)]
    cases += [(0, 1.0, math.pi / 4, x, y) for x in (0.0, 1.0) for y in (0.0, 1.0)]
    cases += [(0, 1.7, 0.3, -0.1, 1.1), (2, 2.5, 1.0, 0.5, 0.0), (1, 6.0, 0.2, 0.5, 0.5)]  # off the grid
    columns = [np.array(c, dtype=np.float32) for c in zip(*cases, strict=True)]
    images = draw_shapes(columns[0].astype(np.int64), *columns[1:], chunk_size=16)
    for image, case in zip(images, cases, strict=True):
        assert torch.equal(image, _reference(*case)), case
