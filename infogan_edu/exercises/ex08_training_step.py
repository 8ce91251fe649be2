r"""Checks for exercise 8 (`exercises/ex08_training_step.ipynb`): one InfoGAN training step and its gradient routing.

    check_optimizers       make_optimizers(model, lr_d, lr_g, betas) -> (opt_d, opt_g): D's Adam holds D's trunk, D's
                           head and Q's head; G's Adam holds G only (the paper's routing, `q_optimizer="d"`)
    check_training_step    infogan_step(model, opt_d, opt_g, x_real, latent, lambda_cat, lambda_cont): the D phase
                           minimises L_{D,Q} = L_D - lambda L_I, the G phase L_G = L_G^GAN - lambda L_I

Both are compared with the library's `Trainer` (`infogan_edu.train`) on a tiny model (width 0.125, batch 16, random
images), configured with the paper's routing: Q's head in D's optimiser, L_I training D's shared trunk
(`info_trains_trunk=True`) and reaching G (`info_to_generator=True`).

The step is run three ways: (1) with plain SGD and a stale gradient already in every `.grad`, so that a missing
`zero_grad` shows, and compared with `Trainer.train_step` after the same step; (2) two steps with Adam, as the
Trainer builds it, against two `Trainer.train_step` calls on the same batches. When (1) differs, the check replays
the step with each classic mistake (no `zero_grad`, L_I kept from G, the lambda term's sign flipped, L_I kept from
D's trunk, the minimax G loss, the lambdas ignored) through the Trainer's own `d_phase` / `g_phase`, and names the
mistake whose result equals the learner's.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from ..config import TrainConfig, get_preset
from ..latent import Latent
from ..models import InfoGAN
from ..train import Trainer
from ._checks import CheckResult, _call, _finish, _Mismatch

HINTS: dict[str, tuple[str, ...]] = {
    "make_optimizers": (
        "In the paper's routing Q is D's trunk plus a small head, and Q plays on D's side of the game: every "
        "parameter that D's or Q's loss should move goes into D's optimiser. G's optimiser holds G alone.",
        "`model.d.parameters()` covers D's trunk and D's head; `model.q_head.parameters()` is Q's head; "
        "`model.g.parameters()` is G. Both optimisers are `torch.optim.Adam(params, lr=..., betas=betas)`.",
        "`opt_d = Adam([*model.d.parameters(), *model.q_head.parameters()], lr=lr_d, betas=betas)` and "
        "`opt_g = Adam(model.g.parameters(), lr=lr_g, betas=betas)`.",
    ),
    "infogan_step": (
        "Two phases, each: zero the optimiser's gradients, build its loss, backward, step. The D phase must not "
        "move G (D judges a fixed batch of fakes); the G phase must let both of G's terms, the adversarial one "
        "and L_I, reach G.",
        "`info_terms(q, latent, spec, lambda_cat, lambda_cont).loss` is lambda times -log Q(c | x): it already "
        "equals -lambda L_I (+ a constant). So L_D - lambda L_I is `L_D + terms.loss`, and likewise for G. "
        "Compute Q from D's trunk: `model.q_head(model.d.features(images))`.",
        "D phase: `opt_d.zero_grad()`; features of `fake.detach()`; `discriminator_loss(model.d(x_real), "
        "model.d.logit(feats)) + info_terms(model.q_head(feats), ...).loss`; backward; `opt_d.step()`. "
        "G phase: `opt_g.zero_grad()`; features of `fake` itself (not detached); "
        "`generator_loss_nonsaturating(model.d.logit(feats)) + info_terms(model.q_head(feats), ...).loss`; "
        "backward; `opt_g.step()`.",
    ),
}

# the groups of parameters the routing is about, by the prefix of their names in `InfoGAN`
GROUPS = {"G": ("g.",), "D's trunk": ("d.conv.", "d.fc."), "D's head": ("d.head.",), "Q's head": ("q_head.",)}
SGD_LR = 0.05
ATOL = 2e-5  # float32: the learner may add the losses in another order or call backward twice


def reference_config(**overrides: Any) -> TrainConfig:
    """The tiny configuration of the checks: the paper's routing, lambda_cont = 0.1 so that the two lambdas differ."""
    base = dict(
        width=0.125, batch_size=16, steps=2, device="cpu", channels_last=False, seed=8,
        q_optimizer="d", info_trains_trunk=True, info_to_generator=True, lambda_cat=1.0, lambda_cont=0.1,
    )
    base.update(overrides)
    return get_preset("cpu", **base)


