r"""Checks for exercise 3 (`exercises/ex03_gaussian_nll.ipynb`): the Gaussian NLL of the continuous codes.

    check_gaussian_nll   -log N(c; mu, sigma^2) with a learned log sigma, summed over codes and averaged
                         over the batch: against `losses.gaussian_nll` with `clamp=True` (log sigma
                         clamped to [LOG_STD_MIN, LOG_STD_MAX]) and against `torch.distributions.Normal`
                         with `clamp=False`

The cases include sigma -> 0 where Q is right (the unclamped loss runs off to -infinity) and where Q is
wrong (it explodes), which is why the clamp exists.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch.distributions import Normal

from .. import losses
from ..latent import HALF_LOG_2PI
from ._checks import CheckResult, _call, _close, _diagnose, _finish, _fmt, _Mismatch, _num, _scalar

HINTS: dict[str, tuple[str, ...]] = {
    "gaussian_nll": (
        "Write -log N(c; mu, sigma^2) for each code from the formula above, with sigma = exp(log_std); then sum "
        "over the codes and average over the batch.",
        "log_std is log sigma, so sigma^2 = exp(2 log_std). With `clamp=True`, clamp log_std to "
        "[LOG_STD_MIN, LOG_STD_MAX] before anything else; with `clamp=False`, use it as given.",
        "`log_std + 0.5 * math.log(2 * math.pi) + (c - mean) ** 2 / (2 * torch.exp(2 * log_std))` is the NLL "
        "of each code, shape (B, n_codes); reduce it with `.sum(dim=1).mean()`.",
    ),
}


def _gaussian_nll_reference(mean: torch.Tensor, log_std: torch.Tensor, c: torch.Tensor, clamp: bool) -> float:
    log_std = log_std.double()
    if clamp:
        return float(losses.gaussian_nll(mean.double(), log_std, c.double()))
    nll = -Normal(mean.double(), log_std.exp()).log_prob(c.double())  # (B, n)
    return float(nll.sum(dim=1).mean())


def check_gaussian_nll(
    gaussian_nll: Callable[..., torch.Tensor],
    *,
    verbose: bool = True,
    raise_on_failure: bool = True,
) -> CheckResult:
    r"""Exercise 3: -log N(c; mu, sigma^2) = log sigma + 1/2 log 2 pi + (c - mu)^2 / (2 sigma^2).

    Summed over codes, averaged over the batch, with log sigma clamped to
    [LOG_STD_MIN, LOG_STD_MAX] = [-3, 2] when `clamp=True`. Compared with `losses.gaussian_nll`
    (clamped) and with the closed form (clamp=False), including sigma -> 0 where Q is right (the
    unclamped loss runs off to -infinity) and where Q is wrong (the unclamped loss explodes).
    """

    def run() -> str:
        gen = torch.Generator().manual_seed(3)
        b = 16
        mean = torch.randn(b, 2, generator=gen)
        cases = [
            (
                "a standard normal at its mean (mu = c, sigma = 1)",
                torch.zeros(4, 2),
                torch.zeros(4, 2),
                torch.zeros(4, 2),
            ),
            (
                "random means, log-stds and codes",
                mean,
                torch.rand(b, 2, generator=gen) * 2 - 1,
                torch.rand(b, 2, generator=gen) * 2 - 1,
            ),
            (
                "a batch of one with three codes",
                torch.tensor([[0.3, -0.2, 0.9]]),
                torch.tensor([[0.5, -1.0, 0.0]]),
                torch.tensor([[-0.7, 0.1, 0.8]]),
            ),
            (
                "a tiny sigma where Q is right (log_std = -20, c = mu)",
                mean[:4],
                torch.full((4, 2), -20.0),
                mean[:4].clone(),
            ),
            (
                "a tiny sigma where Q is wrong (log_std = -20, c - mu = 0.5)",
                mean[:4],
                torch.full((4, 2), -20.0),
                mean[:4] + 0.5,
            ),
            ("a huge sigma (log_std = 10)", mean[:4], torch.full((4, 2), 10.0), mean[:4] - 1.0),
        ]
        for name, mu, log_std, c in cases:
            _check_one_gaussian(gaussian_nll, name, mu, log_std, c, clamp=True)
        for i in (1, 3, 4):  # the same formula without the clamp, as the "why" section uses it
            name, mu, log_std, c = cases[i]
            _check_one_gaussian(gaussian_nll, name, mu, log_std, c, clamp=False)
        return (
            f"gaussian_nll matches infogan_edu.losses.gaussian_nll on {len(cases)} cases (sigma = 1, random, "
            f"a batch of one, tiny and huge sigma) and the unclamped formula with clamp=False."
        )

    return _finish(3, run, verbose, raise_on_failure, HINTS["gaussian_nll"])


def _check_one_gaussian(
    fn: Callable, name: str, mu: torch.Tensor, log_std: torch.Tensor, c: torch.Tensor, clamp: bool
) -> None:
    call = f"gaussian_nll(mean={_fmt(mu)}, log_std={_fmt(log_std)}, c={_fmt(c)}, clamp={clamp})"
    got = _scalar(_call(fn, call, mu.clone(), log_std.clone(), c.clone(), clamp=clamp), call, require_tensor=True)
    expected = _gaussian_nll_reference(mu, log_std, c, clamp)
    if _close(got, expected):
        return
    ls = log_std.double().clamp(losses.LOG_STD_MIN, losses.LOG_STD_MAX) if clamp else log_std.double()
    d2 = (c.double() - mu.double()) ** 2  # (B, n)
    n_codes = mu.shape[1]

    def reduce(t: torch.Tensor) -> float:
        return float(t.sum(dim=1).mean())

    variants = {
        "the log sigma term is missing: -log N(c; mu, sigma^2) = log sigma + 1/2 log(2 pi) + "
        "(c - mu)^2 / (2 sigma^2); without log sigma, Q could make sigma huge for free": reduce(
            HALF_LOG_2PI + d2 / (2 * torch.exp(2 * ls))
        ),
        "you divided by 2 sigma instead of 2 sigma^2; sigma = exp(log_std), so sigma^2 = exp(2 * log_std)": reduce(
            ls + HALF_LOG_2PI + d2 / (2 * torch.exp(ls))
        ),
        "log_std is log sigma, not log sigma^2: the variance is exp(2 * log_std)": reduce(
            ls / 2 + HALF_LOG_2PI + d2 / (2 * torch.exp(ls))
        ),
        "the constant 1/2 log(2 pi) per code is missing; it does not change gradients, but L_I in nats "
        "needs it": reduce(ls + d2 / (2 * torch.exp(2 * ls))),
        "you averaged over the codes; the NLL of independent codes is their sum (sum over dim 1, then "
        "the mean over the batch)": reduce(ls + HALF_LOG_2PI + d2 / (2 * torch.exp(2 * ls))) / n_codes,
    }
    default = (
        "per code: log_std + 1/2 log(2 pi) + (c - mean)^2 / (2 exp(2 log_std)); sum over codes, mean over the batch"
    )
    if clamp:
        unclamped = _gaussian_nll_reference(mu, log_std, c, clamp=False)
        variants = {
            f"no clamping: with log_std = {_num(float(log_std.flatten()[0]))} the loss is {_num(unclamped)}; "
            f"clamp log_std to [LOG_STD_MIN, LOG_STD_MAX] = [{losses.LOG_STD_MIN:g}, {losses.LOG_STD_MAX:g}] "
            f"before using it (log_std.clamp(LOG_STD_MIN, LOG_STD_MAX))": unclamped,
            **variants,
        }
        if not math.isfinite(got) or abs(got) > 1e6:
            default = (
                f"a loss of {_num(got)} means sigma was not kept away from 0: clamp log_std to "
                f"[LOG_STD_MIN, LOG_STD_MAX] when clamp=True"
            )
    else:
        default = "with clamp=False use log_std exactly as given (the 'why' section needs the unclamped loss)"
    hint = _diagnose(got, variants, default)
    raise _Mismatch(f"for {name}, {call} returned {_num(got)}, expected {_num(expected)}\nWhat to look at: {hint}")

