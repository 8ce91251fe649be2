r"""The losses of InfoGAN, each next to the equation it implements (Chen et al. 2016, Eqs. 1-6).

The GAN game (Goodfellow et al. 2014) is played on the value function

    V(D, G) = E_{x ~ P_data}[ log D(x) ] + E_{z ~ noise}[ log(1 - D(G(z))) ],    min_G max_D V(D, G).

InfoGAN adds a variational lower bound on the mutual information between the codes c and the image:

    I(c; G(z, c)) >= L_I(G, Q) = E_{c ~ P(c), x ~ G(z, c)}[ log Q(c | x) ] + H(c)

and plays   min_{G, Q} max_D  V_InfoGAN(D, G, Q) = V(D, G) - lambda * L_I(G, Q).

Everything here takes *logits* (pre-sigmoid / pre-softmax scores): the log-probabilities are
computed with log-sigmoid / log-softmax inside, which is exact and stable. Never put a softmax
before `cross_entropy`: that computes log(softmax(softmax(.))), a different quantity.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F

from .latent import Latent, LatentSpec, QOutput, gaussian_log_density

__all__ = [
    "categorical_nll",
    "discriminator_loss",
    "gaussian_nll",
    "generator_loss_minimax",
    "generator_loss_nonsaturating",
    "info_terms",
    "InfoTerms",
    "invariant_information",
    "LOG_STD_MAX",
    "LOG_STD_MIN",
]

# Q's learned log-std of each continuous code is clamped to this range (std 0.05 .. 7.4).
# Without the lower bound, -log Q = log(sigma) + ... -> -inf as sigma -> 0 on codes Q already reads
# well, and the gradient 1/sigma^2 explodes. Without the upper bound Q can give up on a code cheaply.
LOG_STD_MIN, LOG_STD_MAX = -3.0, 2.0


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    r"""D maximises V(D, G); we minimise its negative,

        L_D = -V(D, G) = -E_x[ log D(x) ] - E_z[ log(1 - D(G(z))) ].

    With D(x) = sigmoid(l): log D = log_sigmoid(l) = -softplus(-l) and
    log(1 - D) = log_sigmoid(-l) = -softplus(l).
    """
    log_d_real = F.logsigmoid(real_logits)  # log D(x)
    log_one_minus_d_fake = F.logsigmoid(-fake_logits)  # log(1 - D(G(z)))
    return -(log_d_real.mean() + log_one_minus_d_fake.mean())  # -V(D, G)


def generator_loss_minimax(fake_logits: torch.Tensor) -> torch.Tensor:
    r"""G's loss as the game states it: minimise the only term of V(D, G) that depends on G,

        L_G^{minimax} = E_z[ log(1 - D(G(z))) ].

    It saturates: when D confidently rejects the fakes (D(G(z)) -> 0, early in training) its
    gradient with respect to the logit, -sigmoid(l), vanishes.
    """
    return F.logsigmoid(-fake_logits).mean()  # E[log(1 - D(G(z)))]


def generator_loss_nonsaturating(fake_logits: torch.Tensor) -> torch.Tensor:
    r"""The non-saturating G loss (Goodfellow et al. 2014, Sec. 3), used in practice:

        L_G^{NS} = -E_z[ log D(G(z)) ].

    Same fixed point as the minimax loss, but its gradient, -(1 - sigmoid(l)), is largest exactly
    when D rejects the fakes.
    """
    return -F.logsigmoid(fake_logits).mean()  # -E[log D(G(z))]


def categorical_nll(logits: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    r"""-E[ log Q(c | x) ] for one categorical code, in nats (the cross-entropy of Q against the c
    that made x). `logits` (B, K) are raw scores; log-softmax is applied inside `cross_entropy`."""
    return F.cross_entropy(logits, c)  # -E[log softmax(logits)_c]


def gaussian_nll(
    mean: torch.Tensor,
    log_std: torch.Tensor,
    c: torch.Tensor,
    fixed_std: bool = False,
) -> torch.Tensor:
    r"""-E[ log Q(c | x) ] for continuous codes, with Q(c | x) = N(c; mu(x), sigma(x)^2) factorised
    over codes:

        -log N(c; mu, sigma^2) = log sigma + 1/2 log(2 pi) + (c - mu)^2 / (2 sigma^2).

    `log_std` is Q's learned log sigma, clamped to [LOG_STD_MIN, LOG_STD_MAX] (see the constant).
    With `fixed_std=True`, sigma = 1 as in the original InfoGAN code: the loss is then
    1/2 (c - mu)^2 + const, a mean-squared error; it is still a Gaussian log-likelihood, with a
    variance nobody learns. Summed over codes, averaged over the batch, in nats.
    """
    if fixed_std:
        log_std = torch.zeros_like(mean)  # sigma = 1
    else:
        log_std = log_std.clamp(LOG_STD_MIN, LOG_STD_MAX)
    nll = -gaussian_log_density(c, mean, log_std)  # (B, n_cont)
    return nll.sum(dim=1).mean()


class InfoTerms(NamedTuple):
    """The information terms of one batch.

    `loss` is what the optimiser minimises: lambda_cat * NLL_cat + lambda_cont * NLL_cont, which is
    -lambda * L_I up to the constant H(c). `li_cat` and `li_cont` are the lower bound L_I itself, per
    code type, in nats (detached, for logging): li_cat can be drawn against H(c) = ln 10.
    """

    loss: torch.Tensor
    nll_cat: torch.Tensor
    nll_cont: torch.Tensor
    li_cat: torch.Tensor
    li_cont: torch.Tensor


def info_terms(
    q: QOutput,
    latent: Latent,
    spec: LatentSpec,
    lambda_cat: float = 1.0,
    lambda_cont: float = 1.0,
    fixed_std: bool = False,
) -> InfoTerms:
    r"""The variational mutual-information bound of InfoGAN (Lemma 5.1, Eq. 5),

        L_I(G, Q) = E_{c ~ P(c), x ~ G(z, c)}[ log Q(c | x) ] + H(c)  <=  I(c; G(z, c)),

    split by code type with one lambda each (the paper: lambda = 1 for discrete codes, smaller for
    continuous ones). We minimise  lambda_cat * (-E[log Q(c_cat|x)]) + lambda_cont * (-E[log Q(c_cont|x)]),
    which equals -lambda * L_I(G, Q) + lambda * H(c): H(c) is a constant of the prior and has no gradient.
    """
    zero = q.mean.new_zeros(())
    # -E[log Q(c_cat | x)]: the cross-entropy of each categorical code, summed over codes
    nll_cat = sum((categorical_nll(lg, latent.cat[:, i]) for i, lg in enumerate(q.cat_logits)), zero)
    # -E[log Q(c_cont | x)]: the Gaussian NLL of the continuous codes
    nll_cont = gaussian_nll(q.mean, q.log_std, latent.cont, fixed_std) if spec.continuous else zero
    loss = lambda_cat * nll_cat + lambda_cont * nll_cont  # -lambda L_I + const
    # L_I = H(c) + E[log Q(c|x)], reported in nats
    li_cat = spec.categorical_entropy() - nll_cat.detach()
    li_cont = spec.continuous_entropy() - nll_cont.detach()
    return InfoTerms(loss, nll_cat, nll_cont, li_cat, li_cont)


def invariant_information(logits: torch.Tensor, logits_moved: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    r"""The mutual information between Q's category of an image and of its transformed copy (IIC, Ji et al. 2019),

        I(c; c') = sum_{k,l} P_{kl} log( P_{kl} / (P_k P'_l) ) = H(c) - H(c | c'),    c = Q(x), c' = Q(T(x)),

    from the batch's joint distribution of the two categories, made symmetric since c and c' play the same role:

        P = 1/(2B) sum_i [ q(x_i) q(T x_i)^T + q(T x_i) q(x_i)^T ],   P_k = sum_l P_{kl},   P'_l = sum_k P_{kl},

    with q(x) = softmax of Q's categorical logits. In nats, between 0 and ln K. Maximising it asks two things at
    once: H(c | c') -> 0, the same category for an image and its copy, and H(c) -> ln K, every category used, so
    the agreement cannot be bought by putting every image in one category. Returned as I (not -I): a loss uses
    -lambda * I. `logits`, `logits_moved`: (B, K).
    """
    q, q_moved = F.softmax(logits, dim=1), F.softmax(logits_moved, dim=1)  # (B, K) each
    joint = q.t() @ q_moved / q.shape[0]  # (K, K): P_kl = 1/B sum_i q_k(x_i) q_l(T x_i)
    joint = ((joint + joint.t()) / 2).clamp_min(eps)  # symmetric; eps keeps log finite for empty cells
    p_row = joint.sum(dim=1, keepdim=True)  # (K, 1): P_k
    p_col = joint.sum(dim=0, keepdim=True)  # (1, K): P'_l
    return (joint * (joint.log() - p_row.log() - p_col.log())).sum()  # sum P_kl log(P_kl / (P_k P'_l))
