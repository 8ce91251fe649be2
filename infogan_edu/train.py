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
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from . import __version__
from .checkpoint import FORMAT, CheckpointError, check_architecture, load_file, save_atomic
from .config import TrainConfig, pick_device, resolve_fast_path
from .data.augment import random_affine
from .data.batching import TensorBatcher
from .latent import Latent, QOutput
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
from .stopping import StopRequests, TrainingInterrupted, interrupted  # noqa: F401  (TrainingInterrupted: re-exported)

METRICS = ("loss_d", "loss_g", "li_cat", "li_cont", "d_real", "d_fake")


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or infinite; training stopped and the last good checkpoint was kept."""


@dataclass
class History:
    """What happened during training, as plain lists a notebook can plot.

    `step[i]` is the last step of the i-th logging window and the metrics are means over the window.
    L_I values are in nats (li_cat can be drawn against H(c) = ln 10). `eval_*` hold test scores.
    """

    step: list[int] = field(default_factory=list)
    loss_d: list[float] = field(default_factory=list)
    loss_g: list[float] = field(default_factory=list)
    li_cat: list[float] = field(default_factory=list)
    li_cont: list[float] = field(default_factory=list)
    d_real: list[float] = field(default_factory=list)
    d_fake: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)  # seconds of training so far
    eval_step: list[int] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    nmi: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, list]:
        return {k: list(v) for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, d: dict) -> History:
        return cls(**{k: list(v) for k, v in d.items()})

    def li_at(self, step: int) -> float:
        """li_cat of the logging window that contains `step` (nan if not reached)."""
        for s, v in zip(self.step, self.li_cat, strict=True):
            if s >= step:
                return v
        return math.nan


class Trainer:
    """Trains an `InfoGAN` on uint8 images (N, H, W). See the module docstring for one step.

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
        progress: bool | Literal["lines"] = True,
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
        image_size = int(images.shape[-1])
        self.model = InfoGAN(self.spec, config.width, image_size).to(self.device)
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
        self.compile_seconds = 0.0
        self._d_phase, self._g_phase = self.d_phase, self.g_phase
        self._cudagraphs = self.fast["compile"] and "reduce-overhead" in config.compile_mode
        if self.fast["compile"]:
            self._d_phase = torch.compile(self.d_phase, mode=config.compile_mode)
            self._g_phase = torch.compile(self.g_phase, mode=config.compile_mode)

    # ------------------------------------------------------------------ one step
    def _autocast(self) -> contextlib.AbstractContextManager:
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
        with self._autocast():
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
                moved = random_affine(x_real, self.augment_rng, cfg.invariance_parts)  # T(x): (B, 1, H, W)
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
        with self._autocast():
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
    def _objective(out: dict[str, torch.Tensor]) -> torch.Tensor:
        """adv + lambda * (-E log Q) [- lambda_T I(c; c')]: the loss of a phase, of the terms it has."""
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
        x_real = self.batcher.next()  # (B, 1, 28, 28) in [-1, 1]
        latent = self.spec.sample(x_real.shape[0], self.latent_rng, self.device)
        if self.fast["channels_last"]:
            x_real = x_real.contiguous(memory_format=torch.channels_last)
        with self._autocast():
            fake = m.g(self.spec.to_input(latent)).float()  # (B, 1, 28, 28)

        # D phase: max_D V(D, G) (and Q, per the routing)
        self.opt_d.zero_grad(set_to_none=True)
        d = self._d_phase(x_real, fake.detach(), latent)
        self._objective(d).backward()
        self.opt_d.step()
        # copied out now: under CUDA graphs the G phase's replay may overwrite the D phase's output buffers
        d_stats = torch.stack([d["adv"].detach().float(), d["d_real"], d["d_fake"]])  # (3,)

        # G phase: min_G V(D, G) - lambda L_I(G, Q)
        self.opt_g.zero_grad(set_to_none=True)
        g = self._g_phase(fake, latent, d.get("features"))
        self._objective(g).backward()
        self.opt_g.step()
        self.step += 1
        return torch.stack(
            [d_stats[0], g["adv"].detach().float(), g["li_cat"].float(), g["li_cont"].float(), d_stats[1], d_stats[2]]
        )  # (len(METRICS),)

    # ----------------------------------------------------------------- the loop
    def train(self, steps: int | None = None) -> History:
        """Train until `config.steps` (or for `steps` more steps). Safe against Ctrl-C, SIGTERM, NaN."""
        cfg = self.config
        target = self.step + steps if steps is not None else cfg.steps
        if target <= self.step:
            return self.history
        buf = torch.zeros(cfg.log_every, len(METRICS), device=self.device)  # per-step metrics, on device
        # windows end at multiples of log_every, so a resumed run logs at the same steps
        n_in_buf = 0
        bar = None
        if self.progress is True:
            from tqdm.auto import tqdm

            bar = tqdm(total=target, initial=self.step, desc=f"InfoGAN [{cfg.preset}]", unit="step")
        started = time.perf_counter() - self.train_seconds
        with StopRequests() as stop:
            try:
                while self.step < target and not stop.requested:
                    t0 = time.perf_counter() if self.step == 0 and self.fast["compile"] else None
                    buf[n_in_buf] = self.train_step()
                    n_in_buf += 1
                    if t0 is not None:
                        self.compile_seconds = time.perf_counter() - t0
                    if self.step % cfg.log_every == 0 or self.step == target or stop.requested:
                        self._flush(buf[:n_in_buf], time.perf_counter() - started)  # the one host sync
                        n_in_buf = 0
                        if bar is not None:
                            bar.n = self.step
                            bar.set_postfix(L_I=f"{self.history.li_cat[-1]:.3f}", refresh=False)
                            bar.refresh()
                    if self.step % cfg.eval_every == 0 or self.step == target:
                        accuracy = self.evaluate_now() if self.test_images is not None else None
                        if self.progress == "lines":
                            self._print_line(target, accuracy, time.perf_counter() - started)
                    if self.out_dir is not None and (
                        self.step % cfg.ckpt_every == 0 or self.step == target or stop.requested
                    ):
                        self.train_seconds = time.perf_counter() - started
                        self.save(self.out_dir / "checkpoint.pt")
            finally:
                if bar is not None:
                    bar.close()
        self.train_seconds = time.perf_counter() - started
        if stop.requested:
            saved = self.out_dir / "checkpoint.pt" if self.out_dir is not None else None
            raise interrupted(stop.requested, self.step, saved and f"checkpoint saved to {saved}")
        return self.history

    def _print_line(self, target: int, accuracy: float | None, wall: float) -> None:
        h = self.history
        parts = [f"D loss {h.loss_d[-1]:.3f}", f"G loss {h.loss_g[-1]:.3f}"]
        if self.config.lambda_cat > 0:  # with lambda_cat = 0 nothing trains Q's categorical output
            parts.append(f"L_I(c1) {h.li_cat[-1]:.3f} nats")
        if accuracy is not None:
            parts.append(f"test accuracy {accuracy:.3f}")
        print(f"step {self.step:5d} of {target}: {', '.join(parts)} · {wall / 60:.1f} min")

    def _flush(self, window: torch.Tensor, wall: float) -> None:
        values = window.cpu()  # (n, len(METRICS)): the host sync
        problem = self.non_finite(values)
        if problem:
            raise NonFiniteLossError(
                f"{problem}. Lower the learning rates (lr_d, lr_g) or lambda, or check the input data for NaNs."
            )
        self.log_window(values, wall)

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
            return f"the last good checkpoint is {last} (step {self._saved_step(last)})"
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
        """Everything needed to continue exactly: weights, optimisers, RNG states, history."""
        rng = {
            "torch": torch.get_rng_state(),
            "latent": self.latent_rng.get_state(),
            "augment": self.augment_rng.get_state(),
            "batcher": self.batcher.state_dict(),
        }
        if torch.cuda.is_available():
            rng["cuda"] = torch.cuda.get_rng_state_all()
        return {
            "format": FORMAT,
            "version": __version__,
            "architecture": self.model.architecture(),
            "config": self.config.to_dict(),
            "step": self.step,
            "train_seconds": self.train_seconds,
            "model": self.model.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "rng": rng,
            "history": self.history.to_dict(),
        }

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

    @staticmethod
    def _saved_step(path: Path) -> int | str:
        try:
            return int(load_file(path)["step"])
        except CheckpointError:
            return "unknown"

    def load_state(self, ckpt: dict[str, Any], path: str | Path = "checkpoint") -> None:
        check_architecture(self.model.architecture(), ckpt["architecture"], path)
        try:  # a damaged or hand-made state (missing keys, wrong types) is one CheckpointError, not a traceback
            self.model.load_state_dict(ckpt["model"])
            self.opt_d.load_state_dict(ckpt["opt_d"])
            self.opt_g.load_state_dict(ckpt["opt_g"])
            torch.set_rng_state(ckpt["rng"]["torch"])
            self.latent_rng.set_state(ckpt["rng"]["latent"])
            if "augment" in ckpt["rng"]:  # checkpoints from before the invariance term have none
                self.augment_rng.set_state(ckpt["rng"]["augment"])
            self.batcher.load_state_dict(ckpt["rng"]["batcher"])
            if "cuda" in ckpt["rng"] and self.device.type == "cuda":
                torch.cuda.set_rng_state_all(ckpt["rng"]["cuda"])
            self.step = int(ckpt["step"])
            self.train_seconds = float(ckpt.get("train_seconds", 0.0))
            self.history = History.from_dict(ckpt["history"])
        except (RuntimeError, ValueError, KeyError, TypeError, AttributeError) as e:
            why = (str(e).splitlines() or [type(e).__name__])[0]
            raise CheckpointError(f"{path}: its state does not fit this trainer ({why})") from None

    @classmethod
    def resume(
        cls,
        path: str | Path,
        images: np.ndarray | torch.Tensor,
        test_images: np.ndarray | torch.Tensor | None = None,
        test_labels: np.ndarray | None = None,
        out_dir: str | Path | None = None,
        progress: bool = True,
        **overrides: object,
    ) -> Trainer:
        """Rebuild a trainer from a checkpoint (config, weights, optimisers, RNG) to continue it."""
        ckpt = load_file(path)
        config = TrainConfig.from_dict(ckpt["config"]).replace(**overrides)
        trainer = cls(config, images, test_images, test_labels, out_dir=out_dir or Path(path).parent, progress=progress)
        trainer.load_state(ckpt, path)
        return trainer
