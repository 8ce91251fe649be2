r"""Automatic checks for the exercise notebooks in `exercises/`.

    exercise 1  check_discriminator_loss, check_generator_loss (both: check_gan_losses)
    exercise 2  check_categorical_entropy, check_categorical_lower_bound (both: check_categorical_bound)
    exercise 3  check_gaussian_nll
    exercise 4  check_mc_lower_bound, on a `DiscreteChannel` whose mutual information is known exactly
    exercise 5  check_traversal
    exercise 6  check_hungarian_accuracy

Each check runs a learner's function on several inputs, edge cases included (a one-hot posterior,
a uniform posterior, a batch of one, confident logits, a tiny log-std), and compares the answers with
the library's reference implementation (`infogan_edu.losses`, `infogan_edu.latent`,
`infogan_edu.metrics`) or with a value known in closed form. A pass prints one line,

    ✓ Exercise 1 passed: ...

and a failure raises `ExerciseCheckFailed` (an `AssertionError`) whose message says what differed,

    ✗ Exercise 1: for <the input>, generator_loss(...) returned <got>, expected <value>; hint: <what to fix>

so that a notebook run stops where the mistake is. When a known mistake explains the wrong number (a
flipped sign, log base 2 instead of nats, a softmax before the cross-entropy, ...) the hint names it.

A `NotImplementedError` from an unfinished exercise stub is let through unchanged: the learner sees
"Exercise N: <hint>" from the stub itself. Any other exception from the learner's function becomes a
failed check that says which input caused it.

Tests call the same functions with `verbose=False, raise_on_failure=False` and read the returned
`CheckResult` (with `raise_on_failure=False` and `verbose=True` a failure is printed instead).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from . import losses
from .latent import Latent, LatentSpec

LN2 = math.log(2.0)


class ExerciseCheckFailed(AssertionError):
    """A learner's function gave a wrong answer. `str(error)` is the friendly explanation."""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: which exercise, whether it passed, and the message shown."""

    exercise: int
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return self.message

    def _ipython_display_(self) -> None:
        """Show nothing when a notebook cell ends with a check: the check has printed its message."""


class _Mismatch(Exception):
    """Internal: a check found a wrong answer; `args[0]` explains it."""


# --------------------------------------------------------------------------------------- machinery
def _finish(exercise: int, run: Callable[[], str], verbose: bool, raise_on_failure: bool) -> CheckResult:
    try:
        summary = run()
    except _Mismatch as m:
        result = CheckResult(exercise, False, f"✗ Exercise {exercise}: {m.args[0]}")
    else:
        result = CheckResult(exercise, True, f"✓ Exercise {exercise} passed: {summary}")
    if not result.passed and raise_on_failure:
        raise ExerciseCheckFailed(result.message)
    if verbose:
        print(result.message)
    return result


def _call(fn: Callable[..., Any], call: str, *args: Any, **kwargs: Any) -> Any:
    """Run the learner's `fn`; stubs' NotImplementedError passes, any other error becomes a mismatch."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise
    except Exception as e:  # every other error is reported to the learner, with its input
        raise _Mismatch(f"{call} raised {type(e).__name__}: {e}") from None


def _fmt(x: Any) -> str:
    """A short, one-line rendering of a number, tensor or array: at most 6 values per row, 2 rows."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    arr = np.asarray(x)
    if arr.ndim == 0:
        return _num(arr.item())
    if arr.ndim == 1:
        items = [_num(v) for v in arr[:6].tolist()]
        if arr.size > 6:
            items = [_num(v) for v in arr[:3].tolist()] + ["..."] + [_num(v) for v in arr[-2:].tolist()]
        return "[" + ", ".join(items) + "]"
    rows = [_fmt(row) for row in arr[:2]]
    more = ", ..." if arr.shape[0] > 2 else ""
    return f"[{', '.join(rows)}{more}] (shape {tuple(arr.shape)})"