def _images() -> np.ndarray:
    return np.random.default_rng(8).integers(0, 256, size=(64, 28, 28), dtype=np.uint8)  # (N, 28, 28)


def reference_trainer(**overrides: Any) -> Trainer:
    """A Trainer on random images with `reference_config(**overrides)` (deterministic: fixed seeds)."""
    return Trainer(reference_config(**overrides), _images(), progress=False)


def group_of(name: str) -> str:
    return next(g for g, prefixes in GROUPS.items() if name.startswith(prefixes))


def d_side(model: InfoGAN) -> list[torch.nn.Parameter]:
    """What D's optimiser holds in the paper's routing: D's trunk and head, then Q's head."""
    return [*model.d.parameters(), *model.q_head.parameters()]


# ------------------------------------------------------------------------------------- task 1
def check_optimizers(
    make_optimizers: Callable[..., tuple[torch.optim.Optimizer, torch.optim.Optimizer]],
    *,
    verbose: bool = True,
    raise_on_failure: bool = True,
) -> CheckResult:
    """Exercise 8, task 1: the two optimisers hold the parameter groups the Trainer gives them (paper routing)."""

    def run() -> str:
        with torch.random.fork_rng():
            trainer = reference_trainer()
        cfg, model = trainer.config, trainer.model
        call = f"make_optimizers(model, lr_d={cfg.lr_d:g}, lr_g={cfg.lr_g:g}, betas={tuple(cfg.betas)})"
        out = _call(make_optimizers, call, model, cfg.lr_d, cfg.lr_g, tuple(cfg.betas))
        if not (isinstance(out, tuple) and len(out) == 2):
            raise _Mismatch(f"{call} returned {type(out).__name__}; expected a pair (opt_d, opt_g)")
        names = {id(p): n for n, p in model.named_parameters()}
        expected = {"opt_d": trainer.opt_d, "opt_g": trainer.opt_g}
        for label, opt in zip(("opt_d", "opt_g"), out, strict=True):
            if not isinstance(opt, torch.optim.Adam):
                raise _Mismatch(f"{call}: {label} is a {type(opt).__name__}; the Trainer uses torch.optim.Adam")
            for group in opt.param_groups:
                lr, betas = (cfg.lr_d, cfg.betas) if label == "opt_d" else (cfg.lr_g, cfg.betas)
                if group["lr"] != lr or tuple(group["betas"]) != tuple(betas):
                    raise _Mismatch(
                        f"{call}: {label} has lr {group['lr']:g} and betas {tuple(group['betas'])}; expected lr "
                        f"{lr:g} and betas {tuple(betas)} (the arguments you were given)"
                    )
        held = [{names.get(id(p), "?") for g in opt.param_groups for p in g["params"]} for opt in out]
        want = [{names[id(p)] for g in expected[k].param_groups for p in g["params"]} for k in expected]
        both = held[0] & held[1]
        if both:
            raise _Mismatch(
                f"{call}: {_groups(both)} {'is' if len(_group_set(both)) == 1 else 'are'} in both optimisers, so "
                f"each step would move {'it' if len(_group_set(both)) == 1 else 'them'} twice, once for each "
                f"player's loss\nWhat to look at: each parameter belongs to exactly one player"
            )
        if "Q's head" in _group_set(held[1]):
            raise _Mismatch(
                f"{call}: Q's head is stepped by G's optimiser (opt_g)\nWhat to look at: in the paper's routing Q "
                f"is D's trunk plus its head and is trained on D's side, in the D phase; put model.q_head's "
                f"parameters in D's optimiser"
            )
        for label, got, exp in zip(("opt_d", "opt_g"), held, want, strict=True):
            extra, missing = got - exp, exp - got
            if not (extra or missing):
                continue
            if missing:
                where = "G's optimiser" if label == "opt_g" else "D's optimiser"
                raise _Mismatch(
                    f"{call}: {label} is missing {_groups(missing)}, so no step ever moves "
                    f"{'it' if len(_group_set(missing)) == 1 else 'them'}\nWhat to look at: {where} must hold "
                    f"{_groups(exp)}"
                )
            raise _Mismatch(
                f"{call}: {label} also holds {_groups(extra)}\nWhat to look at: "
                f"{'G' if label == 'opt_d' else 'D'}'s player would then be moved by the other player's loss; "
                f"{label} holds {_groups(exp)} only"
            )
        return "opt_d holds D's trunk, D's head and Q's head; opt_g holds G alone; both are Adam with your rates."

    return _finish(8, run, verbose, raise_on_failure, HINTS["make_optimizers"])


