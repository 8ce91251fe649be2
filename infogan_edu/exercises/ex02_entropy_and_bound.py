r"""Checks for exercise 2 (`exercises/ex02_entropy_and_bound.ipynb`): H(c) and the categorical part of L_I.

    check_categorical_entropy        H(c) = -sum_k p_k ln p_k in nats, against `LatentSpec.categorical_entropy`
                                     and closed forms
    check_categorical_lower_bound    L_I = E[log Q(c | x)] + H(c) from Q's logits, against
                                     H(c) - `losses.categorical_nll`
    check_categorical_bound          both, in that order

Known mistakes the hints name: bits instead of nats, a flipped sign, a softmax before the
cross-entropy, ln K in place of the entropy of a skewed prior, a sum over the batch.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from .. import losses
from ..latent import LatentSpec
from ..mi import entropy
from ._checks import CheckResult, _call, _close, _diagnose, _finish, _fmt, _Mismatch, _num, _scalar

HINTS: dict[str, tuple[str, ...]] = {
    "categorical_entropy": (
        "H(c) = -sum_k p_k ln p_k, in nats (natural log). It is one number per distribution: sum over the last "
        "dimension only.",
        "0 ln 0 must count as 0, but `0 * torch.log(0)` is nan. PyTorch has a function for x ln y that gives 0 "
        "where x = 0.",
        "`torch.xlogy(p, p)` is p ln p, with 0 where p = 0; sum it over `dim=-1` and flip the sign.",
    ),
    "categorical_lower_bound": (
        "L_I = E[log Q(c | x)] + H(c). log Q(c | x) is the log-probability that Q puts on the value c that made "
        "x; the expectation is the mean over the batch.",
        "Turn the logits into log-probabilities in one stable step (not a softmax followed by a log), then take "
        "in row i the column c_i. H(c) is the entropy of the prior you are given: use your "
        "`categorical_entropy`.",
        "log Q(c | x) is `F.log_softmax(logits, dim=1)` at column c (`.gather`), or use "
        "`-F.cross_entropy(logits, c)` for the batch mean; then add `categorical_entropy(prior)`.",
    ),
}

LN2 = math.log(2.0)


def check_categorical_entropy(
    categorical_entropy: Callable[[torch.Tensor], torch.Tensor],
    *,
    verbose: bool = True,
    raise_on_failure: bool = True,
) -> CheckResult:
    r"""Exercise 2, task 1: H(c) = -sum_k p_k ln p_k in nats, over the last dimension.

    Compared with `LatentSpec.categorical_entropy()` (ln K for a uniform code) and with closed forms:
    0 for a one-hot code (0 ln 0 = 0), 1.75 ln 2 for (1/2, 1/4, 1/8, 1/8), and a batch of rows.
    """

    def run() -> str:
        n = _check_entropy(categorical_entropy)
        return f"categorical_entropy matches on {n} cases (uniform K = 10 and 2, one-hot, skewed, a batch)."

    return _finish(2, run, verbose, raise_on_failure, HINTS["categorical_entropy"])


def check_categorical_lower_bound(
    categorical_lower_bound: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
    *,
    verbose: bool = True,
    raise_on_failure: bool = True,
) -> CheckResult:
    r"""Exercise 2, task 2: L_I = E[log Q(c | x)] + H(c) for one categorical code, in nats.

    Compared with H(c) - `losses.categorical_nll(logits, c)` (the `li_cat` of `losses.info_terms`) on
    a one-hot posterior (L_I = H(c)), a uniform one (L_I = 0), random logits, a batch of one, a
    confidently wrong Q (logit gap 200) and a skewed prior.
    """

    def run() -> str:
        n = _check_lower_bound(categorical_lower_bound)
        return (
            f"categorical_lower_bound matches H(c) - infogan_edu.losses.categorical_nll on {n} cases "
            f"(one-hot posterior, uniform posterior, random logits, a batch of one, a confidently wrong Q, "
            f"a skewed prior), in nats."
        )

    return _finish(2, run, verbose, raise_on_failure, HINTS["categorical_lower_bound"])


def check_categorical_bound(
    categorical_entropy: Callable[[torch.Tensor], torch.Tensor],
    categorical_lower_bound: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
    *,
    verbose: bool = True,
    raise_on_failure: bool = True,
) -> CheckResult:
    """Exercise 2, both tasks: `check_categorical_entropy` then `check_categorical_lower_bound`."""
    first = check_categorical_entropy(categorical_entropy, verbose=verbose, raise_on_failure=raise_on_failure)
    if not first:
        return first
    return check_categorical_lower_bound(categorical_lower_bound, verbose=verbose, raise_on_failure=raise_on_failure)


def _check_entropy(fn: Callable) -> int:
    cases = [
        (
            "a uniform code over K = 10 (MNIST's c1)",
            torch.full((10,), 0.1),
            LatentSpec(categorical=(10,)).categorical_entropy(),
        ),
        (
            "a uniform code over K = 2",
            torch.tensor([0.5, 0.5]),
            LatentSpec(categorical=(2,)).categorical_entropy(),
        ),
        ("a one-hot (certain) code", torch.tensor([0.0, 0.0, 1.0, 0.0]), 0.0),
        ("a skewed code", torch.tensor([0.5, 0.25, 0.125, 0.125]), 1.75 * LN2),
    ]
    for name, probs, expected in cases:
        call = f"categorical_entropy({_fmt(probs)})"
        got = _scalar(_call(fn, call, probs.clone()), call, require_tensor=False)
        if _close(got, expected):
            continue
        variants = {
            "you measured in bits (log base 2); InfoGAN's H(c) and L_I are in nats: use the natural log "
            "(torch.log)": expected / LN2,
            "the sign is flipped: H(c) = -sum_k p_k ln p_k is never negative": -expected,
            "you averaged over the K values; H(c) is a sum over k": expected / probs.numel(),
        }
        default = "H(c) = -sum_k p_k ln p_k, in nats"
        if math.isnan(got):
            default = "0 * ln 0 gave nan: a zero probability contributes 0, use torch.xlogy(p, p) or mask p = 0"
        hint = _diagnose(got, variants, default)
        raise _Mismatch(
            f"for {name}, {call} returned {_num(got)}, expected {_num(expected)} nats"
            f"\nWhat to look at: {hint}"
        )
    # a batch of distributions: one entropy per row
    probs = torch.tensor([[0.25, 0.25, 0.25, 0.25], [1.0, 0.0, 0.0, 0.0], [0.5, 0.5, 0.0, 0.0]])
    call = f"categorical_entropy({_fmt(probs)})"
    got = _call(fn, call, probs.clone())
    expected = entropy(probs)  # (3,) nats, float64
    if (
        not isinstance(got, torch.Tensor)
        or tuple(got.shape) != (3,)
        or not torch.allclose(got.double(), expected, rtol=1e-4, atol=1e-6)
    ):
        raise _Mismatch(
            f"for a batch of three distributions (one per row), {call} returned {_fmt(got)}, expected "
            f"{_fmt(expected)} (one entropy per row)\nWhat to look at: sum over the last dimension only (dim=-1)"
        )
    return len(cases) + 1


def _check_lower_bound(fn: Callable) -> int:
    gen = torch.Generator().manual_seed(2)
    k, b = 10, 8
    uniform = torch.full((k,), 1.0 / k)
    c = torch.randint(k, (b,), generator=gen)
    wrong = (c + 1) % k
    cases = [
        ("a one-hot posterior (Q certain and right)", 30 * F.one_hot(c, k).float(), c, uniform),
        ("a uniform posterior (Q has no idea)", torch.zeros(b, k), c, uniform),
        (
            "random logits",
            3 * torch.randn(32, k, generator=gen),
            torch.randint(k, (32,), generator=gen),
            uniform,
        ),
        ("a batch of one", torch.randn(1, k, generator=gen), torch.tensor([4]), uniform),
        ("a confidently wrong Q (logit gap 200)", 200 * F.one_hot(wrong, k).float(), c, uniform),
        (
            "a skewed prior P(c) = (0.7, 0.2, 0.1)",
            torch.randn(6, 3, generator=gen),
            torch.tensor([0, 0, 1, 0, 2, 1]),
            torch.tensor([0.7, 0.2, 0.1]),
        ),
    ]
    for name, logits, codes, prior in cases:
        call = f"categorical_lower_bound(logits={_fmt(logits)}, c={_fmt(codes)}, prior={_fmt(prior)})"
        got = _scalar(_call(fn, call, logits.clone(), codes.clone(), prior.clone()), call, require_tensor=False)
        h = float(entropy(prior))
        nll = float(losses.categorical_nll(logits.double(), codes))
        expected = h - nll  # L_I = H(c) + E[log Q(c|x)]
        if _close(got, expected):
            continue
        variants = {
            "the H(c) term is missing: L_I = E[log Q(c | x)] + H(c)": -nll,
            "a softmax before the cross-entropy applies softmax twice; F.cross_entropy and F.log_softmax "
            "take raw logits": h - float(F.cross_entropy(F.softmax(logits.double(), dim=1), codes)),
            "you measured in bits (log base 2); L_I is in nats (natural log)": expected / LN2,
            "the log-likelihood enters with the wrong sign: L_I = H(c) + E[log Q(c | x)] = H(c) - cross-entropy": h
            + nll,
            "H(c) is the entropy of the prior you were given, not ln K (they agree only for a uniform prior)": math.log(
                prior.numel()
            )
            - nll,
            "you summed over the batch; E[log Q(c | x)] is a mean": h - nll * codes.numel(),
        }
        default = "L_I = H(prior) + mean over the batch of log softmax(logits)[c], in nats"
        if not math.isfinite(got):
            default = (
                "log(softmax(logits)) underflows to -inf for confident logits; use F.log_softmax(logits, "
                "dim=1) or -F.cross_entropy(logits, c)"
            )
        hint = _diagnose(got, variants, default)
        raise _Mismatch(
            f"for {name}, {call} returned {_num(got)}, expected L_I = {_num(expected)} nats"
            f"\nWhat to look at: {hint}"
        )
    return len(cases)

