"""The Gaussian-CDF rotation of the continuous codes (infogan_edu.reparam), against scipy and hand-worked values."""

import math

import numpy as np
import pytest
import torch
from scipy import stats

from infogan_edu.latent import LatentSpec
from infogan_edu.reparam import (
    ReparamGenerator,
    factorised_pullback,
    log_abs_det_jacobian,
    normal_to_uniform,
    pulled_back_log_q,
    rotate_codes,
    uniform_to_normal,
)


def test_uniform_to_normal_is_the_normal_quantile_of_the_rescaled_code() -> None:
    c = torch.tensor([-0.99, -0.5, 0.0, 0.3, 0.9], dtype=torch.float64)
    expected = stats.norm.ppf((c.numpy() + 1) / 2)
    assert torch.allclose(uniform_to_normal(c), torch.from_numpy(expected), atol=1e-10)
    assert torch.allclose(normal_to_uniform(uniform_to_normal(c)), c, atol=1e-12)


def test_rotation_by_zero_is_the_identity_and_by_a_right_angle_swaps_the_codes() -> None:
    c = torch.tensor([[0.2, -0.7], [0.9, 0.1]], dtype=torch.float64)
    assert torch.allclose(rotate_codes(c, 0.0), c, atol=1e-12)
    # R_90 (g1, g2) = (-g2, g1), and h is odd, so f(c2, c3) = (-c3, c2)
    assert torch.allclose(rotate_codes(c, math.pi / 2), torch.stack([-c[:, 1], c[:, 0]], 1), atol=1e-12)
    assert torch.allclose(rotate_codes(rotate_codes(c, 0.3), -0.3), c, atol=1e-12)


def test_the_map_preserves_volume() -> None:
    # |det J_f| = 1: phi(g1) phi(g2) depends only on |g|, which the rotation keeps (worked out in the module)
    torch.manual_seed(0)
    for c in torch.rand(5, 2, dtype=torch.float64) * 1.8 - 0.9:
        jac = torch.autograd.functional.jacobian(lambda v: rotate_codes(v[None], math.pi / 4)[0], c)
        assert abs(float(torch.linalg.det(jac))) == pytest.approx(1.0, abs=1e-9)
        assert abs(float(jac[0, 1])) > 0.1  # and yet it mixes the codes


def test_the_map_sends_the_uniform_square_to_itself_in_distribution() -> None:
    c = torch.rand(20_000, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 2 - 1
    out = rotate_codes(c, math.pi / 4)
    for j in range(2):
        assert stats.kstest(out[:, j].numpy(), stats.uniform(loc=-1, scale=2).cdf).pvalue > 0.01
    assert abs(stats.spearmanr(out[:, 0].numpy(), out[:, 1].numpy()).statistic) < 0.03  # independent codes
    assert abs(stats.spearmanr(c[:, 0].numpy(), out[:, 0].numpy()).statistic) > 0.6  # though each mixes both


def test_reparam_generator_feeds_the_rotated_codes_and_keeps_the_rest() -> None:
    spec = LatentSpec(noise=3, categorical=(4,), continuous=2)
    g = torch.nn.Identity()  # G' then returns the input G receives
    x = spec.to_input(spec.sample(6, torch.Generator().manual_seed(1)))
    out = ReparamGenerator(g, spec, theta=0.5)(x)
    cont = spec.layout()["cont"]
    assert torch.equal(out[:, : cont.start], x[:, : cont.start])
    assert torch.allclose(out[:, cont], rotate_codes(x[:, cont], 0.5))
    with pytest.raises(ValueError, match="two continuous codes"):
        ReparamGenerator(g, LatentSpec(noise=3, categorical=(4,), continuous=1))


def test_log_abs_det_jacobian_matches_autograd() -> None:
    c = torch.tensor([[0.3, -0.8], [-0.95, 0.5]], dtype=torch.float64)
    for row, got in zip(c, log_abs_det_jacobian(c, 0.7), strict=True):
        jac = torch.autograd.functional.jacobian(lambda v: rotate_codes(v[None], 0.7)[0], row)
        assert float(got) == pytest.approx(math.log(abs(float(torch.linalg.det(jac)))), abs=1e-9)


def test_pulled_back_q_is_a_density_over_the_rotated_codes() -> None:
    # integral over the square of Q'(c | x) = Q's mass inside the square, a product of normal CDFs
    mean = torch.tensor([[0.2, -0.4]], dtype=torch.float64)
    log_std = torch.log(torch.tensor([[0.15, 0.3]], dtype=torch.float64))
    n = 801
    u = (torch.arange(n, dtype=torch.float64) + 0.5) / n * 2 - 1  # midpoints of [-1, 1]
    grid = torch.cartesian_prod(u, u)  # (n^2, 2)
    dens = pulled_back_log_q(mean.expand(len(grid), 2), log_std.expand(len(grid), 2), grid, math.pi / 4).exp()
    mass = float(dens.sum()) * (2 / n) ** 2
    normals = [stats.norm(m, s) for m, s in zip(mean[0].numpy(), log_std.exp()[0].numpy(), strict=True)]
    inside = np.prod([d.cdf(1) - d.cdf(-1) for d in normals])
    assert mass == pytest.approx(inside, abs=2e-3)


def test_factorised_pullback_keeps_the_diagonal_of_the_linearised_covariance() -> None:
    mean = torch.tensor([[0.1, 0.6], [-0.7, -0.2]], dtype=torch.float64)
    log_std = torch.log(torch.tensor([[0.1, 0.2], [0.05, 0.1]], dtype=torch.float64))
    m2, ls2 = factorised_pullback(mean, log_std, math.pi / 4)
    assert torch.allclose(m2, rotate_codes(mean, -math.pi / 4), atol=1e-12)
    for i in range(2):
        jac = torch.autograd.functional.jacobian(lambda v: rotate_codes(v[None], -math.pi / 4)[0], mean[i])
        cov = jac @ torch.diag(log_std[i].exp() ** 2) @ jac.T
        assert torch.allclose(ls2[i].exp() ** 2, torch.diagonal(cov), rtol=1e-9)
        assert abs(float(cov[0, 1])) > 1e-4  # the correlation a factorised Q cannot hold
