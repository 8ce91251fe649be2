"""2-D Gaussian mixtures and the mode-coverage score."""

import math

import pytest
import torch

from infogan_edu.data.toys import (
    grid_centres,
    grid_of_gaussians,
    mode_counts,
    mode_coverage,
    ring_centres,
    ring_of_gaussians,
)


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_ring_centres():
    c = ring_centres(8, 2.0)
    assert c.shape == (8, 2) and c.dtype == torch.float32
    torch.testing.assert_close(c.norm(dim=1), torch.full((8,), 2.0))
    torch.testing.assert_close(c[0], torch.tensor([2.0, 0.0]))
    torch.testing.assert_close(c[2], torch.tensor([0.0, 2.0]), atol=1e-6, rtol=0)
    gaps = (c - c.roll(1, 0)).norm(dim=1)
    torch.testing.assert_close(gaps, torch.full((8,), 2 * 2.0 * math.sin(math.pi / 8)))


def test_grid_centres():
    c = grid_centres(5, 2.0)
    assert c.shape == (25, 2)
    torch.testing.assert_close(c.mean(0), torch.zeros(2))
    assert sorted(set(c[:, 0].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert len({tuple(p) for p in c.tolist()}) == 25


def test_samples_are_float32_reproducible_and_near_centres():
    for sampler, centres, std in [
        (ring_of_gaussians, ring_centres(), 0.02),
        (grid_of_gaussians, grid_centres(), 0.05),
    ]:
        x = sampler(4000, gen(1))
        assert x.shape == (4000, 2) and x.dtype == torch.float32
        assert torch.equal(x, sampler(4000, gen(1)))
        assert not torch.equal(x, sampler(4000, gen(2)))
        nearest = torch.cdist(x, centres).min(dim=1).values
        assert nearest.mean() == pytest.approx(std * math.sqrt(math.pi / 2), rel=0.1)  # Rayleigh mean


def test_true_samples_cover_every_mode():
    n_covered, quality = mode_coverage(ring_of_gaussians(2000, gen()), ring_centres(), std=0.02)
    assert n_covered == 8 and quality > 0.97
    n_covered, quality = mode_coverage(grid_of_gaussians(5000, gen()), grid_centres(), std=0.05)
    assert n_covered == 25 and quality > 0.97


def test_collapsed_generator_covers_few_modes():
    x = ring_of_gaussians(3000, gen(), modes=3, radius=2.0)  # modes at 0, 120 and 240 degrees
    centres = ring_centres(8, 2.0)  # modes every 45 degrees: only the one at 0 degrees is shared
    # A third of the samples sit on a true mode; the rest fall between two modes.
    n_covered, quality = mode_coverage(x, centres, std=0.02)
    assert n_covered == 1 and quality == pytest.approx(1 / 3, abs=0.05)


def test_far_samples_are_low_quality():
    x = torch.zeros(500, 2)  # the centre of the ring is 2.0 from every mode
    assert mode_coverage(x, ring_centres(), std=0.02) == (0, 0.0)


def test_min_count_ignores_a_few_strays():
    centres = ring_centres()
    x = torch.cat([centres[0].expand(1000, 2), centres[1].expand(2, 2)])
    assert mode_counts(x, centres, std=0.02).tolist() == [1000, 2, 0, 0, 0, 0, 0, 0]
    assert mode_coverage(x, centres, std=0.02)[0] == 1  # default min_count = ceil(0.1 * 1002 / 8) = 13
    assert mode_coverage(x, centres, std=0.02, min_count=1)[0] == 2


def test_threshold_is_in_standard_deviations():
    centres = ring_centres()
    x = centres[:1] + torch.tensor([[0.05, 0.0]])  # 2.5 std away from mode 0
    assert mode_counts(x, centres, std=0.02, threshold_sigmas=3).tolist()[0] == 1
    assert mode_counts(x, centres, std=0.02, threshold_sigmas=2).tolist()[0] == 0