def _group_set(names: set[str]) -> set[str]:
    return {group_of(n) for n in names if n != "?"}


def _groups(names: set[str]) -> str:
    groups = [g for g in GROUPS if g in _group_set(names)]
    if "?" in names:
        groups.append("parameters that are not the model's")
    return ", ".join(groups) if len(groups) < 3 else ", ".join(groups[:-1]) + " and " + groups[-1]


# ------------------------------------------------------------------------------------- task 2
def draw_batch(trainer: Trainer) -> tuple[torch.Tensor, Latent]:
    """The batch and latents `trainer.train_step()` will draw next (its random streams are left unchanged)."""
    batcher_state, latent_state = trainer.batcher.state_dict(), trainer.latent_rng.get_state()
    x_real = trainer.batcher.next()  # (B, 1, 28, 28) in [-1, 1]
    latent = trainer.spec.sample(x_real.shape[0], trainer.latent_rng, trainer.device)
    trainer.batcher.load_state_dict(batcher_state)
    trainer.latent_rng.set_state(latent_state)
    return x_real, latent


def sgd_pair(model: InfoGAN) -> tuple[torch.optim.SGD, torch.optim.SGD]:
    """Plain SGD with the paper's routing: every gradient shows in the step one for one."""
    return torch.optim.SGD(d_side(model), lr=SGD_LR), torch.optim.SGD(model.g.parameters(), lr=SGD_LR)


def stale_gradients(model: InfoGAN) -> None:
    """Fill every .grad with a fixed random tensor: what a previous step would have left there."""
    gen = torch.Generator().manual_seed(3)
    for p in model.parameters():
        p.grad = torch.randn(p.shape, generator=gen)


def routed_step(
    trainer: Trainer,
    *,
    zero_d: bool = True,
    zero_g: bool = True,
    sign_d: float = 1.0,
    sign_g: float = 1.0,
) -> None:
    """`Trainer.train_step` on the batch it would draw, built from the same `d_phase` / `g_phase`, with switches
    for the classic mistakes (the defaults are the Trainer's step). The trainer's optimisers are used as they are."""
    m = trainer.model
    x_real, latent = draw_batch(trainer)
    fake = m.g(trainer.spec.to_input(latent))  # (B, 1, 28, 28)
    if zero_d:
        trainer.opt_d.zero_grad(set_to_none=True)
    d = trainer.d_phase(x_real, fake.detach(), latent)
    (d["adv"] + sign_d * d["info"] if "info" in d else d["adv"]).backward()
    trainer.opt_d.step()
    if zero_g:
        trainer.opt_g.zero_grad(set_to_none=True)
    g = trainer.g_phase(fake, latent)
    (g["adv"] + sign_g * g["info"] if "info" in g else g["adv"]).backward()
    trainer.opt_g.step()


