r"""Checks for exercise 4 (`exercises/ex04_monte_carlo_bound.ipynb`): a Monte-Carlo estimate of the bound.

    check_mc_lower_bound   H(c) + (1/N) sum_n log Q(c_n | x_n), (c_n, x_n) ~ p(c, x), on three
                           `infogan_edu.mi.DiscreteChannel`s whose mutual information is known exactly

For each channel, four Q tables (the true posterior, uniform, blurred, random): the estimate must stay at
or below I(c; x) and agree with the exact bound, both within Monte-Carlo error, and be reproducible from
the generator it is given.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from ..mi import DiscreteChannel
from ._checks import CheckResult, _call, _close, _diagnose, _finish, _Mismatch, _num, _scalar

HINTS: dict[str, tuple[str, ...]] = {
    "mc_lower_bound": (
        "A Monte-Carlo estimate replaces the expectation by an average over samples: draw N pairs (c, x) from "
        "the channel, average log Q(c | x) over them, add H(c).",
        "`channel.sample(n_samples, generator)` gives the pairs as two long tensors; the table is indexed "
        "`log_q[x, c]` (row: observation, column: code). The channel knows its own H(c).",
        "`c, x = channel.sample(n_samples, generator)`, then `channel.prior_entropy() + log_q[x, c].mean()`.",
    ),
}


def _q_tables(channel: DiscreteChannel, gen: torch.Generator) -> list[tuple[str, torch.Tensor]]:
    post = channel.posterior_log_probs()  # (M, K)
    m, k = channel.n_outputs, channel.n_codes
    uniform = torch.full((m, k), -math.log(k), dtype=torch.float64)
    blurred = torch.log(0.5 * post.exp() + 0.5 / k)
    random_q = torch.log_softmax(2 * torch.randn(m, k, generator=gen, dtype=torch.float64), dim=1)
    return [
        ("the true posterior p(c | x)", post),
        ("a uniform Q", uniform),
        ("a blurred posterior (half p(c | x), half uniform)", blurred),
        ("a random Q", random_q),
    ]


def check_mc_lower_bound(
    mc_lower_bound: Callable[[DiscreteChannel, torch.Tensor, int, torch.Generator], torch.Tensor],
    *,
    n_samples: int = 20_000,
    verbose: bool = True,
    raise_on_failure: bool = True,
) -> CheckResult:
    r"""Exercise 4: the Monte-Carlo estimate H(c) + (1/N) sum_n log Q(c_n | x_n), (c_n, x_n) ~ p(c, x).

    On a 4-ary symmetric channel and a skewed 3-input, 4-output channel, for four Q tables each (the
    true posterior, uniform, blurred, random): the estimate must stay at or below the exact I(c; x)
    and agree with the exact expectation of the bound, both within 5 Monte-Carlo standard errors;
    with Q = p(c | x) that means it reaches I(c; x). It must also be reproducible from `generator`.
    """

    def run() -> str:
        gen = torch.Generator().manual_seed(4)
        channels = [
            ("a 4-ary symmetric channel with error 0.2", DiscreteChannel.symmetric(4, 0.2)),
            (
                "a skewed channel (4 codes, 4 outputs)",
                DiscreteChannel(
                    torch.tensor([0.4, 0.3, 0.2, 0.1]),
                    torch.tensor(
                        [[0.7, 0.1, 0.1, 0.1], [0.1, 0.6, 0.2, 0.1], [0.2, 0.2, 0.1, 0.5], [0.4, 0.1, 0.1, 0.4]]
                    ),
                ),
            ),
            (
                "a channel with 3 codes and 5 outputs",
                DiscreteChannel(
                    torch.tensor([0.5, 0.3, 0.2]),
                    torch.tensor([[0.6, 0.1, 0.1, 0.1, 0.1], [0.1, 0.5, 0.2, 0.1, 0.1], [0.0, 0.2, 0.1, 0.3, 0.4]]),
                ),
            ),
        ]
        count = 0
        for ch_name, channel in channels:
            for q_name, log_q in _q_tables(channel, gen):
                _check_one_bound(mc_lower_bound, ch_name, channel, q_name, log_q, n_samples, seed=10 + count)
                count += 1
        ch_name, channel = channels[0]
        log_q = _q_tables(channel, gen)[3][1]
        call = f"mc_lower_bound(channel, log_q, {n_samples}, generator)"
        first = _scalar(
            _call(mc_lower_bound, call, channel, log_q.clone(), n_samples, torch.Generator().manual_seed(99)),
            call,
            False,
        )
        again = _scalar(
            _call(mc_lower_bound, call, channel, log_q.clone(), n_samples, torch.Generator().manual_seed(99)),
            call,
            False,
        )
        if not _close(first, again, rtol=1e-9, atol=1e-9):
            raise _Mismatch(
                f"two calls with generators seeded alike gave {first:.6f} and {again:.6f}\nWhat to look at: draw every "
                f"sample with the `generator` you are given, e.g. channel.sample(n_samples, generator)"
            )
        return (
            f"mc_lower_bound stays at or below I(c; x) and matches the exact bound within Monte-Carlo error "
            f"for {count} (channel, Q) pairs, reaches I(c; x) at the true posterior, and is reproducible."
        )

    return _finish(4, run, verbose, raise_on_failure, HINTS["mc_lower_bound"])


def _check_one_bound(
    fn: Callable, ch_name: str, channel: DiscreteChannel, q_name: str, log_q: torch.Tensor, n: int, seed: int
) -> None:
    call = f"mc_lower_bound(channel, log_q, {n}, generator)"
    got = _scalar(_call(fn, call, channel, log_q.clone(), n, torch.Generator().manual_seed(seed)), call, False)
    mi, h = channel.mutual_information(), channel.prior_entropy()
    expected = channel.expected_bound(log_q)
    se = channel.bound_std(log_q) / math.sqrt(n)
    tol = 5 * se + 1e-3
    e_log_q = expected - h
    mean_q_prob, std_q_prob = channel.moments(log_q.exp())
    stds = [channel.bound_std(log_q), channel.bound_std(channel.posterior_log_probs()), std_q_prob]
    variants = {
        "your estimate is I(c; x) itself, whatever Q is: average Q's log-probabilities log_q[x, c] over "
        "the samples, not the true posterior's": mi,
        "the H(c) term is missing: the bound is H(c) + E[log Q(c | x)]": e_log_q,
        "the log-likelihood enters with the wrong sign: the bound is H(c) + E[log Q(c | x)], and log Q <= 0": h
        - e_log_q,
        "log_q already holds log-probabilities; average log_q[x, c] itself, do not exponentiate it": h + mean_q_prob,
    }
    if channel.n_outputs == channel.n_codes:
        swapped, std_swapped = channel.moments(log_q.T)
        stds.append(std_swapped)
        variants[
            "the table is indexed log_q[x, c] (row: the observation x, column: the code c); you read log_q[c, x]"
        ] = h + swapped
    where = f"for {ch_name} and Q = {q_name}"
    atol = 5 * max(stds) / math.sqrt(n) + 1e-3  # the known mistakes are Monte-Carlo estimates too
    if got > mi + tol:
        hint = _diagnose(got, variants, "the bound is H(c) + the sample mean of log_q[x_n, c_n]", atol=atol)
        raise _Mismatch(
            f"{where}, your estimate {got:.4f} nats is above the true I(c; x) = {mi:.4f} nats by more "
            f"than the Monte-Carlo error ({tol:.4f}); a lower bound can never do that\nWhat to look at: {hint}"
        )
    if not (math.isfinite(got) and abs(got - expected) <= tol):
        hint = _diagnose(
            got,
            variants,
            "the bound is H(c) + the sample mean of log_q[x_n, c_n], with "
            "(c_n, x_n) drawn by channel.sample(n_samples, generator)",
            atol=atol,
        )
        raise _Mismatch(
            f"{where}, {call} returned {_num(got)}, expected {expected:.4f} +- {tol:.4f} nats "
            f"(the exact bound; I(c; x) = {mi:.4f})\nWhat to look at: {hint}"
        )

