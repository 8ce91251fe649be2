"""Render3D heads and chairs: symmetry, what each factor does to the picture, determinism, factor checks,
the cached data set, and that every part fits in the bound the ray marcher starts from."""

import hashlib

import numpy as np
import pytest
import torch

from infogan_edu.data import batching
from infogan_edu.data import download as dl
from infogan_edu.data import raymarch as rm
from infogan_edu.data import render3d as r3
from infogan_edu.data.render3d import (
    CHAIR_FACTORS,
    HEAD_FACTORS,
    draw_chairs,
    draw_heads,
    load_heads,
    render3d_path,
    sample_chairs,
    sample_heads,
)


def mask(images: torch.Tensor) -> torch.Tensor:
    """The silhouette: the background is exactly 0, and any surface gets at least ambient light."""
    return images > 0


def rows_of(m: torch.Tensor) -> torch.Tensor:
    return m.any(1).nonzero().view(-1)


def cols_of(m: torch.Tensor) -> torch.Tensor:
    return m.any(0).nonzero().view(-1)


def random_heads(n: int, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    return tuple(rng.uniform(lo, hi, n) for lo, hi in HEAD_FACTORS.values())


# --- images and conventions ---------------------------------------------------------------------


def test_images_are_uint8_on_a_black_background():
    heads, hf = sample_heads(6, torch.Generator().manual_seed(0))
    chairs, cf = sample_chairs(6, torch.Generator().manual_seed(0))
    for images in (heads, chairs):
        assert images.dtype == torch.uint8 and images.shape == (6, 32, 32)
        assert (images[:, 0, :] == 0).all() and (images[:, :, 0] == 0).all()  # nothing touches the frame
        assert (mask(images).float().mean((1, 2)) > 0.1).all()  # and something is there
        assert int(images.max()) > 150
        x = batching.to_float_images(images)
        assert x.shape == (6, 1, 32, 32) and x.min() >= -1 and x.max() <= 1
    assert set(hf) == set(HEAD_FACTORS) and set(cf) == set(CHAIR_FACTORS)
    for name, (lo, hi) in HEAD_FACTORS.items():
        assert hf[name].dtype == torch.float32 and bool(((hf[name] >= lo) & (hf[name] <= hi)).all())
    assert cf["style"].dtype == torch.int64
    assert draw_heads([], [], [], []).shape == (0, 32, 32)


def test_sampled_factors_draw_the_sampled_images():
    images, f = sample_chairs(5, torch.Generator().manual_seed(4))
    assert torch.equal(images, draw_chairs(f["azimuth"], f["width"], f["style"], f["back_height"]))


# --- the head -----------------------------------------------------------------------------------


def test_mirrored_azimuth_and_light_give_the_mirror_image():
    az, el, li, w = random_heads(24, seed=1)
    a = draw_heads(az, el, li, w).int()
    b = draw_heads(-az, el, -li, w).flip(-1).int()
    assert int((a - b).abs().max()) <= 1  # exactly 0 by construction (raymarch's docstring)
    assert float((a - b).abs().float().mean()) < 0.01


def test_the_nose_points_where_the_head_turns():
    left, right = draw_heads([-90, 90], 0, 0, 1.0)
    # Not mirror images of each other with the light in front: the profiles face opposite ways, and
    # the face (nose forward) reaches further from the centre than the back of the head.
    for image, facing in ((right, 1), (left, -1)):
        cols = cols_of(mask(image)).float()
        front, back = (cols.max() - 15.5, 15.5 - cols.min()) if facing > 0 else (15.5 - cols.min(), cols.max() - 15.5)
        assert front > back + 1.5
    apart = float((left.int() - right.int()).abs().float().mean())
    assert apart > 10, apart


def test_light_moves_the_bright_side_and_nothing_else():
    lights = np.array([-90, -60, -30, 0, 30, 60, 90])
    images = draw_heads(0, 0, lights, 1.0)
    balance = [float(x[:, :16].float().mean() - x[:, 16:].float().mean()) for x in images]
    assert all(b > 5 for b in balance[:3]) and abs(balance[3]) < 1e-6 and all(b < -5 for b in balance[4:])
    assert all(torch.equal(mask(images[0]), mask(x)) for x in images)  # the silhouette does not move


def test_width_widens_the_silhouette_only():
    images = draw_heads(0, 0, 0, [0.8, 1.0, 1.2])
    widths = [len(cols_of(mask(x))) for x in images]
    assert widths[0] < widths[1] < widths[2]
    assert widths[2] - widths[0] >= 4  # 16 px of base width, scaled by 0.8 .. 1.2
    assert len({tuple(rows_of(mask(x)).tolist()) for x in images}) == 1  # same top and bottom rows


def test_elevation_moves_the_chin():
    images = draw_heads(0, [-30, 0, 30], 0, 1.0)
    bottoms = [int(rows_of(mask(x)).max()) for x in images]
    assert bottoms[0] > bottoms[1] > bottoms[2]  # chin up: the lowest point of the face rises
    widths = [len(cols_of(mask(x))) for x in images]
    assert max(widths) - min(widths) <= 2  # a nod about the left-right axis keeps the width (up to sampling)


def test_every_head_factor_changes_the_image():
    base = dict(azimuth=20.0, elevation=5.0, light=-30.0, width=1.0)
    ref = draw_heads(**base)[0].int()
    for name, (lo, hi) in HEAD_FACTORS.items():
        other = draw_heads(**{**base, name: hi if base[name] < (lo + hi) / 2 else lo})[0].int()
        assert float((ref - other).abs().float().mean()) > 2, name


# --- the chair ----------------------------------------------------------------------------------


def test_chair_styles_change_the_silhouette():
    straight, arms, round_ = (mask(x) for x in draw_chairs(30, 1.0, ["straight", "armchair", "round"], 1.0))
    assert not (straight & ~arms).any()  # the armchair is the straight chair plus arm rests
    assert int((arms & ~straight).sum()) >= 10
    assert int((straight ^ round_).sum()) >= 40  # round seat and legs, open back
    assert torch.equal(draw_chairs(30, 1.0, 2, 1.0), draw_chairs(30, 1.0, "round", 1.0))


def test_back_height_raises_the_tallest_column():
    images = draw_chairs(30, 1.0, 0, [0.6, 0.8, 1.0, 1.2, 1.4])
    tallest = [int(mask(x).sum(0).max()) for x in images]
    tops = [int(rows_of(mask(x)).min()) for x in images]
    assert tallest == sorted(set(tallest))  # strictly increasing
    assert tops == sorted(set(tops), reverse=True)  # strictly decreasing: the top row rises
    bottoms = [int(rows_of(mask(x)).max()) for x in images]
    assert len(set(bottoms)) == 1  # the legs stay where they are


def test_chair_width_and_azimuth():
    wide = [len(cols_of(mask(x))) for x in draw_chairs(0, [0.8, 1.2], 0, 1.0)]
    assert wide[0] + 4 <= wide[1]
    # The back, above everything else, is a wide slab from the front or the rear and a thin upright line
    # (0.08 of 1.9 units across the image: under 2 pixels) from the side.
    views = draw_chairs([0, 180, 90, -90], 1.0, 0, 1.0)
    for image, across in zip(views, ([13, 16], [13, 16], [1, 3], [1, 3]), strict=True):
        m = mask(image)
        top = int(rows_of(m).min())
        assert all(across[0] <= int(m[top + k].sum()) <= across[1] for k in range(6))
    turned = draw_chairs(np.linspace(-180, 135, 8), 1.0, 1, 1.0)
    assert len({x.numpy().tobytes() for x in turned}) == 8


# --- determinism and factor checks ----------------------------------------------------------------


def test_same_factors_same_image_whatever_the_batch():
    az, el, li, w = random_heads(12, seed=2)
    batch = draw_heads(az, el, li, w)
    assert torch.equal(batch, draw_heads(az, el, li, w))
    assert torch.equal(batch[3:5], draw_heads(az[3:5], el[3:5], li[3:5], w[3:5], chunk_size=1))
    assert torch.equal(batch[7], draw_heads(az[7], el[7], li[7], w[7])[0])
    styles = np.array([2, 0, 1, 0, 2])
    chairs = draw_chairs(np.linspace(-150, 150, 5), 1.1, styles, 0.9)
    assert torch.equal(chairs[1], draw_chairs(-75, 1.1, 0, 0.9)[0])  # the batch is drawn sorted by style


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: draw_heads(91, 0, 0, 1), r"azimuth: .*out of range; valid: numbers in \[-90, 90\] degrees"),
        (lambda: draw_heads(0, [0, float("nan")], 0, 1), r"elevation: \[nan\] out of range; valid: .*\[-30, 30\]"),
        (lambda: draw_heads(0, 0, -120, 1), r"light: .*\[-90, 90\] degrees"),
        (lambda: draw_heads(0, 0, 0, np.ones((2, 2))), r"width: shape \(2, 2\) .*\[0.8, 1.2\]"),
        (lambda: draw_heads(0, 0, 0, "wide"), r"width: not numbers .*\[0.8, 1.2\]"),
        (lambda: draw_heads([0, 1, 2], 0, 0, [1, 1]), r"one length N.*azimuth has 3, width has 2"),
        (lambda: draw_chairs(0, 1, "throne", 1), r"style: unknown style 'throne'; valid: 0..2 or a name in"),
        (lambda: draw_chairs(0, 1, 1.5, 1), r"style: \[1.5\] not a style; valid: 0..2"),
        (lambda: draw_chairs(0, 1, 3, 1), r"style: \[3.0\] not a style"),
        (lambda: draw_chairs(0, 1, 0, 1.5), r"back_height: \[1.5\] out of range; valid: .*\[0.6, 1.4\]"),
        (lambda: draw_chairs(181, 1, 0, 1), r"azimuth: .*\[-180, 180\] degrees"),
    ],
)
def test_bad_factors_are_refused_by_name_and_range(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_float32_factors_at_the_edge_of_the_range_are_accepted():
    # float32(1.2) is a little above 1.2: a value read back from a float32 table must still draw.
    assert draw_heads(np.float32(90), np.float32(-30), 0, np.float32(1.2)).shape == (1, 32, 32)


# --- the bounds the marcher starts from ---------------------------------------------------------


def grid(step: float = 0.025) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.arange(-1.1, 1.1 + step / 2, step, dtype=torch.float32)
    return tuple(t.reshape(-1) for t in torch.meshgrid(g, g, g, indexing="ij"))


@pytest.mark.parametrize("width", [0.8, 1.2])
def test_every_part_of_the_head_is_inside_its_bound(width):
    x, y, z = grid()
    n = x.shape[0]
    p = {"inv_width": torch.full((n,), 1 / width), "min_width": torch.full((n,), min(width, 1))}
    near = rm.head_sdf(x, y, z, p)
    (cx, cy, cz), (rx, ry, rz) = rm.HEAD_BOUND
    q = ((x - cx) / (rx * width)) ** 2 + ((y - cy) / ry) ** 2 + ((z - cz) / rz) ** 2
    assert int((near < 0.02).sum()) > 1000
    assert float(q[near < 0.02].max()) < 1


@pytest.mark.parametrize("style", [0, 1, 2])
def test_every_part_of_the_chair_is_inside_its_bound(style):
    x, y, z = grid()
    for width, back in ((0.8, 1.4), (1.2, 0.6)):
        p = rm.chair_params(np.array([width]), np.array([style]), np.array([back]))
        near = rm.chair_sdf(x, y, z, {k: v.expand(x.shape[0]) for k, v in p.items()}) < 0.005
        lo = torch.tensor(rm.CHAIR_BOX[0]) * torch.tensor([width, 1, 1])
        hi = torch.tensor(rm.CHAIR_BOX[1]) * torch.tensor([width, 1, 1]) + torch.tensor([0, rm.BACK_BASE * back, 0])
        points = torch.stack([x, y, z], 1)[near]
        assert points.shape[0] > 1000
        assert bool(((points > lo) & (points < hi)).all())


# --- the cached data set ------------------------------------------------------------------------


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(dl.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def sidecar(path):
    return path.with_name(path.name + ".sha256")


def test_a_written_data_set_loads_back_equal(cache, monkeypatch):
    images, factors = load_heads(n=10, seed=3)
    path = render3d_path("heads", 10, 3)
    assert path.parent.parent == cache and path.is_file()
    assert sidecar(path).read_text() == f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n"
    fresh, fresh_factors = sample_heads(10, torch.Generator().manual_seed(3))
    assert torch.equal(images, fresh) and all(torch.equal(factors[k], fresh_factors[k]) for k in HEAD_FACTORS)

    def no_render(*args):
        raise AssertionError("a good cache file was rendered again")

    monkeypatch.setattr(r3, "_sample", no_render)
    again, again_factors = load_heads(n=10, seed=3)
    assert torch.equal(again, images) and all(torch.equal(again_factors[k], factors[k]) for k in HEAD_FACTORS)
    assert r3.load_chairs.__doc__ and render3d_path("chairs", 10, 3) != path


@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "drop the sidecar", "stale images"])
def test_a_bad_cache_file_is_rendered_again(cache, damage):
    images, _ = load_heads(n=9, seed=5)
    path = render3d_path("heads", 9, 5)
    data = bytearray(path.read_bytes())
    if damage == "flip a byte":
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    elif damage == "truncate":
        path.write_bytes(bytes(data[: len(data) // 3]))
    elif damage == "drop the sidecar":
        sidecar(path).unlink()
    else:  # a well-formed file with a matching sidecar, written by "another renderer"
        with np.load(path) as npz:
            arrays = {k: npz[k] for k in npz.files}
        arrays["images"] = 255 - arrays["images"]
        with path.open("wb") as f:
            np.savez(f, **arrays)
        sidecar(path).write_text(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n")
    expected = {"stale images": "differ from this renderer", "drop the sidecar": "sidecar"}.get(damage, "SHA-256")
    with pytest.warns(UserWarning, match=expected):
        again, _ = load_heads(n=9, seed=5)
    assert torch.equal(again, images)
    assert sidecar(path).read_text().split()[0] == hashlib.sha256(path.read_bytes()).hexdigest()
    with np.load(path) as npz:
        assert np.array_equal(npz["images"], images.numpy())


def test_cache_arguments_are_checked(cache):
    with pytest.raises(ValueError, match="kind: unknown data set 'faces'"):
        render3d_path("faces")
    with pytest.raises(ValueError, match="n: 0 is not a positive integer"):
        load_heads(n=0)
    with pytest.raises(ValueError, match="seed: -1"):
        load_heads(n=5, seed=-1)
