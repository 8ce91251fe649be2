r"""Entropy, mutual information and the variational lower bound InfoGAN maximises (lesson 02).

All quantities are in nats (natural logarithms).

* Entropy of a discrete distribution:  H(c) = -sum_c p(c) log p(c).
* Mutual information of a channel with joint table p(c, x):

      I(c; x) = sum_{c,x} p(c, x) log[ p(c, x) / (p(c) p(x)) ] = H(c) - H(c | x).

* Barber & Agakov (2003): for *any* distribution q(c | x),

      I(c; x) = H(c) + E_{p(c,x)}[ log p(c | x) ]
              = H(c) + E_{p(c,x)}[ log q(c | x) ] + E_x[ KL(p(c | x) || q(c | x)) ]
             >= H(c) + E_{p(c,x)}[ log q(c | x) ],

  with equality exactly when q(c | x) = p(c | x). InfoGAN's L_I(G, Q) = E[log Q(c | x)] + H(c) is this
  bound with q = Q and x = G(z, c).

Two channels with closed-form mutual information test it:

* the K-ary symmetric channel: c ~ Uniform{0..K-1}; x = c with probability 1 - eps, otherwise one of
  the K - 1 other symbols uniformly. I = log K - h(eps) - eps log(K - 1), h the binary entropy.
* the Gaussian channel: c ~ N(0, 1), x = c + n with n ~ N(0, 1 / SNR). I = 1/2 log(1 + SNR), and
  the true posterior is p(c | x) = N(c; x SNR / (1 + SNR), 1 / (1 + SNR)).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .latent import HALF_LOG_2PI, gaussian_log_density
from .models import evaluating

__all__ = [
    "ba_bound",
    "binary_entropy",
    "bound_from_table",
    "bound_gap",
    "BoundEstimate",
    "CategoricalQ",
    "DiscreteChannel",
    "entropy",
    "gan_value",
    "gaussian_channel_mi",
    "gaussian_channel_sampler",
    "gaussian_entropy",
    "gaussian_linear_bound",
    "GaussianQ",
    "joint_table",
    "js_divergence",
    "mutual_information",
    "mutual_information_entropies",
    "normal_pdf",
    "posterior",
    "QTrainHistory",
    "symmetric_channel",
    "symmetric_channel_mi",
    "symmetric_channel_sampler",
    "train_q",
]

# A sampler draws n pairs (c, x) from a channel: c is (n,) (long or float), x is (n, in_dim) float.
Sampler = Callable[[int, torch.Generator], tuple[Tensor, Tensor]]


# ------------------------------------------------------------------ discrete quantities
def entropy(p: Tensor, dim: int = -1) -> Tensor:
    r"""H(p) = -sum_i p_i log p_i along `dim`, in nats, with 0 log 0 = 0."""
    p = torch.as_tensor(p, dtype=torch.float64)
    return -torch.special.xlogy(p, p).sum(dim)


def binary_entropy(eps: float) -> float:
    r"""h(eps) = -eps log eps - (1 - eps) log(1 - eps), in nats."""
    return float(entropy(torch.tensor([eps, 1 - eps], dtype=torch.float64)))


def _check_joint(joint: Tensor) -> Tensor:
    joint = torch.as_tensor(joint, dtype=torch.float64)
    if joint.ndim != 2:
        raise ValueError(f"a joint table must be 2-D (rows c, columns x), got shape {tuple(joint.shape)}")
    total = float(joint.sum())
    if (joint < 0).any() or not math.isclose(total, 1.0, abs_tol=1e-6):
        raise ValueError(f"a joint table must be non-negative and sum to 1, it sums to {total:.6g}")
    return joint


def mutual_information(joint: Tensor) -> float:
    r"""I(c; x) = sum_{c,x} p(c, x) log[ p(c, x) / (p(c) p(x)) ] from the joint table p(c, x) (rows: c)."""
    joint = _check_joint(joint)
    outer = joint.sum(1, keepdim=True) * joint.sum(0, keepdim=True)  # (C, X): p(c) p(x)
    mask = joint > 0
    return float((joint[mask] * (joint[mask].log() - outer[mask].log())).sum())


def mutual_information_entropies(joint: Tensor) -> float:
    r"""The same I(c; x), the second way: H(c) - H(c | x), with H(c | x) = sum_x p(x) H(p(c | x))."""
    joint = _check_joint(joint)
    p_x = joint.sum(0)  # (X,)
    h_c_given_x = (p_x * entropy(posterior(joint), dim=0)).sum()  # sum_x p(x) H(c | x)
    return float(entropy(joint.sum(1)) - h_c_given_x)


def posterior(joint: Tensor) -> Tensor:
    r"""p(c | x) = p(c, x) / p(x), shape (C, X): each column is a distribution over c.
    Columns with p(x) = 0 are left uniform."""
    joint = _check_joint(joint)
    p_x = joint.sum(0, keepdim=True)  # (1, X)
    uniform = torch.full_like(joint, 1.0 / joint.shape[0])
    return torch.where(p_x > 0, joint / p_x.clamp_min(1e-300), uniform)


def symmetric_channel(k: int, eps: float) -> Tensor:
    r"""p(x | c) of the K-ary symmetric channel, (K, K): 1 - eps on the diagonal, eps / (K - 1) off it."""
    if k < 2 or not 0 <= eps <= 1:
        raise ValueError(f"need K >= 2 and 0 <= eps <= 1, got K={k}, eps={eps}")
    table = torch.full((k, k), eps / (k - 1), dtype=torch.float64)
    table.fill_diagonal_(1 - eps)
    return table


def joint_table(prior: Tensor, channel: Tensor) -> Tensor:
    r"""p(c, x) = p(c) p(x | c): `prior` (C,), `channel` (C, X) with rows p(x | c)."""
    prior = torch.as_tensor(prior, dtype=torch.float64)
    return prior[:, None] * torch.as_tensor(channel, dtype=torch.float64)  # (C, X)


def symmetric_channel_mi(k: int, eps: float) -> float:
    r"""Closed form for a uniform input:  I = log K - h(eps) - eps log(K - 1)."""
    return math.log(k) - binary_entropy(eps) - eps * math.log(k - 1)


def bound_from_table(joint: Tensor, q: Tensor) -> float:
    r"""The Barber-Agakov bound computed exactly: H(c) + sum_{c,x} p(c, x) log q(c | x).

    `q` (C, X) holds one distribution over c per column x, like :func:`posterior`."""
    joint = _check_joint(joint)
    q = torch.as_tensor(q, dtype=torch.float64)
    return float(entropy(joint.sum(1)) + torch.special.xlogy(joint, q).sum())


def bound_gap(joint: Tensor, q: Tensor) -> float:
    r"""I(c; x) - bound = E_x[ KL(p(c | x) || q(c | x)) ] = sum_x p(x) sum_c p(c|x) log(p(c|x) / q(c|x))."""
    joint = _check_joint(joint)
    q = torch.as_tensor(q, dtype=torch.float64)
    post = posterior(joint)
    kl = (torch.special.xlogy(post, post) - torch.special.xlogy(post, q)).sum(0)  # (X,)
    return float((joint.sum(0) * kl).sum())


# ------------------------------------------------------------------ a channel as one object (exercise 4)
@dataclass(frozen=True)
class DiscreteChannel:
    r"""A discrete channel c -> x whose mutual information is known exactly.

    `prior` (K,) is P(c); `transition` (K, M) holds p(x | c) with rows summing to 1. A variational
    posterior Q is given as a table `log_q` of shape (M, K) with log_q[x, c] = log Q(c | x).

        I(c; x) = sum_{c,x} p(c, x) ln [ p(c, x) / (p(c) p(x)) ]
        L(Q)    = H(c) + E_{c ~ P(c), x ~ p(x|c)}[ log Q(c | x) ]  <=  I(c; x),
    with equality exactly when Q(c | x) = p(c | x), the true posterior (Barber and Agakov 2003).

    The exact quantities come from this module's functions (:func:`entropy`, :func:`mutual_information`,
    :func:`posterior`, :func:`bound_from_table`); note that `log_q` is indexed [x, c], the transpose of
    their (C, X) tables.
    """

    prior: Tensor
    transition: Tensor

    def __post_init__(self) -> None:
        prior = torch.as_tensor(self.prior, dtype=torch.float64)
        trans = torch.as_tensor(self.transition, dtype=torch.float64)
        if prior.ndim != 1 or trans.ndim != 2 or trans.shape[0] != prior.shape[0]:
            raise ValueError(f"prior must be (K,), transition (K, M); got {tuple(prior.shape)}, {tuple(trans.shape)}")
        ones = torch.ones(len(prior), dtype=torch.float64)
        if not (torch.allclose(prior.sum(), ones.new_tensor(1.0)) and torch.allclose(trans.sum(dim=1), ones)):
            raise ValueError("the prior and every row of the transition table must sum to 1")
        object.__setattr__(self, "prior", prior)
        object.__setattr__(self, "transition", trans)

    @classmethod
    def symmetric(cls, k: int, error: float) -> DiscreteChannel:
        """The K-ary symmetric channel with a uniform prior: x = c with probability 1 - error, else
        one of the other K - 1 symbols uniformly."""
        return cls(torch.full((k,), 1.0 / k, dtype=torch.float64), symmetric_channel(k, error))

    @property
    def n_codes(self) -> int:
        """K, the number of values of c."""
        return self.prior.shape[0]

    @property
    def n_outputs(self) -> int:
        """M, the number of values of x."""
        return self.transition.shape[1]

    def joint(self) -> Tensor:
        """p(c, x), shape (K, M)."""
        return joint_table(self.prior, self.transition)

    def prior_entropy(self) -> float:
        """H(c) in nats."""
        return float(entropy(self.prior))

    def mutual_information(self) -> float:
        """I(c; x) in nats."""
        return mutual_information(self.joint())

    def posterior_log_probs(self) -> Tensor:
        """The true posterior as a Q table: log p(c | x), shape (M, K)."""
        return posterior(self.joint()).log().T  # (M, K)

    def sample(self, n: int, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        """n pairs (c, x) with c ~ P(c), x ~ p(x | c); two long tensors of shape (n,)."""
        c = torch.multinomial(self.prior, n, replacement=True, generator=generator)  # (n,)
        x = torch.multinomial(self.transition[c], 1, generator=generator).squeeze(1)  # (n,)
        return c, x

    def moments(self, values: Tensor) -> tuple[float, float]:
        """Mean and standard deviation of values[x, c] (an (M, K) table) under (c, x) ~ p(c, x),
        skipping the pairs of probability 0."""
        joint = self.joint()  # (K, M)
        v = values.double().T  # (K, M), indexed [c, x]
        mask = joint > 0
        mean = float((joint[mask] * v[mask]).sum())
        var = float((joint[mask] * (v[mask] - mean) ** 2).sum())
        return mean, math.sqrt(max(var, 0.0))

    def expected_bound(self, log_q: Tensor) -> float:
        """The exact value of L(Q) = H(c) + E[log Q(c | x)] that a Monte-Carlo estimate aims at."""
        return bound_from_table(self.joint(), log_q.double().exp().T)

    def bound_std(self, log_q: Tensor) -> float:
        """The standard deviation of log Q(c | x) over (c, x) ~ p: the Monte-Carlo error of one sample."""
        return self.moments(log_q)[1]


# ------------------------------------------------------------------ Gaussian quantities
def gaussian_entropy(var: float) -> float:
    r"""Differential entropy of N(mu, var): 1/2 log(2 pi e var) = 1/2 log(2 pi) + 1/2 + 1/2 log(var)."""
    return HALF_LOG_2PI + 0.5 + 0.5 * math.log(var)


def gaussian_channel_mi(snr: float) -> float:
    r"""I(c; x) = 1/2 log(1 + SNR) for c ~ N(0, 1), x = c + N(0, 1 / SNR)."""
    return 0.5 * math.log1p(snr)


def gaussian_linear_bound(snr: float, a: float, b: float = 0.0, std: float = 1.0) -> float:
    r"""The bound for the Gaussian channel, in closed form, when q(c | x) = N(c; a x + b, std^2):

        H(c) + E[log q] = 1/2 log(2 pi e) - log std - 1/2 log(2 pi) - E[(c - a x - b)^2] / (2 std^2),

    with E[(c - a x - b)^2] = 1 - 2a + a^2 (1 + 1/SNR) + b^2. It equals 1/2 log(1 + SNR) at the true
    posterior a = SNR / (1 + SNR), b = 0, std^2 = 1 / (1 + SNR)."""
    mse = 1 - 2 * a + a * a * (1 + 1 / snr) + b * b
    return gaussian_entropy(1.0) - math.log(std) - HALF_LOG_2PI - mse / (2 * std * std)


# ------------------------------------------------------------------ samplers
def symmetric_channel_sampler(k: int, eps: float, one_hot: bool = True) -> Sampler:
    r"""Draws (c, x) from the K-ary symmetric channel; x is one-hot (n, K) float, or (n, 1) indices."""

    def sample(n: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        c = torch.randint(k, (n,), generator=generator)  # (n,)
        flip = torch.rand(n, generator=generator) < eps
        shift = torch.randint(1, k, (n,), generator=generator)  # one of the K - 1 other symbols
        x = torch.where(flip, (c + shift) % k, c)  # (n,)
        feats = F.one_hot(x, k).float() if one_hot else x[:, None].float()  # (n, K) or (n, 1)
        return c, feats

    return sample


def gaussian_channel_sampler(snr: float) -> Sampler:
    r"""Draws (c, x) from the Gaussian channel: c ~ N(0, 1) (n,), x = c + N(0, 1/SNR) as (n, 1)."""

    def sample(n: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        c = torch.randn(n, generator=generator)  # (n,)
        x = c + torch.randn(n, generator=generator) / math.sqrt(snr)  # (n,)
        return c, x[:, None]  # (n,), (n, 1)

    return sample


# ------------------------------------------------------------------ Monte-Carlo bound
class BoundEstimate(NamedTuple):
    """A Monte-Carlo estimate of H(c) + E[log q(c | x)] with its standard error (nats)."""

    value: float
    stderr: float
    n: int


def ba_bound(log_q: Tensor, h_c: float) -> BoundEstimate:
    r"""H(c) + mean(log q(c_i | x_i)) over samples (c_i, x_i) ~ p(c, x), and the standard error
    std(log q) / sqrt(n) of that mean. `log_q` is (n,), one value per sample."""
    log_q = torch.as_tensor(log_q, dtype=torch.float64).reshape(-1)
    n = log_q.numel()
    if n < 2:
        raise ValueError("a Monte-Carlo estimate needs at least 2 samples")
    return BoundEstimate(h_c + float(log_q.mean()), float(log_q.std() / math.sqrt(n)), n)


class CategoricalQ(nn.Module):
    r"""q(c | x) = softmax(f(x))_c for a code with K values; f is a small MLP (or linear if hidden=0)."""

    def __init__(self, in_dim: int, k: int, hidden: int = 32):
        super().__init__()
        self.net = _mlp(in_dim, k, hidden)

    def log_prob(self, x: Tensor, c: Tensor) -> Tensor:
        """log q(c | x), (n,)."""
        logits = self.net(x)  # (n, K)
        return F.log_softmax(logits, dim=1).gather(1, c.long()[:, None]).squeeze(1)


class GaussianQ(nn.Module):
    r"""q(c | x) = N(c; mu(x), sigma(x)^2) for a scalar code; mu and log sigma from a small MLP.

        log q(c | x) = -log sigma - 1/2 log(2 pi) - (c - mu)^2 / (2 sigma^2)

    Unlike `losses.gaussian_nll`, log sigma is not clamped: the channels here never need it.
    """

    def __init__(self, in_dim: int, hidden: int = 32):
        super().__init__()
        self.net = _mlp(in_dim, 2, hidden)

    def log_prob(self, x: Tensor, c: Tensor) -> Tensor:
        """log q(c | x), (n,)."""
        mean, log_std = self.net(x).unbind(1)  # (n,) each
        return gaussian_log_density(c, mean, log_std)


def _mlp(in_dim: int, out_dim: int, hidden: int) -> nn.Module:
    if hidden == 0:
        return nn.Linear(in_dim, out_dim)
    return nn.Sequential(nn.Linear(in_dim, hidden), nn.Tanh(), nn.Linear(hidden, out_dim))


@dataclass
class QTrainHistory:
    """The bound on one held-out sample of `n_eval` pairs, at step 0 and every `eval_every` steps, in nats."""

    step: list[int] = field(default_factory=list)
    bound: list[float] = field(default_factory=list)
    stderr: list[float] = field(default_factory=list)
    n_eval: int = 0

    @property
    def final(self) -> BoundEstimate:
        """The last estimate, with its standard error."""
        return BoundEstimate(self.bound[-1], self.stderr[-1], self.n_eval)


def train_q(
    q: nn.Module,
    sampler: Sampler,
    h_c: float,
    steps: int = 500,
    batch_size: int = 256,
    lr: float = 1e-2,
    eval_every: int = 25,
    n_eval: int = 50_000,
    seed: int = 0,
) -> QTrainHistory:
    r"""Raise the bound H(c) + E[log q(c | x)] by gradient ascent on q: Adam minimises -E[log q(c | x)]
    on fresh samples each step (exactly what InfoGAN's Q does, with x = G(z, c)).

    The bound is measured on one held-out sample of `n_eval` pairs (drawn once, from its own seed),
    at step 0 and then every `eval_every` steps.
    """
    train_rng = torch.Generator().manual_seed(seed)
    eval_rng = torch.Generator().manual_seed(seed + 10_000)
    c_eval, x_eval = sampler(n_eval, eval_rng)
    opt = torch.optim.Adam(q.parameters(), lr=lr)
    hist = QTrainHistory(n_eval=n_eval)

    def log(step: int) -> None:
        with torch.no_grad(), evaluating(q):
            est = ba_bound(q.log_prob(x_eval, c_eval), h_c)
        hist.step.append(step)
        hist.bound.append(est.value)
        hist.stderr.append(est.stderr)

    log(0)
    for step in range(1, steps + 1):
        c, x = sampler(batch_size, train_rng)
        loss = -q.log_prob(x, c).mean()  # -E[log q(c | x)]: the bound up to the constant H(c)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % eval_every == 0 or step == steps:
            log(step)
    return hist


# ------------------------------------------------------------------ the GAN's bound (lesson 02, part 3)
def normal_pdf(x: Tensor, mean: Tensor | float = 0.0, std: float = 1.0) -> Tensor:
    """The density of N(mean, std^2) at x (differentiable in mean)."""
    return torch.exp(gaussian_log_density(x, mean, torch.full_like(x, math.log(std))))


def js_divergence(p: Tensor, q: Tensor, dx: float) -> Tensor:
    r"""JS(P || Q) = 1/2 KL(P || M) + 1/2 KL(Q || M), M = (P + Q)/2, by quadrature: `p` and `q` are densities
    on an evenly spaced grid with spacing `dx`. In nats, between 0 and log 2.

    It is also the mutual information I(x; y) between a point x and its label y ~ Bernoulli(1/2) when
    x | y=1 ~ P and x | y=0 ~ Q (Huszar 2016): the quantity a GAN's discriminator bounds from below."""
    m = (p + q) / 2
    kl_pm = (torch.special.xlogy(p, p) - torch.special.xlogy(p, m)).sum() * dx
    kl_qm = (torch.special.xlogy(q, q) - torch.special.xlogy(q, m)).sum() * dx
    return (kl_pm + kl_qm) / 2


def gan_value(d_logit: Tensor, p: Tensor, q: Tensor, dx: float) -> Tensor:
    r"""V(D, G) = E_P[log D(x)] + E_Q[log(1 - D(x))] by quadrature on a grid, for D(x) = sigmoid(d_logit(x)).

    For every D,  V(D, G) <= 2 JS(P || Q) - log 4, with equality at D*(x) = p(x) / (p(x) + q(x)): this is
    the Barber-Agakov bound on I(x; y) with q(y=1 | x) = D(x), multiplied by 2 and shifted by log 4."""
    log_d, log_one_minus_d = F.logsigmoid(d_logit), F.logsigmoid(-d_logit)
    return (p * log_d).sum() * dx + (q * log_one_minus_d).sum() * dx