# the classic mistakes: (Trainer config overrides, routed_step switches, what the learner is told)
MISTAKES: list[tuple[dict, dict, str]] = [
    ({}, {"zero_d": False, "zero_g": False},
     "the gradients already in .grad were added to this step's: neither optimiser's gradients were zeroed. Call "
     "opt_d.zero_grad() before the D phase's backward and opt_g.zero_grad() before the G phase's (a backward adds "
     "to .grad; the G phase's backward leaves gradients in D and Q every step)"),
    ({}, {"zero_d": False},
     "the gradients already in D's and Q's .grad were added to this step's: call opt_d.zero_grad() before the D "
     "phase's backward (the G phase's backward leaves gradients in D and Q every step)"),
    ({}, {"zero_g": False},
     "the gradients already in G's .grad were added to this step's: call opt_g.zero_grad() before the G phase's "
     "backward"),
    ({"info_to_generator": False}, {},
     "L_I does not reach G: G moved as if lambda were 0 (the lambda = 0 control). In the G phase, compute Q on D's "
     "features of `fake` itself, not of fake.detach() or of the D phase's features, and add its term to G's loss"),
    ({}, {"sign_d": -1.0, "sign_g": -1.0},
     "the sign of the lambda term is flipped in both phases: info_terms(...).loss is lambda * (-log Q) = "
     "-lambda L_I + const already, so L_D - lambda L_I is L_D + terms.loss (and the same for G)"),
    ({}, {"sign_d": -1.0},
     "the sign of the lambda term is flipped in the D phase: info_terms(...).loss is already -lambda L_I + const, "
     "so L_{D,Q} = L_D - lambda L_I is L_D + terms.loss; subtracting it makes Q worse at reading the codes"),
    ({}, {"sign_g": -1.0},
     "the sign of the lambda term is flipped in the G phase: info_terms(...).loss is already -lambda L_I + const, "
     "so L_G = L_G^GAN - lambda L_I is L_G^GAN + terms.loss"),
    ({"info_trains_trunk": False}, {},
     "in the D phase L_I reaches Q's head but not D's shared trunk: Q is the trunk plus its head, so compute Q's "
     "term on the trunk's features of the (detached) fakes without detaching the features"),
    ({"g_loss": "minimax"}, {},
     "G's adversarial term is the minimax E[log(1 - D(G(z)))]; InfoGAN trains G with the non-saturating "
     "-E[log D(G(z))] (generator_loss_nonsaturating)"),
    ({"lambda_cat": 1.0, "lambda_cont": 1.0}, {},
     "the lambdas you were given are not the ones used: pass lambda_cat and lambda_cont to info_terms (here "
     "lambda_cont = 0.1, not 1)"),
]


def _snapshot(model: InfoGAN) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in model.named_parameters()}


def _differences(got: dict[str, torch.Tensor], expected: dict[str, torch.Tensor]) -> dict[str, tuple[float, str]]:
    """For each group that differs: the largest difference and the parameter it is in."""
    out: dict[str, tuple[float, str]] = {}
    for name, exp in expected.items():
        diff = float((got[name] - exp).abs().max())
        if diff > ATOL + 1e-4 * float(exp.abs().max()):
            group = group_of(name)
            if diff > out.get(group, (0.0, ""))[0]:
                out[group] = (diff, name)
    return out


def _mistake_result(initial: dict[str, torch.Tensor], overrides: dict, switches: dict) -> dict[str, torch.Tensor]:
    trainer = reference_trainer(**overrides)
    with torch.no_grad():
        for n, p in trainer.model.named_parameters():
            p.copy_(initial[n])
    trainer.opt_d, trainer.opt_g = sgd_pair(trainer.model)
    stale_gradients(trainer.model)
    routed_step(trainer, **switches)
    return _snapshot(trainer.model)


def _learner_step(fn: Callable, model: InfoGAN, opt_d, opt_g, x_real, latent, cfg: TrainConfig, call: str) -> None:
    _call(fn, call, model, opt_d, opt_g, x_real.clone(), Latent(*(t.clone() for t in latent)),
          cfg.lambda_cat, cfg.lambda_cont)


def check_training_step(
    infogan_step: Callable[..., Any],
    *,
    verbose: bool = True,
    raise_on_failure: bool = True,
) -> CheckResult:
    """Exercise 8, task 2: one step changes every parameter exactly as `Trainer.train_step` does."""

    def run() -> str:
        with torch.random.fork_rng():
            return _run_step_check(infogan_step)

    return _finish(8, run, verbose, raise_on_failure, HINTS["infogan_step"])