def _num(v: Any) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{float(v) + 0.0:.4g}"  # + 0.0 turns -0.0 into 0.0
    return str(v)


def _close(got: float, expected: float, rtol: float = 1e-4, atol: float = 1e-5) -> bool:
    if math.isnan(got) or math.isnan(expected):
        return False
    if math.isinf(got) or math.isinf(expected):
        return got == expected
    return math.isclose(got, expected, rel_tol=rtol, abs_tol=atol)


def _diagnose(got: float, variants: dict[str, float], default: str, atol: float = 1e-4) -> str:
    """The hint of the first known mistake whose value equals `got` (within `atol`), else `default`."""
    for hint, value in variants.items():
        if math.isfinite(value) and _close(got, value, rtol=1e-3, atol=atol):
            return hint
    return default


def _scalar(value: Any, call: str, require_tensor: bool) -> float:
    """One number out of a learner's return value (a loss must stay a tensor for `.backward()`)."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise _Mismatch(
                f"{call} returned a tensor of shape {tuple(value.shape)}; expected a single number "
                f"(average over the batch, e.g. with .mean())"
            )
        return float(value.detach().double())
    if require_tensor:
        raise _Mismatch(
            f"{call} returned a {type(value).__name__}, not a torch tensor; keep it a tensor "
            f"(no .item(), no float(...)) so that .backward() can reach the networks"
        )
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value)
    raise _Mismatch(f"{call} returned {type(value).__name__}; expected a number")


def _xlogx(p: torch.Tensor) -> torch.Tensor:
    return torch.xlogy(p, p)  # p log p with 0 log 0 = 0


# ----------------------------------------------------------------- exercise 1: the GAN losses
def _gan_cases() -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    """(name, real_logits, fake_logits) for exercise 1."""
    gen = torch.Generator().manual_seed(1)
    return [
        ("random logits", 2 * torch.randn(16, generator=gen), 2 * torch.randn(16, generator=gen)),
        ("zero logits (D = 1/2 everywhere)", torch.zeros(4), torch.zeros(4)),
        ("a batch of one", torch.tensor([1.5]), torch.tensor([-0.5])),
        (
            "real and fake batches of different sizes",
            torch.randn(3, generator=gen),
            torch.randn(7, generator=gen),
        ),
        ("confident logits of +-40", torch.tensor([40.0, -40.0, 25.0]), torch.tensor([-40.0, 40.0, 0.0])),
    ]


def _gan_case_names() -> str:
    return ", ".join(name for name, _, _ in _gan_cases())


def check_discriminator_loss(
    discriminator_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    *,
    verbose: bool = True,
    raise_on_failure: bool = True,
) -> CheckResult:
    r"""Exercise 1, task 1: L_D = -V(D, G) = -E_x[log D(x)] - E_z[log(1 - D(G(z)))] from logits.

    Compared with `losses.discriminator_loss` in value and gradient, on zero logits (D = 1/2), random
    logits, a batch of one, real and fake batches of different sizes, and confident logits of +-40
    (where log(1 - sigmoid(l)) computed naively is log(0) = -inf).
    """

    def run() -> str:
        cases = _gan_cases()
        for name, real, fake in cases:
            _check_discriminator_loss(discriminator_loss, name, real, fake)
        _check_loss_gradient("discriminator_loss", discriminator_loss, losses.discriminator_loss, 2)
        return (
            f"discriminator_loss matches infogan_edu.losses.discriminator_loss on {len(cases)} cases "
            f"({_gan_case_names()}), gradients included."
        )

    return _finish(1, run, verbose, raise_on_failure)


def check_generator_loss(
    generator_loss: Callable[[torch.Tensor], torch.Tensor],
    *,
    verbose: bool = True,
    raise_on_failure: bool = True,
) -> CheckResult:
    r"""Exercise 1, task 2: the non-saturating L_G = -E_z[log D(G(z))] from logits.

    Compared with `losses.generator_loss_nonsaturating` in value and gradient on the same cases as
    `check_discriminator_loss`; the minimax loss E[log(1 - D(G(z)))] is recognised and refused.
    """

    def run() -> str:
        cases = _gan_cases()
        for name, _, fake in cases:
            _check_generator_loss(generator_loss, name, fake)
        _check_loss_gradient("generator_loss", generator_loss, losses.generator_loss_nonsaturating, 1)
        return (
            f"generator_loss matches infogan_edu.losses.generator_loss_nonsaturating on {len(cases)} cases "
            f"({_gan_case_names()}), gradients included."
        )

    return _finish(1, run, verbose, raise_on_failure)


def check_gan_losses(
    discriminator_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    generator_loss: Callable[[torch.Tensor], torch.Tensor],
    *,
    verbose: bool = True,
    raise_on_failure: bool = True,
) -> CheckResult:
    """Exercise 1, both tasks: `check_discriminator_loss` then `check_generator_loss`."""
    first = check_discriminator_loss(discriminator_loss, verbose=verbose, raise_on_failure=raise_on_failure)
    if not first:
        return first
    return check_generator_loss(generator_loss, verbose=verbose, raise_on_failure=raise_on_failure)


def _check_discriminator_loss(fn: Callable, name: str, real: torch.Tensor, fake: torch.Tensor) -> None:
    call = f"discriminator_loss(real_logits={_fmt(real)}, fake_logits={_fmt(fake)})"
    got = _scalar(_call(fn, call, real.clone(), fake.clone()), call, require_tensor=True)
    expected = float(losses.discriminator_loss(real.double(), fake.double()))
    if _close(got, expected):
        return
    bce = F.binary_cross_entropy_with_logits(
        torch.cat([real, fake]).double(), torch.cat([torch.ones_like(real), torch.zeros_like(fake)]).double()
    )
    variants = {
        "the sign is flipped: D maximises V(D, G), so the loss to minimise is L_D = -V(D, G)": -expected,
        "real and fake are swapped: real images get log D(x), generated ones log(1 - D(G(z)))": float(
            losses.discriminator_loss(fake.double(), real.double())
        ),
        "one BCE over the concatenated batch is not L_D: -V(D, G) is the sum of two expectations, each "
        "averaged over its own batch": float(bce),
        "you summed over the batch; an expectation E[...] is a mean (.mean())": -float(
            F.logsigmoid(real.double()).sum() + F.logsigmoid(-fake.double()).sum()
        ),
    }
    default = (
        "L_D = -mean(log D(x)) over the real logits - mean(log(1 - D(G(z)))) over the fake logits, "
        "with log D = F.logsigmoid(logit) and log(1 - D) = F.logsigmoid(-logit)"
    )
    if not math.isfinite(got):
        default = (
            "log(sigmoid(l)) underflows to log(0) = -inf for confident logits; compute log D with "
            "F.logsigmoid(l) and log(1 - D) with F.logsigmoid(-l)"
        )
    hint = _diagnose(got, variants, default)
    raise _Mismatch(f"for {name}, {call} returned {_num(got)}, expected L_D = {_num(expected)}; hint: {hint}")


def _check_generator_loss(fn: Callable, name: str, fake: torch.Tensor) -> None:
    call = f"generator_loss(fake_logits={_fmt(fake)})"
    got = _scalar(_call(fn, call, fake.clone()), call, require_tensor=True)
    expected = float(losses.generator_loss_nonsaturating(fake.double()))
    if _close(got, expected):
        return
    minimax = float(losses.generator_loss_minimax(fake.double()))
    variants = {
        "that is the minimax loss E[log(1 - D(G(z)))], which saturates when D rejects the fakes; the "
        "exercise asks for the non-saturating loss -E[log D(G(z))]": minimax,
        "that is -E[log(1 - D(G(z)))]: minimising it pushes D(G(z)) towards 0, the wrong way; the "
        "non-saturating loss is -E[log D(G(z))]": -minimax,
        "the sign is flipped: G wants D(G(z)) large, so it minimises -E[log D(G(z))]": -expected,
        "you summed over the batch; an expectation E[...] is a mean (.mean())": -float(
            F.logsigmoid(fake.double()).sum()
        ),
    }
    default = "L_G = -mean(log D(G(z))) over the fake logits, with log D = F.logsigmoid(logit)"
    if not math.isfinite(got):
        default = "log(sigmoid(l)) underflows to -inf for confident logits; use F.logsigmoid(l)"
    hint = _diagnose(got, variants, default)
    raise _Mismatch(
        f"for {name}, {call} returned {_num(got)}, expected L_G = -E[log D(G(z))] = {_num(expected)}; hint: {hint}"
    )


def _check_loss_gradient(label: str, fn: Callable, ref: Callable, n_args: int) -> None:
    """The learner's loss must be differentiable and have the reference's gradient."""
    gen = torch.Generator().manual_seed(11)
    args = [torch.randn(6, generator=gen) for _ in range(n_args)]
    mine = [a.clone().requires_grad_(True) for a in args]
    theirs = [a.clone().requires_grad_(True) for a in args]
    out = _call(fn, f"{label}(...) on logits that require grad", *mine)
    if not isinstance(out, torch.Tensor) or out.grad_fn is None:
        raise _Mismatch(
            f"{label} returned a value that is not connected to the logits, so no gradient reaches "
            f"the networks; hint: do not call .item(), .detach() or torch.tensor(...) on the result"
        )
    out.sum().backward()
    ref(*theirs).backward()
    for i, (a, b) in enumerate(zip(mine, theirs, strict=True)):
        if a.grad is None or not torch.allclose(a.grad, b.grad, rtol=1e-4, atol=1e-6):
            got_grad = "None" if a.grad is None else _fmt(a.grad)
            raise _Mismatch(
                f"the gradient of {label} with respect to argument {i + 1} is {got_grad}, expected "
                f"{_fmt(b.grad)}; hint: the value may be right by accident; build the loss from "
                f"F.logsigmoid of the logits you are given"
            )


# ------------------------------------------------- exercise 2: H(c) and the categorical L_I
def _entropy_reference(probs: torch.Tensor) -> torch.Tensor:
    return -_xlogx(probs.double()).sum(dim=-1)  # (...,) nats


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

    return _finish(2, run, verbose, raise_on_failure)


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

    return _finish(2, run, verbose, raise_on_failure)


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
        raise _Mismatch(f"for {name}, {call} returned {_num(got)}, expected {_num(expected)} nats; hint: {hint}")
    # a batch of distributions: one entropy per row
    probs = torch.tensor([[0.25, 0.25, 0.25, 0.25], [1.0, 0.0, 0.0, 0.0], [0.5, 0.5, 0.0, 0.0]])
    call = f"categorical_entropy({_fmt(probs)})"
    got = _call(fn, call, probs.clone())
    expected = _entropy_reference(probs)
    if (
        not isinstance(got, torch.Tensor)
        or tuple(got.shape) != (3,)
        or not torch.allclose(got.double(), expected, rtol=1e-4, atol=1e-6)
    ):
        raise _Mismatch(
            f"for a batch of three distributions (one per row), {call} returned {_fmt(got)}, expected "
            f"{_fmt(expected)} (one entropy per row); hint: sum over the last dimension only (dim=-1)"
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
        h = float(_entropy_reference(prior))
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
        raise _Mismatch(f"for {name}, {call} returned {_num(got)}, expected L_I = {_num(expected)} nats; hint: {hint}")
    return len(cases)


# --------------------------------------------- exercise 3: Gaussian NLL with a learned log-std
HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _gaussian_nll_reference(mean: torch.Tensor, log_std: torch.Tensor, c: torch.Tensor, clamp: bool) -> float:
    log_std = log_std.double()
    if clamp:
        return float(losses.gaussian_nll(mean.double(), log_std, c.double()))
    nll = log_std + HALF_LOG_2PI + (c.double() - mean.double()) ** 2 / (2 * torch.exp(2 * log_std))  # (B, n)
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

    return _finish(3, run, verbose, raise_on_failure)


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
    raise _Mismatch(f"for {name}, {call} returned {_num(got)}, expected {_num(expected)}; hint: {hint}")


# ------------------------------------- exercise 4: a Monte-Carlo lower bound on a toy channel
@dataclass(frozen=True)
class DiscreteChannel:
    r"""A discrete channel c -> x whose mutual information is known exactly.

    `prior` (K,) is P(c); `transition` (K, M) holds p(x | c) with rows summing to 1. A variational
    posterior Q is given as a table `log_q` of shape (M, K) with log_q[x, c] = log Q(c | x).

        I(c; x) = sum_{c,x} p(c, x) ln [ p(c, x) / (p(c) p(x)) ]
        L(Q)    = H(c) + E_{c ~ P(c), x ~ p(x|c)}[ log Q(c | x) ]  <=  I(c; x),
    with equality exactly when Q(c | x) = p(c | x), the true posterior (Barber and Agakov 2003).
    """

    prior: torch.Tensor
    transition: torch.Tensor

    def __post_init__(self) -> None:
        prior = torch.as_tensor(self.prior, dtype=torch.float64)
        trans = torch.as_tensor(self.transition, dtype=torch.float64)
        if prior.ndim != 1 or trans.ndim != 2 or trans.shape[0] != prior.shape[0]:
            raise ValueError(
                f"prior must be (K,) and transition (K, M); got {tuple(prior.shape)}, {tuple(trans.shape)}"
            )
        if not torch.allclose(prior.sum(), torch.tensor(1.0, dtype=torch.float64)) or not torch.allclose(
            trans.sum(dim=1), torch.ones(len(prior), dtype=torch.float64)
        ):
            raise ValueError("the prior and every row of the transition table must sum to 1")
        object.__setattr__(self, "prior", prior)
        object.__setattr__(self, "transition", trans)

    @classmethod
    def symmetric(cls, k: int, error: float) -> DiscreteChannel:
        """The K-ary symmetric channel with a uniform prior: x = c with probability 1 - error, else
        one of the other K - 1 symbols uniformly."""
        trans = torch.full((k, k), error / (k - 1), dtype=torch.float64)
        trans.fill_diagonal_(1 - error)
        return cls(torch.full((k,), 1.0 / k, dtype=torch.float64), trans)

    @property
    def n_codes(self) -> int:
        return self.prior.shape[0]

    @property
    def n_outputs(self) -> int:
        return self.transition.shape[1]

    def joint(self) -> torch.Tensor:
        """p(c, x), shape (K, M)."""
        return self.prior[:, None] * self.transition  # (K, M)

    def prior_entropy(self) -> float:
        """H(c) in nats."""
        return float(-_xlogx(self.prior).sum())

    def mutual_information(self) -> float:
        """I(c; x) = H(c) + H(x) - H(c, x) in nats."""
        joint = self.joint()
        return float(-_xlogx(self.prior).sum() - _xlogx(joint.sum(0)).sum() + _xlogx(joint).sum())

    def posterior_log_probs(self) -> torch.Tensor:
        """The true posterior as a Q table: log p(c | x), shape (M, K)."""
        joint = self.joint()  # (K, M)
        return torch.log(joint / joint.sum(0, keepdim=True)).T  # (M, K)

    def sample(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """n pairs (c, x) with c ~ P(c), x ~ p(x | c); two long tensors of shape (n,)."""
        c = torch.multinomial(self.prior, n, replacement=True, generator=generator)  # (n,)
        x = torch.multinomial(self.transition[c], 1, generator=generator).squeeze(1)  # (n,)
        return c, x

    def _log_q_moments(self, values: torch.Tensor) -> tuple[float, float]:
        """Mean and std of values[x, c] under p(c, x), skipping pairs of probability 0."""
        joint = self.joint()  # (K, M)
        v = values.double().T  # (K, M), indexed [c, x]
        mask = joint > 0
        mean = float((joint[mask] * v[mask]).sum())
        var = float((joint[mask] * (v[mask] - mean) ** 2).sum())
        return mean, math.sqrt(max(var, 0.0))

    def expected_bound(self, log_q: torch.Tensor) -> float:
        """The exact value of L(Q) = H(c) + E[log Q(c | x)] that a Monte-Carlo estimate aims at."""
        return self.prior_entropy() + self._log_q_moments(log_q)[0]

    def bound_std(self, log_q: torch.Tensor) -> float:
        """The standard deviation of log Q(c | x) over (c, x) ~ p: the Monte-Carlo error of one sample."""
        return self._log_q_moments(log_q)[1]


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
                f"two calls with generators seeded alike gave {first:.6f} and {again:.6f}; hint: draw every "
                f"sample with the `generator` you are given, e.g. channel.sample(n_samples, generator)"
            )
        return (
            f"mc_lower_bound stays at or below I(c; x) and matches the exact bound within Monte-Carlo error "
            f"for {count} (channel, Q) pairs, reaches I(c; x) at the true posterior, and is reproducible."
        )

    return _finish(4, run, verbose, raise_on_failure)


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
    mean_q_prob, std_q_prob = channel._log_q_moments(log_q.exp())
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
        swapped, std_swapped = channel._log_q_moments(log_q.T)
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
            f"than the Monte-Carlo error ({tol:.4f}); a lower bound can never do that; hint: {hint}"
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
            f"(the exact bound; I(c; x) = {mi:.4f}); hint: {hint}"
        )


# --------------------------------------------------------- exercise 5: a traversal batch
def check_traversal(
    traversal_batch: Callable[[LatentSpec, str, Sequence[float] | torch.Tensor, Latent], Latent],
    *,
    verbose: bool = True,
    raise_on_failure: bool = True,
) -> CheckResult:
    r"""Exercise 5: one row per value of the swept code; the noise z and every other code stay at `base`.

    Compared with `LatentSpec.traversal` on MNIST's spec (sweeping c1, c2 and c3, with values beyond
    the training range [-1, 1]), a batch of one, and a spec with two categorical codes, where c2 is the
    second categorical code and c3 the first continuous one. `base` must not be modified.
    """

    def run() -> str:
        gen = torch.Generator().manual_seed(5)
        mnist = LatentSpec(noise=62, categorical=(10,), continuous=2)
        mixed = LatentSpec(noise=8, categorical=(10, 4), continuous=2)
        cases = [
            ("MNIST's spec, sweeping c1 over 0..9", mnist, "c1", list(range(10))),
            ("MNIST's spec, sweeping c2 from -2 to 2", mnist, "c2", torch.linspace(-2, 2, 5)),
            ("MNIST's spec, sweeping c3 over (-1, 0, 1)", mnist, "c3", [-1.0, 0.0, 1.0]),
            ("a batch of one (c2 = 0.5)", mnist, "c2", [0.5]),
            ("two categorical codes, sweeping c2 over 0..3", mixed, "c2", [0, 1, 2, 3]),
            ("two categorical codes, sweeping c3 over (-1.5, 1.5)", mixed, "c3", [-1.5, 1.5]),
        ]
        for name, spec, code, values in cases:
            _check_one_traversal(traversal_batch, name, spec, code, values, spec.sample(1, gen))
        return (
            f"traversal_batch matches LatentSpec.traversal on {len(cases)} cases (categorical and "
            f"continuous codes, values beyond [-1, 1], a batch of one, two categorical codes), and leaves "
            f"base untouched."
        )

    return _finish(5, run, verbose, raise_on_failure)


def _check_one_traversal(fn: Callable, name: str, spec: LatentSpec, code: str, values: Any, base: Latent) -> None:
    spec_text = f"LatentSpec(noise={spec.noise}, categorical={spec.categorical}, continuous={spec.continuous})"
    call = f"traversal_batch({spec_text}, {code!r}, {_fmt(torch.as_tensor(values))}, base)"
    kept = Latent(*(t.clone() for t in base))
    args_values = values.clone() if isinstance(values, torch.Tensor) else list(values)
    out = _call(fn, call, spec, code, args_values, base)
    where = f"for {name}"
    if any(not torch.equal(a, b) for a, b in zip(base, kept, strict=True)):
        raise _Mismatch(
            f"{where}, {call} modified `base` in place; hint: build new tensors "
            f"(base.z.expand(n, -1).clone() or .repeat) before writing the swept values"
        )
    if not (isinstance(out, tuple) and len(out) == 3 and all(isinstance(t, torch.Tensor) for t in out)):
        raise _Mismatch(f"{where}, {call} returned {type(out).__name__}; expected a Latent(z, cat, cont)")
    z, cat, cont = out
    ref = spec.traversal(code, values, base)
    n = ref.z.shape[0]
    for part, got_t, exp_t in (("z", z, ref.z), ("cat", cat, ref.cat), ("cont", cont, ref.cont)):
        if tuple(got_t.shape) != tuple(exp_t.shape):
            raise _Mismatch(
                f"{where}, {call} gave {part} of shape {tuple(got_t.shape)}, expected {tuple(exp_t.shape)} "
                f"(one row per value)"
            )
    if cat.dtype != torch.long:
        raise _Mismatch(f"{where}, cat has dtype {cat.dtype}; categorical codes are integers (torch.long)")
    if not torch.equal(z, ref.z):
        if n > 1 and not torch.equal(z, z[:1].expand_as(z)):
            hint = "the noise differs from row to row: you drew new noise; every row must reuse base.z"
        else:
            hint = "z is the same in every row but it is not base.z; reuse the base's noise"
        raise _Mismatch(f"{where}, {call}: z is wrong; hint: {hint}")
    got_codes = _code_columns(spec, cat, cont)
    exp_codes = _code_columns(spec, ref.cat, ref.cont)
    for cname, col in got_codes.items():
        if not torch.allclose(col.double(), exp_codes[cname].double()):
            if cname == code:
                hint = f"{code} should take the values {_fmt(exp_codes[cname])} down the rows"
            else:
                hint = f"{cname} should stay at its base value {_num(float(exp_codes[cname][0]))} in every row"
            swept = [k for k, v in got_codes.items() if n > 1 and not torch.equal(v, v[:1].expand_as(v))]
            if swept and code not in swept:
                hint = (
                    f"you swept {', '.join(swept)} instead of {code}; codes are named in paper order "
                    f"(categorical first: {', '.join(c.name for c in spec.codes)}), use spec.code({code!r}) "
                    f"to find its kind and index"
                )
            raise _Mismatch(f"{where}, {call} got {cname} = {_fmt(col)}; hint: {hint}")


def _code_columns(spec: LatentSpec, cat: torch.Tensor, cont: torch.Tensor) -> dict[str, torch.Tensor]:
    return {c.name: (cat[:, c.index] if c.kind == "categorical" else cont[:, c.index]) for c in spec.codes}


# ------------------------------------------------- exercise 6: accuracy by Hungarian matching
def check_hungarian_accuracy(
    unsupervised_accuracy: Callable[[np.ndarray, np.ndarray], tuple[float, dict[int, int]]],
    *,
    verbose: bool = True,
    raise_on_failure: bool = True,
) -> CheckResult:
    r"""Exercise 6: accuracy under the best one-to-one matching of categories to labels.

    Compared with `metrics.hungarian_accuracy` on a perfect clustering with permuted names (accuracy
    1), a noisy one, two categories that share a majority label (one-to-one matching must give one of
    them up), more categories than labels, and a batch of one. The returned mapping must be one-to-one
    and must itself achieve the returned accuracy.
    """

    def run() -> str:
        rng = np.random.default_rng(6)
        perm = rng.permutation(10)
        labels = np.repeat(np.arange(10), 20)
        noisy = perm[labels].copy()
        flip = rng.random(labels.size) < 0.3
        noisy[flip] = rng.integers(0, 10, int(flip.sum()))
        shared_labels = np.array([0] * 10 + [1] * 10)
        shared_pred = np.array([0] * 6 + [1] * 4 + [1] * 5 + [2] * 5)
        many_labels = rng.integers(0, 10, 300)
        many_pred = (many_labels * 7 + 3) % 10
        extra = rng.random(many_labels.size) < 0.2
        many_pred[extra] = rng.integers(10, 12, int(extra.sum()))  # two categories no label claims
        cases = [
            ("a perfect clustering with permuted category names", perm[labels], labels),
            ("a noisy clustering (30% reassigned at random)", noisy, labels),
            ("two categories whose majority is the same label", shared_pred, shared_labels),
            ("12 categories for 10 labels", many_pred, many_labels),
            ("a batch of one", np.array([7]), np.array([3])),
        ]
        for name, pred, lab in cases:
            _check_one_accuracy(unsupervised_accuracy, name, pred, lab)
        return (
            f"unsupervised_accuracy matches infogan_edu.metrics.hungarian_accuracy on {len(cases)} cases "
            f"(permuted, noisy, shared majority, more categories than labels, a batch of one), with a "
            f"one-to-one mapping."
        )

    return _finish(6, run, verbose, raise_on_failure)


def _check_one_accuracy(fn: Callable, name: str, pred: np.ndarray, labels: np.ndarray) -> None:
    from .metrics import contingency, hungarian_accuracy  # here: metrics imports scikit-learn, which is slow

    call = f"unsupervised_accuracy(pred={_fmt(pred)}, labels={_fmt(labels)})"
    out = _call(fn, call, pred.copy(), labels.copy())
    where = f"for {name}"
    if not (isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], dict)):
        raise _Mismatch(f"{where}, {call} returned {type(out).__name__}; expected (accuracy, mapping dict)")
    got = _scalar(out[0], call, require_tensor=False)
    mapping = {int(k): int(v) for k, v in out[1].items()}
    expected, _ = hungarian_accuracy(pred, labels)
    raw = float(np.mean(pred == labels))
    table = contingency(pred, labels, int(pred.max()) + 1, int(labels.max()) + 1)  # (labels, categories)
    majority = float(table.max(axis=0).sum() / pred.size)
    targets = [mapping[c] for c in np.unique(pred) if c in mapping]
    if len(set(targets)) != len(targets):
        raise _Mismatch(
            f"{where}, your mapping {mapping} sends two categories to the same label; hint: the matching "
            f"must be one-to-one (each label used at most once), which scipy.optimize.linear_sum_assignment "
            f"gives; otherwise many small clusters would score 100%"
        )
    if not _close(got, expected, rtol=1e-9, atol=1e-9):
        variants = {
            "you compared the categories with the labels directly; category numbers are arbitrary, so first "
            "match each category to a label (linear_sum_assignment on the contingency table)": raw,
            "you mapped each category to its majority label, which can use a label twice; the matching must "
            "be one-to-one": majority,
        }
        default = (
            "build the table counts[label, category], run linear_sum_assignment(-counts) (it minimises, so "
            "negate to maximise the matches) and divide the matched counts by the number of samples"
        )
        hint = _diagnose(got, variants, default)
        raise _Mismatch(f"{where}, {call} returned accuracy {got:.4f}, expected {expected:.4f}; hint: {hint}")
    achieved = float(np.mean([mapping.get(int(p), -1) == int(t) for p, t in zip(pred, labels, strict=True)]))
    if not _close(achieved, got, rtol=1e-9, atol=1e-9):
        raise _Mismatch(
            f"{where}, your mapping {mapping} gets {achieved:.4f} of the samples right, but you returned "
            f"accuracy {got:.4f}; hint: return the mapping category -> label that the matching found"
        )
