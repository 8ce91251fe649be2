r"""Training InfoGAN: min_{G,Q} max_D  V(D, G) - lambda L_I(G, Q)  (Chen et al. 2016, Eq. 6).

One training step, with the gradient routing spelled out:

    1. draw real images x and latents (z, c); fake = G(z, c)
    2. D phase (D's Adam):   L_D = -V(D, G) on (x, fake.detach())
                             + lambda * (-E log Q(c | fake))  if Q's head is in D's optimiser or the
                               L_I gradient trains D's shared trunk (`info_trains_trunk`; the paper's Q
                               *is* trunk + head, so yes by default)
    3. G phase (G's Adam):   L_G = generator loss on D(fake) + lambda * (-E log Q(c | fake))
                             (the L_I gradient flows back through Q and D's trunk into G; only G, plus
                             Q's head when `q_optimizer="g"`, is stepped)

With `lambda_invariance > 0` (an inductive bias beyond the paper, `losses.invariant_information`), the D phase
also minimises -lambda_T * I(c; c') between Q's categories of the real images x and of T(x), a random shift,
rotation and scaling: it reaches D's trunk and Q's head. When Q's head is in G's optimiser, the G phase adds the
same term on the D phase's features, detached, so that the head that G's Adam steps learns it too.

Every phase starts from zeroed gradients, so no stale gradient is ever applied twice. BatchNorm in D sees the
real and the fake batch separately, as in the original code.

The trainer keeps work safe: atomic checkpoints every `ckpt_every` steps and at the end, a
checkpoint on Ctrl-C or SIGTERM, exact resume (N + N steps == 2N steps on CPU), and a stop with a
clear message when a loss becomes NaN or infinite (the last good checkpoint is kept).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .checkpoint import load_file, restore_training_state, save_atomic, saved_step, training_state
from .config import TrainConfig, pick_device, resolve_fast_path
from .data.augment import random_affine
from .data.batching import TensorBatcher
from .history import METRICS, History
from .latent import Latent, QOutput
from .loop import Progress, run
from .losses import (
    InfoTerms,
    discriminator_loss,
    generator_loss_minimax,
    generator_loss_nonsaturating,
    info_terms,
    invariant_information,
)
from .metrics import evaluate
from .models import InfoGAN
from .stopping import TrainingInterrupted  # noqa: F401  (re-exported)

__all__ = ["NonFiniteLossError", "Trainer", "TrainingInterrupted"]


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or infinite; training stopped and the last good checkpoint was kept."""


def _image_shape(images: np.ndarray | torch.Tensor) -> tuple[int, int]:
    """(side, channels) of square images (N, H, W) or (N, C, H, W); one ValueError for any other shape."""
    shape = tuple(images.shape)
    if len(shape) not in (3, 4) or shape[-1] != shape[-2] or (len(shape) == 4 and shape[1] not in (1, 3)):
        raise ValueError(
            f"training images must be square, of shape (N, H, W) or (N, C, H, W) with C = 1 or 3, got {shape}"
        )
    return int(shape[-1]), int(shape[1]) if len(shape) == 4 else 1


