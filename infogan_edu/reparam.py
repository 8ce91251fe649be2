r"""A reparametrisation of the continuous codes that the InfoGAN objective cannot see (lesson 05).

Map each code c_i ~ Unif(-1, 1) to a standard normal through its CDF, rotate the normal vector by an angle
theta, and map back:

    h(c)   = Phi^{-1}((c + 1) / 2)          (per coordinate; Unif(-1, 1) -> N(0, 1))
    f(c)   = h^{-1}( R_theta h(c) ),        h^{-1}(g) = 2 Phi(g) - 1,
    G'(z, c) = G(z, f(c)).

Three facts make G' indistinguishable from G for the objective V(D, G) - lambda L_I(G, Q):

1. f maps Unif(-1, 1)^2 to itself in distribution: h turns the uniform square into N(0, I), a rotation leaves
   N(0, I) unchanged, and h^{-1} turns it back. So G'(z, c) with c ~ Unif has the law of G(z, f(c)) = G(z, c'),
   c' ~ Unif: the same image distribution, the same V(D, G) for every D.
2. f preserves volume: |det J_f(c)| = 1 everywhere. (det J_h = 1 / (4 phi(g_1) phi(g_2)), det R = 1, and
   phi(g_1) phi(g_2) = exp(-|g|^2 / 2) / (2 pi) depends only on |g|, which R keeps.) Hence the density
   Q'(c | x) = Q(f(c) | x) |det J_f(c)| = Q(f(c) | x), and
   E[log Q'(c | G'(z, c))] = E[log Q(f(c) | G(z, f(c)))] = E[log Q(c' | G(z, c'))]: the same L_I exactly.
3. Yet each code of G' is a mixture of G's codes: moving c_1 alone moves both of G's factors.

`ReparamGenerator` wraps a trained generator with this map; `uniform_to_normal` and `normal_to_uniform` are h and
h^{-1}, also used to draw correlated codes with uniform marginals (a Gaussian copula).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .latent import HALF_LOG_2PI, LatentSpec, gaussian_log_density

__all__ = [
    "factorised_pullback",
    "log_abs_det_jacobian",
    "normal_to_uniform",
    "pulled_back_log_q",
    "ReparamGenerator",
    "rotate_codes",
    "rotation",
    "uniform_to_normal",
]

_EDGE = 1e-7  # keeps (c + 1) / 2 inside (0, 1), where Phi^{-1} is finite


def uniform_to_normal(c: torch.Tensor) -> torch.Tensor:
    r"""h(c) = Phi^{-1}((c + 1) / 2) = sqrt(2) erfinv(c): Unif(-1, 1) to N(0, 1), elementwise."""
    return math.sqrt(2.0) * torch.special.erfinv(c.clamp(-1 + _EDGE, 1 - _EDGE))


def normal_to_uniform(g: torch.Tensor) -> torch.Tensor:
    r"""h^{-1}(g) = 2 Phi(g) - 1 = erf(g / sqrt(2)): N(0, 1) to Unif(-1, 1), elementwise."""
    return torch.special.erf(g / math.sqrt(2.0))


def rotation(theta: float, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The 2 x 2 rotation matrix R_theta (theta in radians), acting on column vectors."""
    c, s = math.cos(theta), math.sin(theta)
    return torch.tensor([[c, -s], [s, c]], dtype=dtype)


def rotate_codes(c: torch.Tensor, theta: float) -> torch.Tensor:
    r"""f(c) = h^{-1}(R_theta h(c)) for codes c of shape (B, 2) in [-1, 1]."""
    if c.ndim != 2 or c.shape[1] != 2:
        raise ValueError(f"rotate_codes needs two continuous codes, shape (B, 2); got shape {tuple(c.shape)}")
    g = uniform_to_normal(c)  # (B, 2), N(0, I) when c is uniform
    return normal_to_uniform(g @ rotation(theta, c.dtype).T)  # (B, 2): row-vector form of R g