def _run_step_check(infogan_step: Callable[..., Any]) -> str:
    # (1) SGD, stale gradients in every .grad, against Trainer.train_step with the same optimisers' routing
    ref = reference_trainer()
    cfg = ref.config
    initial = _snapshot(ref.model)
    model = copy.deepcopy(ref.model)
    x_real, latent = draw_batch(ref)
    ref.opt_d, ref.opt_g = sgd_pair(ref.model)
    stale_gradients(ref.model)
    ref.train_step()
    expected = _snapshot(ref.model)
    opt_d, opt_g = sgd_pair(model)
    stale_gradients(model)
    call = (
        f"infogan_step(model, opt_d, opt_g, x_real (shape {tuple(x_real.shape)}), latent, "
        f"lambda_cat={cfg.lambda_cat:g}, lambda_cont={cfg.lambda_cont:g})"
    )
    _learner_step(infogan_step, model, opt_d, opt_g, x_real, latent, cfg, call)
    got = _snapshot(model)
    wrong = _differences(got, expected)
    if wrong:
        raise _Mismatch(_explain(call, wrong, got, initial))
    # (2) Adam as the Trainer builds it, two steps on the Trainer's next two batches
    ref = reference_trainer()
    model = copy.deepcopy(ref.model)
    opt_d = torch.optim.Adam(d_side(model), lr=cfg.lr_d, betas=cfg.betas)
    opt_g = torch.optim.Adam(model.g.parameters(), lr=cfg.lr_g, betas=cfg.betas)
    for step in (1, 2):
        x_real, latent = draw_batch(ref)
        ref.train_step()
        _learner_step(infogan_step, model, opt_d, opt_g, x_real, latent, cfg, call)
        wrong = _differences(_snapshot(model), _snapshot(ref.model))
        if wrong:
            groups = ", ".join(wrong)
            raise _Mismatch(
                f"with Adam, after step {step} of {call}, {groups} differ from the Trainer's (largest difference "
                f"{max(d for d, _ in wrong.values()):.2e})\nWhat to look at: with plain SGD your step matched; "
                f"does it build new optimisers, step one twice, or keep state between calls?"
            )
    return (
        "infogan_step moves G, D's trunk, D's head and Q's head exactly as infogan_edu.train.Trainer.train_step "
        "does: one step with plain SGD and stale gradients in .grad, then two steps with Adam."
    )


def _explain(call: str, wrong: dict[str, tuple[float, str]], got: dict[str, torch.Tensor],
             initial: dict[str, torch.Tensor]) -> str:
    groups = ", ".join(wrong)
    first = f"after one step of {call} (SGD, lr {SGD_LR:g}, with stale gradients left in every .grad), {groups} " \
            f"differ from what Trainer.train_step gives"
    unmoved = [g for g in GROUPS if all(torch.equal(got[n], initial[n]) for n in got if group_of(n) == g)]
    if unmoved:
        cause = {
            "G": "G did not change at all: is opt_g.step() called after the G phase's backward, with no zero_grad in "
            "between, and does the G phase use `fake` itself (not fake.detach())?",
            "Q's head": "Q's head did not change: in the D phase, add Q's term (info_terms(...).loss on Q's reading "
            "of the fakes) to D's loss, then opt_d.step()",
        }
        for g in unmoved:
            if g in cause:
                return f"{first}\nWhat to look at: {cause[g]}"
        return f"{first}\nWhat to look at: {', '.join(unmoved)} did not change: is opt_d.step() called after the " \
               f"D phase's backward, with no zero_grad in between?"
    for overrides, switches, message in MISTAKES:
        if not _differences(got, _mistake_result(initial, overrides, switches)):
            return f"{first}\nWhat to look at: {message}"
    biggest = max(wrong.values())
    return (
        f"{first} (largest difference {biggest[0]:.2e}, in {biggest[1]})\nWhat to look at: the D phase's loss is "
        f"discriminator_loss(D(x_real), D(fake.detach())) + info_terms(Q(fake.detach())).loss with D called on the "
        f"real and the fake batch separately; the G phase's is generator_loss_nonsaturating(D(fake)) + "
        f"info_terms(Q(fake)).loss"
    )
