"""The exact mutual information of the 1-D toy (infogan_edu.exact_mi), against closed forms and scipy quadrature."""

import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from infogan_edu.exact_mi import (
    MEANS,
    STD,
    ToyInfoConfig,
    exact_information,
    jump_free_grid,
    mixture_cdf,
    mixture_quantile,
    pushforward_density,
    quantile_generator,
    train_toy_infogan,
)

GRID = torch.linspace(-6.0, 6.0, 20_001, dtype=torch.float64)


def test_pushforward_density_of_an_affine_and_of_a_folded_map() -> None:
    x = torch.tensor([-2.0, 0.5, 1.0, 3.0], dtype=torch.float64)
    affine = pushforward_density(x, lambda z: 2 * z + 1, GRID)  # x = 2z + 1 ~ N(1, 4)
    # each segment holds its average density: off the point value by about |p'| * (segment width) / 2 < 1e-4
    assert torch.allclose(affine, torch.from_numpy(stats.norm(1, 2).pdf(x.numpy())), atol=2e-4)
    folded = pushforward_density(torch.tensor([0.3, 1.0, 2.0], dtype=torch.float64), torch.abs, GRID)
    assert torch.allclose(folded, torch.from_numpy(2 * stats.norm.pdf([0.3, 1.0, 2.0])), atol=2e-4)  # half-normal


def shifted(means: tuple[float, ...]):
    return lambda z, c: z + means[c]


def reference_mi(means: tuple[float, ...]) -> float:
    """I(c; x) for x = z + m_c by scipy's adaptive quadrature: H(c) + integral of sum_c p(c, x) log p(c | x)."""
    k = len(means)

    def integrand(x: float) -> float:
        p = np.array([stats.norm.pdf(x - m) / k for m in means])
        return float((p * np.log(p / p.sum())).sum())

    return math.log(k) + integrate.quad(integrand, -12, 12, limit=200)[0]


@pytest.mark.parametrize("means", [(-1.0, 1.0), (-2.0, 0.0, 2.5)])
def test_exact_information_matches_scipy_quadrature(means: tuple[float, ...]) -> None:
    got = exact_information(shifted(means), len(means))
    assert got.mi == pytest.approx(reference_mi(means), abs=1e-4)


def test_the_bound_is_tight_with_the_true_posterior_and_zero_with_a_blind_q() -> None:
    means = (-1.0, 1.0)
    true_post = lambda x: -((x - torch.tensor(means)) ** 2) / 2  # noqa: E731  logits of p(c | x), (N, 2)
    tight = exact_information(shifted(means), 2, true_post)
    assert tight.gap == pytest.approx(0.0, abs=1e-4) and tight.bound == pytest.approx(reference_mi(means), abs=1e-4)
    blind = exact_information(shifted(means), 2, lambda x: torch.zeros(len(x), 2))  # Q(c | x) = 1/2
    assert blind.bound == pytest.approx(0.0, abs=1e-12) and blind.gap == pytest.approx(blind.mi, abs=1e-12)


def test_mixture_cdf_and_quantile() -> None:
    x = np.array([-2.5, -0.1, 0.0, 1.7])
    expected = np.mean([stats.norm(m, STD).cdf(x) for m in MEANS], axis=0)
    assert np.allclose(mixture_cdf(torch.from_numpy(x)).numpy(), expected, atol=1e-12)
    u = torch.tensor([1e-4, 0.2, 0.5, 0.9], dtype=torch.float64)
    assert torch.allclose(mixture_cdf(mixture_quantile(u)), u, atol=1e-12)


@pytest.mark.parametrize("stripes", [1, 3])
def test_quantile_generators_draw_the_data_and_carry_log_k_nats(stripes: int) -> None:
    g = quantile_generator(3, stripes)
    z = torch.randn(6000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    x = torch.cat([g(z[c::3], c) for c in range(3)])
    assert stats.kstest(x.numpy(), lambda v: mixture_cdf(torch.from_numpy(v)).numpy()).pvalue > 0.01
    grid = jump_free_grid(20_000, tuple(j / stripes for j in range(1, stripes)))
    assert exact_information(g, 3, z_grid=grid).mi == pytest.approx(math.log(3), abs=1e-6)
    modes_of_code0 = {int(m) for m in torch.bucketize(g(z, 0), torch.tensor([-1.0, 1.0], dtype=torch.float64))}
    assert len(modes_of_code0) == (1 if stripes == 1 else 3)


@pytest.mark.slow
def test_toy_infogan_gap_is_never_negative_and_the_code_is_learned() -> None:
    hist = train_toy_infogan(ToyInfoConfig(steps=300, eval_every=100))[2]
    assert min(hist.gap) > -1e-3
    assert hist.mi[-1] > 1.0 and hist.mi[0] < 0.6
