r"""Checks for exercise 1 (`exercises/ex01_gan_losses.ipynb`): the discriminator and generator losses.

    check_discriminator_loss   L_D = -V(D, G) from logits, against `losses.discriminator_loss`
    check_generator_loss       the non-saturating L_G = -E[log D(G(z))], against
                               `losses.generator_loss_nonsaturating`
    check_gan_losses           both, in that order

Values and gradients are compared on random logits, zero logits (D = 1/2), a batch of one, real and fake
batches of different sizes, and confident logits of +-40, where a naive log(sigmoid) gives -inf.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from .. import losses
from ._checks import CheckResult, _call, _close, _diagnose, _finish, _fmt, _Mismatch, _num, _scalar

HINTS: dict[str, tuple[str, ...]] = {
    "discriminator_loss": (
        "D maximises V(D, G) and an optimiser minimises, so the loss is minus V. V has one term per batch "
        "(real, fake), and each term is an average over its own batch.",
        "You are given logits, not probabilities. Compute log D and log(1 - D) straight from the logit with a "
        "numerically stable function: `torch.log(torch.sigmoid(l))` is -inf once D is confident.",
        "log D = `F.logsigmoid(logit)` and log(1 - D) = `F.logsigmoid(-logit)`; take the mean of each batch on "
        "its own, add the two means and negate.",
    ),
    "generator_loss": (
        "Not the minimax term E[log(1 - D(G(z)))]: G wants D(G(z)) itself to be large. Write a loss that falls "
        "as D's belief that the fakes are real rises.",
        "Section 2 gives it: L_G = -E[log D(G(z))]. Keep the result a tensor so that `.backward()` reaches G.",
        "log D(G(z)) is `F.logsigmoid(fake_logits)`; G wants it large, so minimise minus its mean.",
    ),
}


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

    return _finish(1, run, verbose, raise_on_failure, HINTS["discriminator_loss"])


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

    return _finish(1, run, verbose, raise_on_failure, HINTS["generator_loss"])


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
    raise _Mismatch(
        f"for {name}, {call} returned {_num(got)}, expected L_D = {_num(expected)}"
        f"\nWhat to look at: {hint}"
    )


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
        f"for {name}, {call} returned {_num(got)}, expected L_G = -E[log D(G(z))] = {_num(expected)}"
        f"\nWhat to look at: {hint}"
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
            f"the networks\nWhat to look at: do not call .item(), .detach() or torch.tensor(...) on the result"
        )
    out.sum().backward()
    ref(*theirs).backward()
    for i, (a, b) in enumerate(zip(mine, theirs, strict=True)):
        if a.grad is None or not torch.allclose(a.grad, b.grad, rtol=1e-4, atol=1e-6):
            got_grad = "None" if a.grad is None else _fmt(a.grad)
            raise _Mismatch(
                f"the gradient of {label} with respect to argument {i + 1} is {got_grad}, expected "
                f"{_fmt(b.grad)}\nWhat to look at: the value may be right by accident; build the loss from "
                f"F.logsigmoid of the logits you are given"
            )

