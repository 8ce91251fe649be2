r"""A 1-D InfoGAN whose I(c; G(z, c)) is computed exactly, to watch the bound L_I and its gap during training
(lesson 05, section 1).

The toy: data x ~ (1/K) sum_k N(m_k, s^2) on the line; a categorical code c ~ Uniform{0..K-1}; ONE noise variable
z ~ N(0, 1); G(z, c) an MLP from [z, one_hot(c)] to a scalar; Q(c | x) an MLP from x to K logits.

Why it is exact. For fixed c, x = G(z, c) is a function of a scalar z, so its density is a push-forward:

    p(x | c) = sum over the pieces of z -> G(z, c) that reach x of  phi(z) / |dG/dz|.

On a fine grid z_0 < ... < z_M, each segment [z_i, z_{i+1}] carries the mass Phi(z_{i+1}) - Phi(z_i) and spreads it
evenly over [G(z_i, c), G(z_{i+1}, c)]; a ReLU MLP is piecewise linear in z, so this is exact up to the few segments
that contain a kink (`pushforward_density`). Then, with p(c) = 1/K,

    p(c | x) = p(x | c) / sum_c' p(x | c'),
    I(c; x)  = H(c) + E_{c, z}[ log p(c | G(z, c)) ],                      (the true mutual information)
    L_I      = H(c) + E_{c, z}[ log Q(c | G(z, c)) ],                      (InfoGAN's bound)
    I - L_I  = E_x[ KL(p(c | x) || Q(c | x)) ] >= 0,                      (the gap, Barber & Agakov 2003)

all three expectations taken with the same quantile quadrature over z (`exact_information`), so the gap is a
difference of two exact numbers, not of two noisy estimates.

`quantile_generator` builds two hand-made generators that both draw the data distribution exactly and both carry
I(c; x) = log K: one gives each code value a mode, the other a set of thin interleaved stripes of the data.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .losses import discriminator_loss, generator_loss_nonsaturating
from .models import MLPDiscriminator, MLPGenerator

__all__ = [
    "as_zgrid",
    "exact_information",
    "ExactInformation",
    "jump_free_grid",
    "MEANS",
    "mixture_cdf",
    "mixture_quantile",
    "pushforward_density",
    "quantile_generator",
    "sample_mixture",
    "STD",
    "ToyInfoConfig",
    "ToyInfoHistory",
    "ToyQ",
    "train_q_on",
    "train_toy_infogan",
]

MEANS = (-2.0, 0.0, 2.0)  # the data's modes
STD = 0.3  # the data's standard deviation around each mode
ZGrid = Callable[[Tensor, int], Tensor]  # G as a function of (z (N,), c) -> x (N,)


# ------------------------------------------------------------------ the data
def sample_mixture(n: int, generator: torch.Generator | None = None, means: tuple = MEANS, std: float = STD) -> Tensor:
    """n points of (1/K) sum_k N(m_k, std^2), shape (n, 1)."""
    k = torch.randint(len(means), (n,), generator=generator)
    return (torch.tensor(means)[k] + std * torch.randn(n, generator=generator)).unsqueeze(1)  # (n, 1)


def mixture_cdf(x: Tensor, means: tuple = MEANS, std: float = STD) -> Tensor:
    r"""F(x) = (1/K) sum_k Phi((x - m_k) / std)."""
    x = torch.as_tensor(x, dtype=torch.float64)
    m = torch.tensor(means, dtype=torch.float64)
    return torch.special.ndtr((x.unsqueeze(-1) - m) / std).mean(-1)


def mixture_quantile(u: Tensor, means: tuple = MEANS, std: float = STD, iters: int = 60) -> Tensor:
    """F^{-1}(u) by bisection on [min m - 10 std, max m + 10 std] (float64, to about 1e-15 relative)."""
    u = torch.as_tensor(u, dtype=torch.float64)
    lo = torch.full_like(u, min(means) - 10 * std)
    hi = torch.full_like(u, max(means) + 10 * std)
    for _ in range(iters):
        mid = (lo + hi) / 2
        below = mixture_cdf(mid, means, std) < u
        lo, hi = torch.where(below, mid, lo), torch.where(below, hi, mid)
    return (lo + hi) / 2


def quantile_generator(k: int, stripes: int = 1, means: tuple = MEANS, std: float = STD) -> ZGrid:
    r"""A hand-made G(z, c) that draws the data distribution exactly, whatever the code's meaning.

    u = Phi(z) ~ Unif(0, 1) is cut into `stripes` equal parts; part j of code value c goes to the quantile slice
    number s = j K + c of the data's K * stripes equal-mass slices: x = F^{-1}((s + v) / (K stripes)), v the
    position within the part. Every slice is drawn by exactly one (c, j), with mass 1 / (K stripes), so x follows
    the data, and c is a function of x: I(c; x) = log K. With stripes = 1 and K = the number of modes, code value c
    is the c-th mode ("meaningful"); with stripes > 1 it is a comb of thin slices spread over all modes.
    G jumps where u = Phi(z) crosses j / stripes: give `exact_information` the grid
    ``jump_free_grid(n, tuple(j / stripes for j in range(1, stripes)))``."""
    n_slices = k * stripes

    def g(z: Tensor, c: int) -> Tensor:
        u = torch.special.ndtr(z.double()).clamp(1e-12, 1 - 1e-12) * stripes  # in (0, stripes)
        j = u.floor().clamp(max=stripes - 1)
        s = j * k + c  # the slice this part of code c owns
        return mixture_quantile((s + (u - j)) / n_slices, means, std).to(z.dtype)

    return g


# ------------------------------------------------------------------ exact quantities
def pushforward_density(x: Tensor, g_of_z: Callable[[Tensor], Tensor], z_grid: Tensor) -> Tensor:
    r"""p(x) of x = g(z), z ~ N(0, 1), at the points `x` (N,), from the piecewise-linear interpolant of g on the
    sorted grid `z_grid` (M + 1,): segment i puts mass Phi(z_{i+1}) - Phi(z_i) evenly on [g(z_i), g(z_{i+1})].
    The tails beyond the grid are left out (mass Phi(z_0) + 1 - Phi(z_M)). Segments are half-open, [lo, hi), so
    that a point where two segments meet is counted once.

    Each segment adds the constant mass / width to every query point inside it: with the queries sorted, that is
    a range update, done for all segments at once with a difference array and a cumulative sum."""
    z_grid = z_grid.double()
    gz = g_of_z(z_grid).double()  # (M + 1,)
    mass = torch.special.ndtr(z_grid[1:]) - torch.special.ndtr(z_grid[:-1])  # (M,)
    lo, hi = torch.minimum(gz[:-1], gz[1:]), torch.maximum(gz[:-1], gz[1:])  # (M,) each
    height = mass / (hi - lo).clamp_min(1e-9)  # (M,): a flat segment becomes a narrow spike of the same mass
    x = x.double()
    order = torch.argsort(x)
    xs = x[order]  # (N,) sorted
    first = torch.searchsorted(xs, lo, side="left")  # (M,): first query >= lo
    last = torch.searchsorted(xs, hi, side="left")  # (M,): one past the last query < hi (segments are [lo, hi))
    diff = torch.zeros(len(x) + 1, dtype=torch.float64)
    diff.index_add_(0, first, height)
    diff.index_add_(0, last, -height)
    out = torch.empty_like(x)
    out[order] = torch.cumsum(diff, 0)[:-1]  # (N,): the sum of the heights of the segments covering each query
    return out


def jump_free_grid(n: int, jumps_u: tuple[float, ...] = (), tail: float = 1e-7, eps: float = 1e-12) -> Tensor:
    """A z grid of n equal-mass segments (u = Phi(z) evenly spaced in [tail, 1 - tail]) with two nodes at
    u = j +- eps around each given jump u = j of G, so that no segment but a negligible one spans a jump."""
    u = torch.linspace(tail, 1 - tail, n + 1, dtype=torch.float64)
    if jumps_u:
        j = torch.tensor(jumps_u, dtype=torch.float64)
        u = torch.cat([u[(u - j[:, None]).abs().min(0).values > 2 * eps], j - eps, j + eps]).sort().values
    return torch.special.ndtri(u)


class ExactInformation(NamedTuple):
    mi: float  # I(c; G(z, c)), nats
    bound: float  # L_I = H(c) + E log Q(c | x), nats (nan when no Q is given)
    gap: float  # mi - bound = E_x KL(p(c|x) || Q(c|x))


@torch.no_grad()
def exact_information(
    g: ZGrid, k: int, q: Callable[[Tensor], Tensor] | None = None, z_grid: Tensor | None = None
) -> ExactInformation:
    r"""I(c; G(z, c)), L_I and their gap, for c ~ Uniform{0..k-1}, z ~ N(0, 1) (see the module docstring).

    `g(z, c)` maps a (N,) tensor of z to (N,) points for code value c; `q(x)` maps (N, 1) points to (N, k) logits.
    Both the densities and the expectation over (c, z) use the grid `z_grid` (default: 20,000 segments on z in
    [-6, 6]; a G with jumps needs nodes on both sides of each, see `jump_free_grid`): the expectation is the
    midpoint rule, segment i of code c weighted by its mass and evaluated at the middle of its image,
    x = (G(z_i, c) + G(z_{i+1}, c)) / 2, a point the segment itself covers, so that p(x | c) > 0 there."""
    if z_grid is None:
        z_grid = torch.linspace(-6.0, 6.0, 20_001, dtype=torch.float64)
    z_grid = z_grid.double()
    mass = torch.special.ndtr(z_grid[1:]) - torch.special.ndtr(z_grid[:-1])  # (M,)
    weight = (mass / mass.sum()).repeat(k) / k  # (k * M,): p(c) times the segment's share of z
    ends = [g(z_grid, c).double() for c in range(k)]  # k tensors (M + 1,)
    xs = torch.cat([(e[:-1] + e[1:]) / 2 for e in ends])  # (k * M,): the middle of each segment's image
    c_of_x = torch.arange(k).repeat_interleave(len(mass))  # (k * M,)
    dens = torch.stack([pushforward_density(xs, lambda z, c=c: g(z, c), z_grid) for c in range(k)], 1)  # (N, k)
    log_post = torch.log(dens.clamp_min(1e-300)) - torch.log(dens.sum(1, keepdim=True).clamp_min(1e-300))
    h_c = math.log(k)
    mi = h_c + float((weight * log_post.gather(1, c_of_x[:, None]).squeeze(1)).sum())  # H(c) + E log p(c | x)
    if q is None:
        return ExactInformation(mi, math.nan, math.nan)
    log_q = F.log_softmax(q(xs.float()[:, None]).double(), dim=1)  # (N, k)
    bound = h_c + float((weight * log_q.gather(1, c_of_x[:, None]).squeeze(1)).sum())  # H(c) + E log Q(c | x)
    return ExactInformation(mi, bound, mi - bound)


# ------------------------------------------------------------------ the toy InfoGAN
class ToyQ(nn.Module):
    """Q(c | x) for 1-D points: (N, 1) -> (N, k) logits."""

    def __init__(self, k: int, hidden: int = 64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(1, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, k))

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


def as_zgrid(g: nn.Module, k: int) -> ZGrid:
    """The MLP generator as a function of (z (N,), c): its input is [z, one_hot(c)]."""

    def f(z: Tensor, c: int) -> Tensor:
        onehot = F.one_hot(torch.full((len(z),), c), k).float()  # (N, k)
        return g(torch.cat([z.float()[:, None], onehot], 1)).squeeze(1)  # (N,)

    return f


@dataclass
class ToyInfoConfig:
    k: int = 3
    lam: float = 1.0  # lambda of V(D, G) - lambda L_I
    steps: int = 3000
    batch_size: int = 256
    lr: float = 1e-3
    hidden: int = 64
    eval_every: int = 100
    seed: int = 0


@dataclass
class ToyInfoHistory:
    step: list[int] = field(default_factory=list)
    mi: list[float] = field(default_factory=list)
    bound: list[float] = field(default_factory=list)
    gap: list[float] = field(default_factory=list)


def train_toy_infogan(cfg: ToyInfoConfig) -> tuple[nn.Module, ToyQ, ToyInfoHistory]:
    r"""min_{G,Q} max_D V(D, G) - lambda L_I(G, Q) on the 1-D mixture, with the exact I(c; x), L_I and the gap
    recorded every `eval_every` steps. D: non-saturating GAN, Adam; G and Q share one Adam (Q's head in G's
    optimiser, as in the `cpu` preset). Returns G, Q and the history."""
    torch.manual_seed(cfg.seed)
    rng = torch.Generator().manual_seed(cfg.seed)
    g = MLPGenerator(1 + cfg.k, cfg.hidden, depth=2, out_dim=1)
    d = MLPDiscriminator(1, cfg.hidden, depth=2)
    q = ToyQ(cfg.k, cfg.hidden)
    opt_d = torch.optim.Adam(d.parameters(), lr=cfg.lr, betas=(0.5, 0.999))
    opt_gq = torch.optim.Adam([*g.parameters(), *q.parameters()], lr=cfg.lr, betas=(0.5, 0.999))
    hist = ToyInfoHistory()

    def log(step: int) -> None:
        e = exact_information(as_zgrid(g, cfg.k), cfg.k, q)
        hist.step.append(step)
        hist.mi.append(e.mi)
        hist.bound.append(e.bound)
        hist.gap.append(e.gap)

    log(0)
    for step in range(1, cfg.steps + 1):
        real = sample_mixture(cfg.batch_size, rng)  # (B, 1)
        c = torch.randint(cfg.k, (cfg.batch_size,), generator=rng)  # (B,)
        z = torch.randn(cfg.batch_size, 1, generator=rng)  # (B, 1)
        fake = g(torch.cat([z, F.one_hot(c, cfg.k).float()], 1))  # (B, 1)
        opt_d.zero_grad(set_to_none=True)
        discriminator_loss(d(real), d(fake.detach())).backward()  # -V(D, G)
        opt_d.step()
        opt_gq.zero_grad(set_to_none=True)
        info = F.cross_entropy(q(fake), c)  # -E log Q(c | x) = H(c) - L_I
        (generator_loss_nonsaturating(d(fake)) + cfg.lam * info).backward()
        opt_gq.step()
        if step % cfg.eval_every == 0:
            log(step)
    return g, q, hist


def train_q_on(g: ZGrid, k: int, steps: int = 1500, batch_size: int = 256, lr: float = 3e-3, seed: int = 0) -> ToyQ:
    """A fresh Q trained on samples of a fixed generator `g(z, c)`: maximises E log Q(c | x), nothing else."""
    torch.manual_seed(seed)
    rng = torch.Generator().manual_seed(seed)
    q = ToyQ(k)
    opt = torch.optim.Adam(q.parameters(), lr=lr)
    for _ in range(steps):
        c = torch.randint(k, (batch_size,), generator=rng)  # (B,)
        z = torch.randn(batch_size, generator=rng)  # (B,)
        with torch.no_grad():
            x = torch.cat([g(z[c == v], v) for v in range(k)]).float()[:, None]  # (B, 1), grouped by code
            c_sorted = torch.cat([c[c == v] for v in range(k)])
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(q(x), c_sorted).backward()
        opt.step()
    return q

