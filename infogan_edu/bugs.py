r"""Bugs that public InfoGAN implementations shipped, each planted in our training step (`train.Trainer`).

Every variant is a small `Trainer` subclass that swaps one piece of the correct step and nothing else: the same
preset, the same initial weights of every network the two share, the same batches and (where the bug allows) the
same latent codes, so that a run of the variant next to the correct one shows what the bug alone does.
`benchmarks/wild_bugs.py` measures them; exercise 10 asks a learner to tell three of them apart by their symptoms.

    trainer = make_trainer("softmax-twice", get_preset("cpu", seed=0), x_train, x_test, y_test)
    trainer.train(); trainer.symptom()   # {"li_cat_ceiling": 0.8414, "li_cat_max": ...}

Each class's docstring says what the bug is, where it was seen (repository, file, line and commit, or issue: facts
only, nothing copied), what a learner would notice, and which check of this course catches it. "PyTorch-GAN" is
eriklindernoren/PyTorch-GAN, implementations/infogan/infogan.py at commit 36d3c77 (the file last changed in
b84458e, 2019-04-02); "znxlwm" is znxlwm/pytorch-generative-model-collections, infoGAN.py at commit 0d183bb.
Lines are those of the cited commit. The bugs are written against the `cpu` preset's routing (Q's head in G's
Adam, L_I training D's shared trunk in the D phase); none touches `TrainConfig`.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .config import TrainConfig
from .latent import HALF_LOG_2PI, Latent, LatentSpec, QOutput
from .losses import InfoTerms, info_terms
from .metrics import evaluate
from .models import count_parameters
from .train import Trainer

__all__ = [
    "BatchNormEps",
    "BUGS",
    "InfoMissesG",
    "InfoMissesTrunk",
    "InfoOptimiser",
    "make_trainer",
    "MseForNll",
    "NoZeroGrad",
    "NormalCodes",
    "SeparateQ",
    "SoftmaxTwice",
    "softmax_twice_ceiling",
    "symptoms",
]


def softmax_twice_ceiling(k: int) -> float:
    r"""The highest L_I of a K-way uniform code when Q's probabilities p in [0, 1] are fed to `cross_entropy` as logits:

        -log softmax(p)_c >= -log( e / (e + K - 1) ) = ln(e + K - 1) - 1,   so   L_I <= ln K - ln(e + K - 1) + 1,

    reached when p is one-hot. For K = 10: ln 10 - 1.461 = 0.841 nats, about a third of the true ceiling ln 10.
    """
    return math.log(k) - math.log(math.e + k - 1) + 1


class SoftmaxTwice(Trainer):
    """`softmax-twice`: Q's categorical head ends in a softmax, and its output goes into `CrossEntropyLoss`, which
    applies log-softmax again: the loss is -log softmax(softmax(l))_c, not -log softmax(l)_c.

    Seen: PyTorch-GAN line 111 (the categorical output layer is Linear + `nn.Softmax()`) with line 126
    (`CrossEntropyLoss`); issue #84 of that repository (2019-12-14, open) asks why. Symptom: L_I(cat) rises slowly
    and can never pass `softmax_twice_ceiling(10)` = 0.84 nats, however long it trains (0.68 after 800 steps of
    exercise 10's small run, where the correct step reached 2.25), while G's images may well follow c1: the bound is
    capped, not the information. The gradient that reaches G through Q is damped by the softmax's own Jacobian.
    Argmax predictions are unchanged (softmax keeps the order), so accuracy can still be read. Caught by: L_I drawn
    against its ceiling ln 10 (lessons 03-04), exercise 2's check ("softmax twice"), the warning in `losses`' module
    docstring.
    """

    def __init__(self, config: TrainConfig, images: Any, *args: Any, **kwargs: Any):
        super().__init__(config, images, *args, **kwargs)
        self.model.q_head = _SoftmaxHead(self.model.q_head)  # same parameters: the optimisers still hold them

    def symptom(self) -> dict[str, float]:
        ceiling = sum(softmax_twice_ceiling(k) for k in self.spec.categorical)
        return {"li_cat_ceiling": round(ceiling, 4), "li_cat_max": round(max(self.history.li_cat, default=0), 4)}


class _SoftmaxHead(nn.Module):
    """Q's head with a softmax after its categorical outputs (what `SoftmaxTwice` plants)."""

    def __init__(self, head: nn.Module):
        super().__init__()
        self.head = head

    def forward(self, features: torch.Tensor) -> QOutput:
        q = self.head(features)
        return QOutput([F.softmax(t, dim=1) for t in q.cat_logits], q.mean, q.log_std)  # (B, K_i) probabilities


class _NormalCodesSpec(LatentSpec):
    """A LatentSpec whose continuous codes are N(0, 1), drawn from the same uniforms as the correct spec's."""

    def sample(
        self, batch: int, generator: torch.Generator | None = None, device: torch.device | str = "cpu"
    ) -> Latent:
        z, cat, u = super().sample(batch, generator, device)  # u ~ Unif(-1, 1): the same draws as the correct step
        u = u.clamp(-1 + 2**-23, 1 - 2**-23)  # erfinv(+-1) is infinite
        return Latent(z, cat, math.sqrt(2) * torch.erfinv(u))  # (B, n_cont) ~ N(0, 1)


class NormalCodes(Trainer):
    """`normal-codes`: the continuous codes are drawn from N(0, 1) while the text (and `latent`) says Unif(-1, 1).

    Here both G's input and Q's target are N(0, 1); z and the categorical codes are the correct step's, and the
    normal codes are the correct step's uniform draws mapped through the normal quantile function. Seen: PyTorch-GAN
    issue #25 (2018-09-30): its information phase drew the code with `np.random.normal(-1, 1, ...)` (mean -1, sd 1;
    line 272 at c5d6be1) while its G phase drew `uniform(-1, 1)`; the maintainer confirmed and fixed it in 98e1b5a
    (2019-04-02). Symptom: a third of the codes G sees lie outside [-1, 1], so a traversal over [-1, 1] shows only
    the middle of what G learned; the reported L_I(cont) uses H = ln 2 per code (Unif(-1, 1)) where N(0, 1) has
    ln(2 pi e)/2 = 1.42 nats. Caught by: tests/test_latent.py (every continuous code within [-1, 1]).
    """

    def __init__(self, config: TrainConfig, images: Any, *args: Any, **kwargs: Any):
        super().__init__(config, images, *args, **kwargs)
        self.spec = _NormalCodesSpec(**self.spec.to_dict())

    def symptom(self) -> dict[str, float]:
        codes = self.spec.sample(10_000, torch.Generator().manual_seed(0)).cont  # (10000, n_cont); P(|c| > 1) = 0.317
        gap = self.spec.continuous * (0.5 * math.log(2 * math.pi * math.e) - math.log(2))  # H(N(0,1)) - H(U(-1,1))
        return {
            "codes_outside_unit_interval": round(float((codes.abs() > 1).float().mean()), 4),
            "entropy_gap_nats": round(gap, 4),
        }


class NoZeroGrad(Trainer):
    """`no-zero-grad`: G's optimiser never zeroes its gradients (`opt_g.zero_grad()` is gone).

    In the `cpu` preset G's Adam also holds Q's head; nothing else clears their `.grad`, so each step applies the sum
    of every G-phase gradient so far (and of every D phase's L_I gradient on Q's head). Seen: znxlwm lines 224-231:
    the information loss is backpropagated and its optimiser (over G and all of D, line 109) stepped without that
    optimiser's `zero_grad` anywhere, so it re-applies the D and G losses' gradients still in `.grad` from the same
    iteration. Symptom: G's `.grad` norm grows with the step count (about 20 times the correct step's after 300
    steps at width 0.125, batch 64); Adam divides the running sum by its own scale, so the first few hundred steps
    look healthy (L_I(cat) even rose faster there) while G follows stale directions; `benchmarks/wild_bugs.py`
    measures the whole run. Caught by: exercise 8's check (stale
    gradients are placed in `.grad` on purpose; it names the missing `zero_grad`), `train`'s "every phase starts
    from zeroed gradients".
    """

    def __init__(self, config: TrainConfig, images: Any, *args: Any, **kwargs: Any):
        super().__init__(config, images, *args, **kwargs)
        self.opt_g.zero_grad = _skip_zero_grad  # an instance attribute: train_step's call does nothing


def _skip_zero_grad(set_to_none: bool = True) -> None:
    """The missing `zero_grad` of `NoZeroGrad`."""


class InfoOptimiser(Trainer):
    """`info-optimiser`: L_I leaves the D and G phases and is stepped by a third Adam (at D's learning rate) over G,
    all of D, its real/fake output layer included, and Q's head, in a phase of its own after the G phase (on G's
    updated images of the same latents).

    Seen: PyTorch-GAN lines 166-168 (the information optimiser chains G's and the whole discriminator's parameters,
    whose output layers include the real/fake one) and its information phase, lines 261-282; znxlwm line 109, the
    same grouping; PyTorch-GAN issue #131 (2020-10-20) questions training G and D with the information loss.
    L_I does not depend on D's real/fake layer, so that layer gets no gradient and Adam never moves it (measured
    by `symptom`): the membership is harmless; what changes is that G and D's trunk get a second Adam state and L_I
    a learning rate and phase of its own. Caught by: tests/test_routing.py (which groups each loss term reaches),
    exercise 8's `check_optimizers` (which optimiser holds which group).
    """

    def __init__(self, config: TrainConfig, images: Any, *args: Any, **kwargs: Any):
        super().__init__(config, images, *args, **kwargs)
        m = self.model
        params = [*m.g.parameters(), *m.d.parameters(), *m.q_head.parameters()]
        self.opt_info = torch.optim.Adam(params, lr=config.lr_d, betas=config.betas)
        self._latent: Latent | None = None
        self._head_moved = 0.0

    def d_phase(self, x_real: torch.Tensor, fake: torch.Tensor, latent: Latent) -> dict[str, torch.Tensor]:
        out = super().d_phase(x_real, fake, latent)
        out.pop("info", None)  # no L_I in D's loss
        return out

    def g_phase(self, fake: torch.Tensor, latent: Latent, real_features: torch.Tensor | None = None):
        out = super().g_phase(fake, latent, real_features)
        out.pop("info", None)  # no L_I in G's loss (li_cat, li_cont stay: they are logged)
        self._latent = latent
        return out

    def train_step(self) -> torch.Tensor:
        metrics = super().train_step()
        m, latent = self.model, self._latent
        self.opt_info.zero_grad(set_to_none=True)
        with self.autocast():
            feats = m.d.features(m.g(self.spec.to_input(latent)).float())  # (B, 1024 * width)
        self._info(feats, latent).loss.backward()  # lambda * (-E log Q(c | x))
        head = m.d.head.weight.detach().clone()
        self.opt_info.step()
        self._head_moved = max(self._head_moved, float((m.d.head.weight.detach() - head).abs().max()))
        return metrics

    def symptom(self) -> dict[str, float]:
        return {"d_head_moved_by_info_step": self._head_moved}


class InfoMissesTrunk(Trainer):
    """`info-misses-trunk`: L_I never steps D's shared trunk: Q's head is in G's optimiser, the trunk only in D's,
    whose loss has no L_I (`info_trains_trunk=False`, a routing the library supports as an ablation).

    Seen: Natsu6767/InfoGAN-PyTorch train.py lines 98-99 at 4586919 (D's Adam: the trunk and D's head; G's Adam:
    G and Q's head; the L_I gradient that reaches the trunk in the G phase is cleared by D's `zero_grad`, line 144);
    its issue #2 (comment of 2020-01-08) reports that the shared layers are not optimised for Q.
    pianomania/infoGAN-pytorch trainer.py lines 65-66 at db6fec7 group the same way. Symptom: little; the paper's
    Q is the trunk plus its head, and here the trunk learns only to tell real from fake. The `cpu` preset's tuning
    measured this routing over five seeds (`trunk-without-l_i`, benchmarks/results/cpu-tuning-rounds.md). Caught by:
    tests/test_routing.py.
    """

    def __init__(self, config: TrainConfig, images: Any, *args: Any, **kwargs: Any):
        super().__init__(config.replace(info_trains_trunk=False), images, *args, **kwargs)


class InfoMissesG(Trainer):
    """`info-misses-g`: L_I is minimised by an optimiser that holds Q (and D's trunk) but not G: G is trained on
    V(D, G) alone, so nothing asks it to make c legible (`info_to_generator=False`).

    Seen: not in the implementations read for this module; it is the library's lambda = 0 control
    (`config.lambda0_control`, the paper's Figure 1 "GAN" curve) recast as a bug. Symptom: L_I(cat) stays at a
    few tenths of a nat instead of rising to ln 10 (0.10 at the end of the `cpu` preset's control run,
    benchmarks/results/mnist-cpu-preset.md), and so does L_I(cont); G's images do not follow c1. Caught by:
    tests/test_routing.py, exercise 8's check ("L_I does not reach G").
    """

    def __init__(self, config: TrainConfig, images: Any, *args: Any, **kwargs: Any):
        super().__init__(config.replace(info_to_generator=False), images, *args, **kwargs)


class BatchNormEps(Trainer):
    """`batchnorm-eps`: G's `BatchNorm2d` layers are built as `BatchNorm2d(C, 0.8)`: the second positional argument
    is eps, not momentum, so every normalised activation is x_hat = (x - mean) / sqrt(var + 0.8).

    Seen: PyTorch-GAN lines 70 and 74 (G) and 96 (D); its issue #116 (2020-07-03) shows that the layers print
    eps=0.8, and a comment there compares the Keras sibling, eriklindernoren/Keras-GAN infogan/infogan.py, where
    `BatchNormalization(momentum=0.8)` is a momentum. Symptom: none loud; where a channel's variance is small the
    layer shrinks it by sqrt(var / (var + 0.8)) instead of normalising it (`symptom` reports that factor), and
    training goes on; `benchmarks/wild_bugs.py` measures what it costs. Caught by: tests/test_models.py (every
    BatchNorm has eps = 1e-5).
    """

    def __init__(self, config: TrainConfig, images: Any, *args: Any, **kwargs: Any):
        super().__init__(config, images, *args, **kwargs)
        for layer in self.model.g.modules():
            if isinstance(layer, nn.BatchNorm2d):
                layer.eps = 0.8  # what BatchNorm2d(C, 0.8) builds; no new parameters, the same initial weights

    def symptom(self) -> dict[str, float]:
        var = torch.cat([b.running_var for b in self.model.g.modules() if isinstance(b, nn.BatchNorm2d)])
        return {"bn_scale_vs_correct": round(float(torch.sqrt(var / (var + 0.8)).mean()), 4)}


class MseForNll(Trainer):
    """`mse-for-nll`: the continuous codes' Gaussian NLL is replaced by a mean-squared error (`nn.MSELoss`, averaged
    over batch and codes) with no word about sigma.

    For two codes that is exactly the sigma = 1 Gaussian NLL minus 2 x ln(2 pi)/2 = 1.84 nats: the gradients of
    `fixed_std=True` (the `cpu` preset learns sigma). Seen: PyTorch-GAN line 127 (`continuous_loss = MSELoss()`),
    znxlwm line 226; neither says the variance is fixed. Symptom: none in training beyond sigma = 1; the logged
    L_I(cont) = n ln 2 - MSE starts near n ln 2 - 1/3 (an untrained Q misses by the codes' variance) and never
    passes n ln 2, and it is no bound in nats: with sigma = 1 the bound stays under n (ln 2 - ln(2 pi)/2) =
    -0.45 nats (`symptom`). Caught by: tests/test_losses.py (the Gaussian NLL by hand), exercise 3's check, and
    `losses.gaussian_nll`'s docstring, which names the fixed variance.
    """

    def _info(self, features: torch.Tensor, latent: Latent) -> InfoTerms:
        cfg = self.config
        q = self.model.q_head(features)
        q = QOutput([t.float() for t in q.cat_logits], q.mean.float(), q.log_std.float())
        terms = info_terms(q, latent, self.spec, cfg.lambda_cat, cfg.lambda_cont, cfg.fixed_std)  # categorical: kept
        nll_cont = F.mse_loss(q.mean, latent.cont) if self.spec.continuous else terms.nll_cont  # mean over B and codes
        loss = cfg.lambda_cat * terms.nll_cat + cfg.lambda_cont * nll_cont
        li_cont = self.spec.continuous_entropy() - nll_cont.detach()
        return InfoTerms(loss, terms.nll_cat, nll_cont, terms.li_cat, li_cont)

    def symptom(self) -> dict[str, float]:
        bound = self.spec.continuous * (math.log(2) - HALF_LOG_2PI)  # the sigma = 1 bound's ceiling
        return {"li_cont_sigma1_ceiling": round(bound, 4), "li_cont_logged_max": round(max(self.history.li_cont), 4)}


class _OwnQ(nn.Module):
    """Q with a trunk of its own: q(x) = head(trunk.features(x)) (`metrics.evaluate` reads `.q`)."""

    def __init__(self, trunk: nn.Module, head: nn.Module):
        super().__init__()
        self.trunk, self.head = trunk, head

    def q(self, x: torch.Tensor) -> QOutput:
        return self.head(self.trunk.features(x))


class SeparateQ(Trainer):
    """`separate-q`: Q is its own network, a copy of D's trunk with its own weights plus Q's head, instead of a head
    on D's trunk; its trunk joins the optimiser that holds Q's head.

    Seen: wiseodd/generative-models GAN/infogan/infogan_pytorch.py lines 62-72 at b930d5f (Q's hidden layer reads
    the image with weights of its own) and line 93 (Q's optimiser: G and Q). The paper's Q shares every layer of D
    but the last (Chen et al. 2016, Sec. 6), which makes L_I nearly free. Symptom: a second trunk's parameters and
    forward passes (`symptom`); the images Q learns from are only G's. G, D and Q's head start from the correct
    step's weights. Caught by: tests/test_routing.py (L_I reaches D's trunk), tests/test_models.py (`InfoGAN.q` reads
    `d.features`).
    """

    def __init__(self, config: TrainConfig, images: Any, *args: Any, **kwargs: Any):
        if config.lambda_invariance > 0:
            raise ValueError("separate-q plants the bug in the paper's objective; set lambda_invariance=0")
        super().__init__(config, images, *args, **kwargs)
        m = self.model
        trunk = copy.deepcopy(m.d)  # D's architecture, whichever network; new weights, drawn after the shared ones
        for layer in trunk.modules():
            if hasattr(layer, "reset_parameters"):
                layer.reset_parameters()
        self.q_net = _OwnQ(trunk, m.q_head)
        opt = self.opt_g if config.q_optimizer == "g" else self.opt_d
        opt.add_param_group({"params": [p for n, p in trunk.named_parameters() if not n.startswith("head.")]})
        self._images: torch.Tensor | None = None

    def d_phase(self, x_real: torch.Tensor, fake: torch.Tensor, latent: Latent) -> dict[str, torch.Tensor]:
        self._images = fake  # already detached
        return super().d_phase(x_real, fake, latent)

    def g_phase(self, fake: torch.Tensor, latent: Latent, real_features: torch.Tensor | None = None):
        self._images = fake if self.config.info_to_generator else fake.detach()
        return super().g_phase(fake, latent, real_features)

    def _info(self, features: torch.Tensor, latent: Latent) -> InfoTerms:
        """Q's reading of the phase's images through its own trunk (D's `features` are not used)."""
        cfg = self.config
        q = self.q_net.q(self._images)
        q = QOutput([t.float() for t in q.cat_logits], q.mean.float(), q.log_std.float())
        return info_terms(q, latent, self.spec, cfg.lambda_cat, cfg.lambda_cont, cfg.fixed_std)

    def evaluate_now(self) -> float:
        scores = evaluate(self.q_net, self.test_images, self.test_labels)
        self.history.eval_step.append(self.step)
        self.history.accuracy.append(scores.accuracy)
        self.history.nmi.append(scores.nmi)
        return scores.accuracy

    def symptom(self) -> dict[str, float]:
        trunk = self.q_net.trunk
        return {"q_trunk_parameters": count_parameters(trunk) - count_parameters(trunk.head)}


BUGS: dict[str, type[Trainer]] = {
    "none": Trainer,  # the correct step
    "softmax-twice": SoftmaxTwice,
    "normal-codes": NormalCodes,
    "no-zero-grad": NoZeroGrad,
    "info-optimiser": InfoOptimiser,
    "info-misses-trunk": InfoMissesTrunk,
    "info-misses-g": InfoMissesG,
    "batchnorm-eps": BatchNormEps,
    "mse-for-nll": MseForNll,
    "separate-q": SeparateQ,
}


def make_trainer(
    bug: str,
    config: TrainConfig,
    images: np.ndarray | torch.Tensor,
    test_images: np.ndarray | torch.Tensor | None = None,
    test_labels: np.ndarray | None = None,
    progress: bool | str = False,
) -> Trainer:
    """A trainer whose step carries `bug` ("none": the correct `Trainer`), on `config`, without an output folder."""
    if bug not in BUGS:
        raise ValueError(f"unknown bug {bug!r}; choose one of: {', '.join(BUGS)}")
    return BUGS[bug](config, images, test_images, test_labels, progress=progress)


def symptoms(trainer: Trainer) -> dict[str, float]:
    """What every run records (the norm of G's `.grad` after the last step: one step's gradient, or a sum of stale
    ones) and the bug's own symptom, if it has one."""
    grads = [p.grad.norm() for p in trainer.model.g.parameters() if p.grad is not None]
    out = {"g_grad_norm_end": round(float(torch.stack(grads).norm()), 4) if grads else 0.0}
    own = getattr(trainer, "symptom", None)
    return out | (own() if own is not None else {})