class Trainer:
    """Trains an `InfoGAN` on uint8 images, (N, H, W) grayscale or (N, C, H, W) with C channels (3 for colour);
    the model gets as many channels. See the module docstring for one step.

    >>> trainer = Trainer(get_preset("cpu"), train_images, test_images=x_test, test_labels=y_test)
    >>> history = trainer.train()
    """

    def __init__(
        self,
        config: TrainConfig,
        images: np.ndarray | torch.Tensor,
        test_images: np.ndarray | torch.Tensor | None = None,
        test_labels: np.ndarray | None = None,
        out_dir: str | Path | None = None,
        progress: Progress = True,
    ):
        # progress: a tqdm bar (True), nothing (False), or one printed line per evaluation ("lines": the log a
        # stored notebook keeps, since a bar's stored text shows the moment it was drawn, at 0%)
        self.config = config
        self.device = pick_device(config.device)
        self.fast = resolve_fast_path(config, self.device)
        self.spec = config.latent_spec()
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.progress = progress
        torch.manual_seed(config.seed)
        image_size, channels = _image_shape(images)
        self.model = InfoGAN(self.spec, config.width, image_size, channels, config.network).to(self.device)
        if self.fast["channels_last"]:
            self.model = self.model.to(memory_format=torch.channels_last)
        d_params = list(self.model.d.parameters())
        g_params = list(self.model.g.parameters())
        (d_params if config.q_optimizer == "d" else g_params).extend(self.model.q_head.parameters())
        adam = {"betas": config.betas}
        if self.fast["fused_adam"]:
            adam["fused"] = True
        self.opt_d = torch.optim.Adam(d_params, lr=config.lr_d, **adam)
        self.opt_g = torch.optim.Adam(g_params, lr=config.lr_g, **adam)
        self.batcher = TensorBatcher(images, batch_size=config.batch_size, device=self.device, seed=config.seed)
        self.latent_rng = torch.Generator(device=self.device).manual_seed(config.seed + 1)
        self.augment_rng = torch.Generator(device=self.device).manual_seed(config.seed + 2)  # T's draws
        self.test_images, self.test_labels = test_images, test_labels
        self.step = 0
        self.history = History()
        self.train_seconds = 0.0
        self._d_phase, self._g_phase = self.d_phase, self.g_phase
        self._cudagraphs = self.fast["compile"] and "reduce-overhead" in config.compile_mode
        if self.fast["compile"]:
            self._d_phase = torch.compile(self.d_phase, mode=config.compile_mode)
            self._g_phase = torch.compile(self.g_phase, mode=config.compile_mode)

    # ------------------------------------------------------------------ one step
    def autocast(self) -> contextlib.AbstractContextManager:
        """bf16 autocast where the fast path turns it on (CUDA by default), else nothing."""
        if self.fast["bf16"]:
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _info(self, features: torch.Tensor, latent: Latent) -> InfoTerms:
        """Q's head on D's features, then L_I's terms (in fp32, also under bf16 autocast)."""
        cfg = self.config
        q = self.model.q_head(features)
        q = QOutput([t.float() for t in q.cat_logits], q.mean.float(), q.log_std.float())
        return info_terms(q, latent, self.spec, cfg.lambda_cat, cfg.lambda_cont, cfg.fixed_std)

    def _invariance(self, real_features: torch.Tensor, moved_features: torch.Tensor) -> torch.Tensor:
        """-lambda_T * I(c; c') from D's features of x and T(x), summed over the categorical codes."""
        q, q_moved = self.model.q_head(real_features), self.model.q_head(moved_features)
        pairs = zip(q.cat_logits, q_moved.cat_logits, strict=True)  # one (B, K_i) pair per categorical code
        info = sum((invariant_information(a.float(), b.float()) for a, b in pairs), real_features.new_zeros(()))
        return -self.config.lambda_invariance * info

    def d_phase(self, x_real: torch.Tensor, fake: torch.Tensor, latent: Latent) -> dict[str, torch.Tensor]:
        """The terms D's optimiser minimises. `fake` must already be detached from G."""
        cfg, m = self.config, self.model
        with self.autocast():
            real_feats = m.d.features(x_real)  # (B, 1024 * width)
            real_logits = m.d.logit(real_feats)  # (B,)
            feats = m.d.features(fake)  # (B, 1024 * width)
            fake_logits = m.d.logit(feats)  # (B,)
            out = {"adv": discriminator_loss(real_logits.float(), fake_logits.float())}  # -V(D, G)
            if cfg.q_optimizer == "d" or cfg.info_trains_trunk:
                q_in = feats if cfg.info_trains_trunk else feats.detach()
                terms = self._info(q_in, latent)
                out["info"] = terms.loss  # lambda * (-E log Q(c|x))
            if cfg.lambda_invariance > 0:
                moved = random_affine(x_real, self.augment_rng, cfg.invariance_parts)  # T(x): (B, C, H, W)
                moved_feats = m.d.features(moved)  # (B, 1024 * width)
                out["invariance"] = self._invariance(real_feats, moved_feats)  # -lambda_T I(c; c')
                out["features"] = torch.stack([real_feats.detach(), moved_feats.detach()])  # (2, B, 1024 * width)
        out["d_real"] = torch.sigmoid(real_logits.detach().float()).mean()
        out["d_fake"] = torch.sigmoid(fake_logits.detach().float()).mean()
        return out

    def g_phase(
        self, fake: torch.Tensor, latent: Latent, real_features: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        """The terms G's optimiser minimises; `fake` carries G's graph. `real_features` (2, B, F): the D phase's
        detached features of x and T(x), for the invariance term when Q's head is in G's optimiser."""
        cfg, m = self.config, self.model
        with self.autocast():
            feats = m.d.features(fake)  # (B, 1024 * width)
            fake_logits = m.d.logit(feats).float()  # (B,)
            if cfg.g_loss == "nonsaturating":
                adv = generator_loss_nonsaturating(fake_logits)  # -E log D(G(z))
            else:
                adv = generator_loss_minimax(fake_logits)  # E log(1 - D(G(z)))
            # lambda = 0 control: G gets no L_I gradient, but a head in G's optimiser still learns
            q_in = feats if cfg.info_to_generator else feats.detach()
            terms = self._info(q_in, latent)
            out = {"adv": adv, "li_cat": terms.li_cat, "li_cont": terms.li_cont}
            if cfg.lambda_invariance > 0 and cfg.q_optimizer == "g" and real_features is not None:
                out["invariance"] = self._invariance(real_features[0], real_features[1])  # reaches Q's head only
        if cfg.info_to_generator or cfg.q_optimizer == "g":
            out["info"] = terms.loss
        return out

    @staticmethod
    def objective(out: dict[str, torch.Tensor]) -> torch.Tensor:
        """adv + lambda * (-E log Q) [- lambda_T I(c; c')]: the loss of a phase (`d_phase`, `g_phase`), of the terms
        it has."""
        loss = out["adv"]
        for term in ("info", "invariance"):
            if term in out:
                loss = loss + out[term]
        return loss

    def train_step(self) -> torch.Tensor:
        """One D update and one G update. Returns the step's metrics as one device tensor (no sync)."""
        m = self.model
        if self._cudagraphs:  # a new iteration: the graphs may reuse their output buffers from here on
            torch.compiler.cudagraph_mark_step_begin()
        x_real = self.batcher.next()  # (B, C, H, W) in [-1, 1]: (B, 1, 28, 28) for MNIST
        latent = self.spec.sample(x_real.shape[0], self.latent_rng, self.device)
        if self.fast["channels_last"]:
            x_real = x_real.contiguous(memory_format=torch.channels_last)
        with self.autocast():
            fake = m.g(self.spec.to_input(latent)).float()  # (B, C, H, W)

        # D phase: max_D V(D, G) (and Q, per the routing)
        self.opt_d.zero_grad(set_to_none=True)
        d = self._d_phase(x_real, fake.detach(), latent)
        self.objective(d).backward()
        self.opt_d.step()
        # copied out now: under CUDA graphs the G phase's replay may overwrite the D phase's output buffers
        d_stats = torch.stack([d["adv"].detach().float(), d["d_real"], d["d_fake"]])  # (3,)

        # G phase: min_G V(D, G) - lambda L_I(G, Q)
        self.opt_g.zero_grad(set_to_none=True)
        g = self._g_phase(fake, latent, d.get("features"))
        self.objective(g).backward()
        self.opt_g.step()
        self.step += 1
        return torch.stack(
            [d_stats[0], g["adv"].detach().float(), g["li_cat"].float(), g["li_cont"].float(), d_stats[1], d_stats[2]]
        )  # (len(METRICS),)

    # ----------------------------------------------------------------- the loop
    def train(self, steps: int | None = None) -> History:
        """Train until `config.steps` (or for `steps` more steps). Safe against Ctrl-C, SIGTERM, NaN (`loop.run`)."""
        run(self, steps, self.progress)
        return self.history

    def describe(self) -> str:
        return f"InfoGAN [{self.config.preset}]"

    def report(self) -> str:
        """The last logging window's losses and L_I, and the test accuracy if it was scored at this step."""
        h = self.history
        if not h.step:
            return "no logging window yet"
        parts = [f"D loss {h.loss_d[-1]:.3f}", f"G loss {h.loss_g[-1]:.3f}"]
        if self.config.lambda_cat > 0 and self.config.categorical:  # else nothing trains a categorical output
            parts.append(f"L_I(c1) {h.li_cat[-1]:.3f} nats")
        elif not self.config.categorical and self.config.lambda_cont > 0:  # continuous codes alone (the 3D heads)
            parts.append(f"L_I(cont) {h.li_cont[-1]:.3f} nats")
        if h.eval_step and h.eval_step[-1] == self.step:
            parts.append(f"test accuracy {h.accuracy[-1]:.3f}")
        return ", ".join(parts)

    def flush(self, window: torch.Tensor, wall: float) -> None:
        values = window.cpu()  # (n, len(METRICS)): the host sync
        problem = self.non_finite(values)
        if problem:
            raise NonFiniteLossError(
                f"{problem}. Lower the learning rates (lr_d, lr_g) or lambda, or check the input data for NaNs."
            )
        self.log_window(values, wall)

    def checkpoint(self, evaluate: bool, save: bool) -> None:
        if evaluate and self.test_images is not None:
            self.evaluate_now()
        if save and self.out_dir is not None:
            self.save(self.out_dir / "checkpoint.pt")

    def finished_early(self) -> bool:
        return False

    def saved_to(self) -> str | None:
        return f"checkpoint saved to {self.out_dir / 'checkpoint.pt'}" if self.out_dir is not None else None

    def non_finite(self, values: torch.Tensor) -> str | None:
        """None when every metric of the window (n, len(METRICS)) is finite; else what happened and what was kept."""
        finite = torch.isfinite(values).all(0).tolist()
        if all(finite):
            return None
        bad = [name for name, ok in zip(METRICS, finite, strict=True) if not ok]
        return f"{', '.join(bad)} became NaN or infinite by step {self.step}; training stopped and {self._kept()}"

    def _kept(self) -> str:
        last = self.out_dir / "checkpoint.pt" if self.out_dir is not None else None
        if last is not None and last.exists():
            return f"the last good checkpoint is {last} (step {saved_step(last)})"
        return "no checkpoint had been written"

    def log_window(self, values: torch.Tensor, wall: float) -> None:
        """Append the window's means (values: (n, len(METRICS)) on the CPU) to the history."""
        h = self.history
        h.step.append(self.step)
        for name, v in zip(METRICS, values.mean(0).tolist(), strict=True):
            getattr(h, name).append(v)
        h.wall.append(wall)

    def evaluate_now(self) -> float:
        """Test accuracy of c1 (Hungarian matching); appended to the history."""
        scores = evaluate(self.model, self.test_images, self.test_labels)
        self.history.eval_step.append(self.step)
        self.history.accuracy.append(scores.accuracy)
        self.history.nmi.append(scores.nmi)
        return scores.accuracy

    # -------------------------------------------------------------- checkpoints
    def state(self) -> dict[str, Any]:
        """Everything needed to continue exactly (`checkpoint.training_state`)."""
        return training_state(self)

    def save(self, path: str | Path) -> Path:
        """Write the state atomically; refused (NonFiniteLossError) if a NaN reached the weights before the losses
        showed it (they are checked every `log_every` steps), so a checkpoint never holds NaN weights."""
        bad = [k for k, v in self.model.state_dict().items() if v.is_floating_point() and not v.isfinite().all()]
        if bad:
            raise NonFiniteLossError(
                f"weights ({', '.join(bad[:3])}) became NaN or infinite by step {self.step}; they were not saved "
                f"and {self._kept()}. Lower the learning rates (lr_d, lr_g) or lambda, or check the data for NaNs."
            )
        return save_atomic(self.state(), path)

    def load_state(self, ckpt: dict[str, Any], path: str | Path = "checkpoint") -> None:
        """Continue from `ckpt` (`checkpoint.restore_training_state`)."""
        restore_training_state(self, ckpt, path)

    @classmethod
    def resume(
        cls,
        path: str | Path,
        images: np.ndarray | torch.Tensor,
        test_images: np.ndarray | torch.Tensor | None = None,
        test_labels: np.ndarray | None = None,
        out_dir: str | Path | None = None,
        progress: Progress = True,
        **overrides: object,
    ) -> Trainer:
        """Rebuild a trainer from a checkpoint (config, weights, optimisers, RNG) to continue it."""
        ckpt = load_file(path)
        config = TrainConfig.from_dict(ckpt["config"]).replace(**overrides)
        trainer = cls(config, images, test_images, test_labels, out_dir=out_dir or Path(path).parent, progress=progress)
        trainer.load_state(ckpt, path)
        return trainer
