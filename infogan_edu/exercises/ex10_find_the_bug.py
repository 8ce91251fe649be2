r"""Checks for exercise 10 (`exercises/ex10_find_the_bug.ipynb`): three training steps, one planted bug each; name them.

    SUSPECTS          the bugs a step may carry (names and what each changes), from `infogan_edu.bugs`
    exercise_config   the small configuration every run uses (width 0.125, batch 64, 800 steps, seed 0)
    run_step          trains step "A", "B", "C" or the correct "reference" and returns a `StepRun`: its curves
                      (L_I of both code types, the losses, D(x) and D(G(z))), G's images per value of c1, the
                      continuous codes the step draws, and the norm of G's gradient after the last step
    check_diagnosis   the learner's three names; a wrong one is explained from the runs' own numbers, after the try

Every step is a `Trainer` from `infogan_edu.bugs` with one bug planted, on the same batches and initial weights as
the reference. Which bug each step carries is kept out of the notebook and its outputs; it is decided below, by
`_planted`. Reading that function before answering spoils the exercise.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..bugs import make_trainer, softmax_twice_ceiling
from ..config import TrainConfig, get_preset
from ..data.batching import to_uint8_images
from ..latent import Latent
from ..models import generate
from ._checks import CheckResult, _finish, _Mismatch

STEPS = ("A", "B", "C")
STUB = "Exercise 10: write your answer here"

# the suspects, in alphabetical order: what each would change in the step (the notebook lists these)
SUSPECTS: dict[str, str] = {
    "batchnorm-eps": "G's BatchNorm2d layers built as BatchNorm2d(C, 0.8): eps = 0.8, not momentum",
    "info-misses-g": "L_I is minimised by an optimiser that holds Q (and D's trunk) but not G",
    "mse-for-nll": "the continuous codes' Gaussian NLL replaced by a mean-squared error",
    "no-zero-grad": "G's optimiser never calls zero_grad: each step applies the sum of all past gradients",
    "normal-codes": "the continuous codes drawn from N(0, 1) instead of Unif(-1, 1)",
    "separate-q": "Q as a network of its own instead of a head on D's trunk",
    "softmax-twice": "Q's categorical head ends in a softmax, and its output goes into cross_entropy",
}

HINT = (
    "For each suspect, write down what it would do to each curve before you look at the steps: which L_I can it "
    "move (categorical, continuous, both), can it cap one (compute the cap), does it change what G is fed? Then "
    "keep, for each step, the one suspect whose predictions all hold."
)


def exercise_config(seed: int = 0, steps: int = 800) -> TrainConfig:
    """The `cpu` preset, smaller: width 0.125, batch 64, `steps` steps (800: about 30 s on one core of a busy CPU)."""
    return get_preset(
        "cpu", width=0.125, batch_size=64, steps=steps, log_every=20, eval_every=steps, device="cpu", seed=seed
    )


@dataclass(frozen=True)
class StepRun:
    """One run of a step: its logged curves (one value per 20 steps), G's images and the codes the step draws."""

    step: str  # "A", "B", "C" or "reference"
    log_step: list[int]
    li_cat: list[float]  # nats; the ceiling of a uniform 10-way code is ln 10
    li_cont: list[float]  # nats, both continuous codes together
    loss_d: list[float]
    loss_g: list[float]
    d_real: list[float]  # mean D(x) over the window
    d_fake: list[float]  # mean D(G(z))
    images: np.ndarray  # (10, 6, 28, 28) uint8: G's images for c1 = 0..9 (rows), 6 noises (columns), c2 = c3 = 0
    codes: np.ndarray  # (2000, 2): continuous codes drawn by the step's own sampler
    g_grad_norm: float  # the norm of G's .grad after the last step
    wall_s: float


def _planted(step: str) -> str:
    """The bug of a step. Spoils the exercise: read it only after you have answered."""
    names = sorted(SUSPECTS)
    return names[{"A": 4, "B": 1, "C": 6}[step]]