def log_abs_det_jacobian(c: torch.Tensor, theta: float) -> torch.Tensor:
    r"""log |det J_f(c)| for codes (B, 2), from the chain rule: J_h = diag(1 / (2 phi(g))), det R = 1,
    J_{h^{-1}}(g') = diag(2 phi(g')), so log |det J_f| = sum_i log phi(g'_i) - sum_i log phi(g_i), g' = R g.
    It is 0 up to rounding (module docstring, fact 2); computed here so that it can be checked, not assumed."""
    g = uniform_to_normal(c)  # (B, 2)
    g_rot = g @ rotation(theta, c.dtype).T  # (B, 2)
    log_phi = lambda v: -HALF_LOG_2PI - v**2 / 2  # noqa: E731  log of the standard normal density
    return (log_phi(g_rot) - log_phi(g)).sum(1)  # (B,)


def pulled_back_log_q(mean: torch.Tensor, log_std: torch.Tensor, c: torch.Tensor, theta: float) -> torch.Tensor:
    r"""log Q'(c | x) = log Q(f(c) | x) + log |det J_f(c)|: the density that Q (a factorised Gaussian over G's codes,
    `mean` and `log_std` of shape (B, 2)) assigns to the codes c (B, 2) of G' = G(z, f(c)). Shape (B,).

    Q' reads G' exactly as well as Q reads G, but it is no longer factorised over c_2 and c_3."""
    return gaussian_log_density(rotate_codes(c, theta), mean, log_std).sum(1) + log_abs_det_jacobian(c, theta)


def factorised_pullback(mean: torch.Tensor, log_std: torch.Tensor, theta: float) -> tuple[torch.Tensor, torch.Tensor]:
    r"""The best *factorised* Gaussian over G''s codes, from Q's Gaussian over G's codes, to first order.

    Near Q's mean mu, f^{-1}(c) ~ f^{-1}(mu) + J (c - mu) with J = J_{f^{-1}}(mu) = diag(2 phi(g'')) R^T
    diag(1 / (2 phi(g))), g = h(mu), g'' = R^T g. Q's N(mu, diag(sigma^2)) then becomes N(f^{-1}(mu), J diag(sigma^2)
    J^T), correlated; the factorised Gaussian that maximises E[log q] keeps its diagonal,
    var_i = sum_j J_ij^2 sigma_j^2. Returns that Gaussian's (mean, log_std), each (B, 2)."""
    r = rotation(theta, mean.dtype)
    g = uniform_to_normal(mean)  # (B, 2)
    g_back = g @ r  # (B, 2): row-vector form of R^T g
    phi = lambda v: torch.exp(-HALF_LOG_2PI - v**2 / 2)  # noqa: E731
    jac = (2 * phi(g_back))[:, :, None] * r.T[None] / (2 * phi(g))[:, None, :]  # (B, 2, 2): J_ij
    var = (jac**2 * torch.exp(2 * log_std)[:, None, :]).sum(2)  # (B, 2): sum_j J_ij^2 sigma_j^2
    return normal_to_uniform(g_back), 0.5 * torch.log(var)


class ReparamGenerator(nn.Module):
    r"""G'(z, c) = G(z, f(c)): a generator whose two continuous codes pass through `rotate_codes` first.

    `spec` is the generator's LatentSpec; the input layout [z | one-hot | c] is unchanged. `theta = 0` gives G
    back. Call `generator.eval()` first when BatchNorm should use its running statistics.
    """

    def __init__(self, generator: nn.Module, spec: LatentSpec, theta: float = math.pi / 4):
        super().__init__()
        if spec.continuous != 2:
            raise ValueError(f"ReparamGenerator rotates two continuous codes; this spec has {spec.continuous}")
        self.generator, self.spec, self.theta = generator, spec, theta
        self.cont = spec.layout()["cont"]

    def forward(self, g_input: torch.Tensor) -> torch.Tensor:
        x = g_input.clone()  # (B, input_dim)
        x[:, self.cont] = rotate_codes(g_input[:, self.cont], self.theta)
        return self.generator(x)
