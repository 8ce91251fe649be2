import math

import pytest
import torch

from infogan_edu.latent import Latent, LatentSpec

MNIST = LatentSpec(noise=62, categorical=(10,), continuous=2)


def test_layout_and_entropy() -> None:
    assert MNIST.input_dim == 74
    assert MNIST.q_output_dim == 10 + 4
    assert MNIST.layout() == {"z": slice(0, 62), "cat0": slice(62, 72), "cont": slice(72, 74)}
    assert MNIST.categorical_entropy() == pytest.approx(math.log(10))
    assert MNIST.continuous_entropy() == pytest.approx(2 * math.log(2))
    assert [c.name for c in MNIST.codes] == ["c1", "c2", "c3"]


def test_sampling_ranges_and_input_layout() -> None:
    g = torch.Generator().manual_seed(0)
    lat = MNIST.sample(5000, g)
    assert lat.z.shape == (5000, 62) and lat.cat.shape == (5000, 1) and lat.cont.shape == (5000, 2)
    assert lat.z.min() >= -1 and lat.z.max() <= 1  # uniform noise prior by default
    assert lat.cont.min() >= -1 and lat.cont.max() <= 1
    counts = torch.bincount(lat.cat[:, 0], minlength=10)
    assert counts.min() > 400  # roughly uniform over 10 categories
    x = MNIST.to_input(lat)
    assert x.shape == (5000, 74)
    lay = MNIST.layout()
    assert torch.equal(x[:, lay["cat0"]].argmax(1), lat.cat[:, 0])
    assert torch.equal(x[:, lay["cat0"]].sum(1), torch.ones(5000))
    assert torch.equal(x[:, lay["cont"]], lat.cont)
    assert torch.equal(x[:, lay["z"]], lat.z)


def test_normal_prior() -> None:
    lat = LatentSpec(noise=8, noise_prior="normal").sample(4000, torch.Generator().manual_seed(1))
    assert lat.z.abs().max() > 1.5  # a Gaussian leaves [-1, 1]


def test_traversal_sweeps_one_code_only() -> None:
    base = MNIST.sample(1, torch.Generator().manual_seed(0))
    t = MNIST.traversal("c2", [-2.0, 0.0, 2.0], base)
    assert torch.equal(t.cont[:, 0], torch.tensor([-2.0, 0.0, 2.0]))
    assert torch.equal(t.cont[:, 1], base.cont[:, 1].expand(3))
    assert torch.equal(t.z, base.z.expand(3, -1))
    assert torch.equal(t.cat, base.cat.expand(3, -1))
    c = MNIST.traversal("c1", range(10), base)
    assert c.cat[:, 0].tolist() == list(range(10))
    with pytest.raises(ValueError, match="c1 is categorical"):
        MNIST.traversal("c1", [10], base)
    with pytest.raises(ValueError, match="no code named 'c9'"):
        MNIST.traversal("c9", [0], base)


def test_grid_is_row_major() -> None:
    grid = MNIST.grid("c1", range(3), "c2", [-1.0, 1.0], generator=torch.Generator().manual_seed(0))
    assert isinstance(grid, Latent) and grid.z.shape == (6, 62)
    assert grid.cat[:, 0].tolist() == [0, 0, 1, 1, 2, 2]
    assert grid.cont[:, 0].tolist() == [-1.0, 1.0] * 3
    assert torch.equal(grid.z, grid.z[:1].expand(6, -1))


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"noise": 0}, "noise"),
        ({"noise": -3}, "noise"),
        ({"noise": 2.5}, "noise"),
        ({"noise": True}, "noise"),
        ({"categorical": (10, 1)}, r"categorical\[1\]"),
        ({"categorical": "10"}, "categorical"),
        ({"continuous": -1}, "continuous"),
        ({"noise_prior": "cauchy"}, "noise_prior"),
        ({"categorical": (), "continuous": 0}, "at least one code"),
    ],
)
def test_invalid_specs_name_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        LatentSpec(**kwargs)


def test_round_trip_dict() -> None:
    assert LatentSpec.from_dict(MNIST.to_dict()) == MNIST


def test_noise_scale() -> None:
    lat = LatentSpec(noise=8, noise_scale=0.25).sample(2000, torch.Generator().manual_seed(0))
    assert lat.z.abs().max() <= 0.25 and lat.z.abs().max() > 0.24
    with pytest.raises(ValueError, match="noise_scale"):
        LatentSpec(noise_scale=0)