def run_step(step: str, images: np.ndarray | torch.Tensor, steps: int = 800, seed: int = 0) -> StepRun:
    """Train step `step` ("A", "B", "C" or "reference") on uint8 `images` (N, 28, 28) and record its symptoms."""
    if step not in (*STEPS, "reference"):
        raise ValueError(f"step must be one of {', '.join(STEPS)} or 'reference', got {step!r}")
    trainer = make_trainer("none" if step == "reference" else _planted(step), exercise_config(seed, steps), images)
    start = time.perf_counter()
    h = trainer.train()
    wall = time.perf_counter() - start
    spec, gen = trainer.spec, torch.Generator().manual_seed(seed + 10)
    z = spec.sample_noise(6, gen).repeat(10, 1)  # (60, noise): the same 6 noises in every row
    cat = torch.arange(10).repeat_interleave(6)[:, None]  # (60, 1): row k shows c1 = k
    grid = Latent(z, cat, torch.zeros(60, spec.continuous))
    images_out = to_uint8_images(generate(trainer.model, spec, grid)).reshape(10, 6, 28, 28).numpy()
    grads = [p.grad.norm() for p in trainer.model.g.parameters() if p.grad is not None]
    return StepRun(
        step=step, log_step=list(h.step), li_cat=list(h.li_cat), li_cont=list(h.li_cont), loss_d=list(h.loss_d),
        loss_g=list(h.loss_g), d_real=list(h.d_real), d_fake=list(h.d_fake), images=images_out,
        codes=spec.sample(2000, torch.Generator().manual_seed(seed + 11)).cont.numpy(),
        g_grad_norm=float(torch.stack(grads).norm()) if grads else 0.0, wall_s=wall,
    )  # fmt: skip


# --------------------------------------------------------------------------------- the check
def _require(diagnosis: Mapping[str, Any]) -> None:
    """The stub's neutral NotImplementedError while a diagnosis is still None."""
    if any(diagnosis.get(s) is None for s in STEPS):
        raise NotImplementedError(STUB)


def _tail(values: list[float], n: int = 5) -> float:
    """The mean of the last `n` logged values (the end of a curve, with one window's noise averaged out)."""
    return float(np.mean(values[-n:]))


def why_not(suspect: str, run: StepRun, reference: StepRun) -> str:
    """What `suspect` would have done that `run` did not, with the runs' numbers (for a wrong diagnosis)."""
    cat, cont = _tail(run.li_cat), _tail(run.li_cont)  # the ends of the step's curves
    ref_cat, ref_cont = _tail(reference.li_cat), _tail(reference.li_cont)
    outside = float((np.abs(run.codes) > 1).mean())  # share of the step's continuous codes outside [-1, 1]
    ceiling, s = softmax_twice_ceiling(10), f"step {run.step}"
    if suspect == "softmax-twice" and max(run.li_cat) > ceiling:
        return f"softmax-twice caps L_I(cat) at {ceiling:.2f} nats; {s} reached {max(run.li_cat):.2f}"
    if suspect == "softmax-twice" and cont < ref_cont - 0.5:
        return (
            f"softmax-twice damps the categorical term only, so G is still pushed to make c2 and c3 legible: L_I(cont) "
            f"would climb about as high as the reference's ({ref_cont:.2f} nats at the end) or higher; {s}'s ended at "
            f"{cont:.2f}"
        )
    if suspect == "info-misses-g" and cat > 1.0:
        return f"without L_I, G has no reason to make c1 legible: L_I(cat) stays low; {s}'s ended at {cat:.2f} nats"
    if suspect == "info-misses-g" and cont > ref_cont - 0.5:
        return (
            f"without L_I, G makes neither code legible: L_I(cont) would stay well below the reference's "
            f"({ref_cont:.2f} nats at the end); {s}'s reached {cont:.2f}, so G does get a signal through Q"
        )
    if suspect == "normal-codes" and outside < 0.1:
        return f"N(0, 1) codes leave [-1, 1] about a third of the time; {s} drew {100 * outside:.0f}% outside [-1, 1]"
    if suspect == "no-zero-grad" and run.g_grad_norm < 3 * reference.g_grad_norm:
        return (
            f"a missing zero_grad piles gradients up: G's gradient norm after the last step would be many times the "
            f"reference's ({reference.g_grad_norm:.2f}); {s}'s is {run.g_grad_norm:.2f}"
        )
    mse_cap = 2 * math.log(2)  # n ln 2 - MSE with MSE >= 0, for the two continuous codes
    if suspect == "mse-for-nll" and max(run.li_cont) > mse_cap + 0.01:
        return (
            f"with an MSE the logged L_I(cont) is 2 ln 2 - MSE, which can never pass 2 ln 2 = {mse_cap:.2f} nats; "
            f"{s}'s reached {max(run.li_cont):.2f}"
        )
    if suspect == "mse-for-nll" and run.li_cont[0] < 0.5:
        return (
            f"with an MSE the logged L_I(cont) starts near 2 ln 2 - 1/3 = {mse_cap - 1 / 3:.2f} nats (an untrained Q "
            f"misses by the codes' variance, 1/3); {s}'s first value was {run.li_cont[0]:.2f}"
        )
    if suspect != "normal-codes" and outside > 0.1:
        return f"{suspect} does not change what G is fed; {s} drew {100 * outside:.0f}% of its codes outside [-1, 1]"
    if suspect in ("batchnorm-eps", "separate-q") and max(abs(cat - ref_cat), abs(cont - ref_cont)) > 0.5:
        return (
            f"{suspect} leaves both L_I curves close to the reference's ({ref_cat:.2f} and {ref_cont:.2f} nats at "
            f"the end); {s}'s ended at {cat:.2f} and {cont:.2f}"
        )
    return (
        f"on these curves {suspect} is hard to rule out for {s}, yet it is not its bug: compare G's images row by row "
        f"and the codes it draws with the reference's"
    )


def check_diagnosis(
    diagnosis: Mapping[str, Any],
    runs: Mapping[str, StepRun],
    *,
    verbose: bool = True,
    raise_on_failure: bool = True,
) -> CheckResult:
    """Exercise 10: one suspect per step ({"A": name, "B": name, "C": name}); `runs` holds the three steps' runs and
    the reference's, by step, to explain a wrong name with their numbers. A None stops with the stub's message."""
    _require(diagnosis)

    def run() -> str:
        names = {}
        for step in STEPS:
            value = diagnosis[step]
            name = value.strip().lower() if isinstance(value, str) else value
            if name not in SUSPECTS:
                raise _Mismatch(
                    f"the diagnosis of step {step} is {value!r}\nWhat to look at: write one of the suspects' names, "
                    f"as a string: {', '.join(repr(n) for n in SUSPECTS)}"
                )
            names[step] = name
        missing = [k for k in (*STEPS, "reference") if k not in runs]
        if missing:
            raise _Mismatch(f"runs has no {', '.join(missing)}: pass the runs of steps A, B, C and the reference")
        wrong = [step for step in STEPS if names[step] != _planted(step)]
        if wrong:
            lines = [f"  step {s} is not {names[s]}: {why_not(names[s], runs[s], runs['reference'])}" for s in wrong]
            raise _Mismatch(
                f"{len(STEPS) - len(wrong)} of 3 right.\n" + "\n".join(lines) + "\nWhat to look at: for each step, "
                "the curve that each suspect would move, against the reference's"
            )
        found = f"A is {names['A']}, B is {names['B']} and C is {names['C']}"
        return f"{found}: each step showed the symptom its bug's maths predicts, and no other suspect's."

    return _finish(10, run, verbose, raise_on_failure, (HINT,))
