"""Seeds as an axis: K InfoGANs trained at once, each exactly as `Trainer` would train it alone.

InfoGAN's categorical code follows the digits in some seeds and not in others, so one run says little. This
module trains K seeds in one process. Each seed keeps what makes it that seed: its own initialisation
(`torch.manual_seed(seed)` before the model is built), its own order of real batches and its own latents. Only
the arithmetic is shared: every parameter, BatchNorm buffer and Adam moment is stacked along a leading K axis,

    theta_k  (the k-th seed's tensor, shape S)   ->   Theta  (shape (K, *S)),   Theta[k] = theta_k,

and each forward pass is `torch.func.vmap` over that axis of `functional_call` on the ordinary `models.InfoGAN`,
so the architecture is written once, in `models`. The step itself is `Trainer.d_phase` and `Trainer.g_phase`,
called per seed under `vmap`; the losses are the ones `Trainer` uses, not a copy.

Why one Adam over stacked parameters is K independent Adams: Adam's update is elementwise,

    m <- b1 m + (1 - b1) g,   v <- b2 v + (1 - b2) g^2,   theta <- theta - lr m_hat / (sqrt(v_hat) + eps),

and the gradient of sum_k L_k(theta_k) with respect to Theta[k] is dL_k/dtheta_k, because L_k reads only its
own slice. So slice k of the stacked update is the update seed k's own Adam would make (`tests/test_multiseed.py`
checks both facts).

BatchNorm: `vmap` refuses to write a batched value into an *unbatched* buffer, which is why vmapped training often
turns running statistics off and recomputes them after training (as `torch.optim.swa_utils.update_bn` does). Here
the buffers are stacked and passed to `functional_call` like the parameters, so each seed's running mean and
variance are batched tensors and BatchNorm updates its own slice in place, at the same moments as in `Trainer`.
No recomputation is needed, and the evaluated models are the ones a single-seed run would give.

On disk every seed is an ordinary `Trainer` checkpoint in OUT/seed-S/checkpoint.pt (weights, both Adams, RNG
states, history), so `Trainer.resume`, `python -m infogan_edu eval/export`, `load_pretrained`-style loading and
the explorer all work on one seed of a multi-seed run, and `MultiSeedTrainer.resume` stacks them again.

A seed whose loss becomes NaN or infinite is stopped, not the run: its slice is independent of the others (no
operation mixes seeds), so the other seeds train on unchanged. Its folder keeps its last good checkpoint, and
`failed` records the step and the message. Only when every seed has failed does training raise
`NonFiniteLossError`. Ctrl-C and SIGTERM stop after the current step and save every live seed, as in `Trainer`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, vmap

from .checkpoint import CheckpointError, load_file
from .config import TrainConfig, pick_device
from .history import History
from .latent import Latent
from .loop import Progress, run
from .train import NonFiniteLossError, Trainer

__all__ = ["MultiSeedTrainer", "parse_seeds", "SEED_DIR"]

SEED_DIR = "seed-{}"


def _seed_dir(out_dir: str | Path | None, seed: int) -> Path | None:
    return Path(out_dir) / SEED_DIR.format(seed) if out_dir is not None else None


def parse_seeds(text: str | Sequence[int]) -> list[int]:
    """`"0-7"`, `"0,3,5"`, `"0-3,8"` or a list of ints to a list of distinct seeds, in order.

    >>> parse_seeds("0-3,8")
    [0, 1, 2, 3, 8]
    """
    if isinstance(text, str):
        seeds: list[int] = []
        for part in text.replace(" ", "").split(","):
            m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
            if m is None:
                raise ValueError(f"seeds {text!r}: write them as 0-7, 0,3,5 or 0-3,8 (non-negative integers)")
            lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
            if hi < lo:
                raise ValueError(f"seeds {text!r}: the range {part} runs backwards; write it as {hi}-{lo}")
            seeds.extend(range(lo, hi + 1))
    else:
        seeds = list(text)
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, int) or s < 0:
            raise ValueError(f"every seed must be a non-negative int, got {s!r}")
    if len(seeds) < 1:
        raise ValueError("at least one seed is needed (K >= 1)")
    repeated = sorted({s for s in seeds if seeds.count(s) > 1})
    if repeated:
        raise ValueError(f"seeds {repeated} appear more than once; each seed would train the same model twice")
    return seeds


class _Apply(nn.Module):
    """`functional_call` calls `forward`; this one runs any function of the wrapped model, so that the
    trainer's phases (which use `model.g`, `model.d` and `model.q_head`) run with one seed's tensors swapped in."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, fn: Callable[..., Any], *args: Any) -> Any:
        return fn(*args)


class MultiSeedTrainer:
    """Trains one InfoGAN per seed in `seeds`, stacked and vmapped (module docstring). Same arguments as
    `Trainer`, plus `seeds`; `config.seed` is ignored. `trainers[k]` is seed k's own `Trainer`: it holds the
    seed's batcher, latent RNG, history and (after `sync()`) its weights and Adam states.

    >>> mst = MultiSeedTrainer(get_preset("cpu"), [0, 1, 2], x_train, x_test, y_test, out_dir="runs/cpu-k3")
    >>> histories = mst.train()
    """

    def __init__(
        self,
        config: TrainConfig,
        seeds: Sequence[int] | str,
        images: np.ndarray | torch.Tensor,
        test_images: np.ndarray | torch.Tensor | None = None,
        test_labels: np.ndarray | None = None,
        out_dir: str | Path | None = None,
        progress: Progress = True,
    ):
        seeds = parse_seeds(seeds)
        if config.lambda_invariance > 0:
            raise ValueError(
                "lambda_invariance > 0 is not implemented for several seeds at once (--seeds); train each seed "
                "with its own run (--seed S), as benchmarks/seed_study.py --set lambda_invariance=... does"
            )
        # vmap replaces the fast path's channels-last layout and compiled phases (see `resolve_fast_path`)
        base = config.replace(channels_last=False, compile=False)
        # one uint8 copy of the data on the device, shared by every seed's batcher
        shared = torch.as_tensor(images).to(pick_device(base.device))
        trainers = [
            Trainer(
                base.replace(seed=s), shared, test_images, test_labels, out_dir=_seed_dir(out_dir, s), progress=False
            )
            for s in seeds
        ]
        self._adopt(base, seeds, trainers, out_dir, progress)

    def _adopt(
        self,
        config: TrainConfig,
        seeds: list[int],
        trainers: list[Trainer],
        out_dir: str | Path | None,
        progress: Progress,
    ) -> None:
        self.config, self.seeds, self.trainers, self.progress = config, seeds, trainers, progress
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.device, self.spec = trainers[0].device, trainers[0].spec
        self.template = _Apply(trainers[0].model)
        self.failed: dict[int, str] = {}  # seed -> what happened, for seeds stopped by a NaN
        self._stack()

    # ------------------------------------------------------------ stacking
    def _stack(self) -> None:
        """Stack every seed's parameters, buffers and Adam states along a new leading K axis."""
        models = [t.model for t in self.trainers]
        names = [n for n, _ in models[0].named_parameters()]
        self.params = {
            n: torch.stack([dict(m.named_parameters())[n].detach() for m in models]).requires_grad_() for n in names
        }  # each (K, *shape)
        self.buffers = {
            n: torch.stack([dict(m.named_buffers())[n] for m in models]) for n in dict(models[0].named_buffers())
        }
        # the optimisers hold the same parameter groups, in the same order, as each Trainer's (Q's head in D's or
        # G's Adam, per `config.q_optimizer`)
        by_id = {id(p): n for n, p in models[0].named_parameters()}
        self.opt_names: dict[str, list[str]] = {}
        self.opts: dict[str, torch.optim.Adam] = {}
        for key in ("opt_d", "opt_g"):
            single: torch.optim.Adam = getattr(self.trainers[0], key)
            order = [by_id[id(p)] for p in single.param_groups[0]["params"]]
            self.opt_names[key] = order
            group = {k: v for k, v in single.param_groups[0].items() if k != "params"}
            opt = torch.optim.Adam([self.params[n] for n in order], **group)
            states = [getattr(t, key).state_dict()["state"] for t in self.trainers]
            if states[0]:  # resumed: stack the seeds' Adam moments
                steps = {float(s[i]["step"]) for s in states for i in s}
                if len(steps) != 1:
                    raise CheckpointError(f"the seeds' Adam states are at different steps {sorted(steps)}")
                stacked = {
                    i: {
                        "step": states[0][i]["step"].clone(),
                        "exp_avg": torch.stack([s[i]["exp_avg"] for s in states]),
                        "exp_avg_sq": torch.stack([s[i]["exp_avg_sq"] for s in states]),
                    }
                    for i in states[0]
                }
                opt.load_state_dict({"state": stacked, "param_groups": opt.state_dict()["param_groups"]})
            self.opts[key] = opt
        self.step = self.trainers[0].step

    def sync(self) -> None:
        """Copy each seed's slice of the stacked tensors back into its own `Trainer` (model and both Adams)."""
        with torch.no_grad():
            for k, t in enumerate(self.trainers):
                own_p, own_b = dict(t.model.named_parameters()), dict(t.model.named_buffers())
                for n, v in self.params.items():
                    own_p[n].copy_(v[k])
                for n, v in self.buffers.items():
                    own_b[n].copy_(v[k])
                for key, opt in self.opts.items():
                    state = {
                        i: {
                            "step": s["step"].clone(),
                            "exp_avg": s["exp_avg"][k].clone(),
                            "exp_avg_sq": s["exp_avg_sq"][k].clone(),
                        }
                        for i, s in enumerate(opt.state[p] for p in opt.param_groups[0]["params"])
                        if s
                    }
                    single = getattr(t, key)
                    single.load_state_dict({"state": state, "param_groups": single.state_dict()["param_groups"]})
                t.step = self.step

    # ----------------------------------------------------------- one step
    def _per_seed(self, fn: Callable[..., Any], *args: Any) -> Any:
        """fn(*args) for every seed at once: slice k of each argument with seed k's parameters and buffers."""
        state = {f"model.{n}": v for n, v in {**self.params, **self.buffers}.items()}

        def one(state_k: dict[str, torch.Tensor], *args_k: Any) -> Any:
            return functional_call(self.template, state_k, (fn, *args_k), strict=True)

        return vmap(one, randomness="error")(state, *args)

    def train_step(self) -> torch.Tensor:
        """One D update and one G update for every seed. Returns the metrics, (K, len(METRICS)), on the device."""
        t0 = self.trainers[0]
        x_real = torch.stack([t.batcher.next() for t in self.trainers])  # (K, B, C, H, W)
        drawn = [t.spec.sample(x_real.shape[1], t.latent_rng, self.device) for t in self.trainers]
        latent = Latent(*(torch.stack(parts) for parts in zip(*drawn, strict=True)))  # z: (K, B, noise), ...
        g_input = self.spec.to_input(Latent(*(v.flatten(0, 1) for v in latent)))  # (K * B, input_dim)
        g_input = g_input.view(len(self.seeds), x_real.shape[1], -1)  # (K, B, input_dim)
        with t0.autocast():
            fake = self._per_seed(lambda inp: t0.model.g(inp), g_input).float()  # (K, B, C, H, W)

        # D phase: each seed's L_D, summed; the sum's gradient on slice k is seed k's own gradient
        opt_d, opt_g = self.opts["opt_d"], self.opts["opt_g"]
        opt_d.zero_grad(set_to_none=True)
        d = self._per_seed(t0.d_phase, x_real, fake.detach(), latent)  # each value (K,)
        t0.objective(d).sum().backward()
        opt_d.step()
        d_stats = torch.stack([d["adv"].detach().float(), d["d_real"], d["d_fake"]])  # (3, K)

        # G phase
        opt_g.zero_grad(set_to_none=True)
        g = self._per_seed(t0.g_phase, fake, latent)
        t0.objective(g).sum().backward()
        opt_g.step()
        self.step += 1
        for t in self.trainers:
            t.step = self.step
        return torch.stack(
            [d_stats[0], g["adv"].detach().float(), g["li_cat"].float(), g["li_cont"].float(), d_stats[1], d_stats[2]],
            dim=1,
        )  # (K, len(METRICS))

    # ----------------------------------------------------------- the loop
    def train(self, steps: int | None = None) -> dict[int, History]:
        """Train every seed to `config.steps` (or `steps` more), by `loop.run`. Returns each seed's `History`."""
        run(self, steps, self.progress)
        if len(self.failed) == len(self.seeds):
            raise NonFiniteLossError("every seed stopped on a NaN or infinite loss: " + "; ".join(self.failed.values()))
        return {s: t.history for s, t in zip(self.seeds, self.trainers, strict=True)}

    @property
    def train_seconds(self) -> float:
        """Training time so far: the seeds still training share it (a seed stopped by a NaN keeps its own)."""
        return max(t.train_seconds for t in self.trainers)

    @train_seconds.setter
    def train_seconds(self, seconds: float) -> None:
        for t in self.live():
            t.train_seconds = seconds

    def describe(self) -> str:
        return f"InfoGAN x{len(self.seeds)} [{self.config.preset}]"

    def report(self) -> str:
        """The median over the live seeds of the last window's L_I, and the range of their test accuracy if it was
        scored at this step."""
        live = self.live()
        if not live:
            return "every seed stopped"
        if not live[0].history.step:
            return f"{len(live)} seeds, no logging window yet"
        parts = [f"{len(live)} seeds", f"median L_I(c1) {np.median([t.history.li_cat[-1] for t in live]):.3f} nats"]
        scored = [t.history.accuracy[-1] for t in live if t.history.eval_step and t.history.eval_step[-1] == self.step]
        if scored:
            parts.append(f"test accuracy {min(scored):.3f} to {max(scored):.3f}")
        return ", ".join(parts)

    def checkpoint(self, evaluate: bool, save: bool) -> None:
        evaluate = evaluate and self.trainers[0].test_images is not None
        save = save and self.out_dir is not None
        if evaluate or save:
            self.sync()
            for t in self.live():
                t.checkpoint(evaluate, save)

    def finished_early(self) -> bool:
        return len(self.failed) == len(self.seeds)

    def saved_to(self) -> str | None:
        return f"each seed's checkpoint saved in {self.out_dir}" if self.out_dir is not None else None

    def live(self) -> list[Trainer]:
        """The seeds still training (not stopped by a NaN)."""
        return [t for s, t in zip(self.seeds, self.trainers, strict=True) if s not in self.failed]

    def flush(self, window: torch.Tensor, wall: float) -> None:
        """Append each live seed's window means to its history; stop the seeds whose metrics are not finite."""
        values = window.cpu()  # (n, K, len(METRICS)): the host sync
        for k, (seed, t) in enumerate(zip(self.seeds, self.trainers, strict=True)):
            if seed in self.failed:
                continue
            problem = t.non_finite(values[:, k])  # this seed's window, (n, len(METRICS))
            if problem:
                self.failed[seed] = f"seed {seed}: {problem}"
            else:
                t.log_window(values[:, k], wall)

    # ------------------------------------------------------------ on disk
    def summary(self) -> list[dict[str, Any]]:
        """One row per seed: final test accuracy, NMI and L_I, or what stopped it."""
        rows = []
        for seed, t in zip(self.seeds, self.trainers, strict=True):
            h = t.history
            rows.append(
                {
                    "seed": seed,
                    "steps": h.step[-1] if h.step else 0,
                    "test_accuracy": h.accuracy[-1] if h.accuracy else None,
                    "nmi": h.nmi[-1] if h.nmi else None,
                    "li_cat_final": h.li_cat[-1] if h.li_cat else None,
                    "failed": self.failed.get(seed),
                    "checkpoint": str(t.out_dir / "checkpoint.pt") if t.out_dir is not None else None,
                }
            )
        return rows

    def write_summary(self) -> Path:
        """OUT/seeds.json and OUT/seeds.md: the table of every seed."""
        if self.out_dir is None:
            raise ValueError("this trainer has no output folder; pass out_dir to write the summary")
        rows = self.summary()
        (self.out_dir / "seeds.json").write_text(json.dumps(rows, indent=2) + "\n")
        lines = ["| seed | steps | test accuracy | NMI | final L_I (nats) | note |", "|---|---|---|---|---|---|"]
        fmt = lambda v: "n/a" if v is None else f"{v:.4f}"  # noqa: E731
        for r in rows:
            note = r["failed"] or ""
            lines.append(
                f"| {r['seed']} | {r['steps']} | {fmt(r['test_accuracy'])} | {fmt(r['nmi'])} | "
                f"{fmt(r['li_cat_final'])} | {note} |"
            )
        path = self.out_dir / "seeds.md"
        path.write_text("\n".join(lines) + "\n")
        return path

    @classmethod
    def resume(
        cls,
        out_dir: str | Path,
        images: np.ndarray | torch.Tensor,
        test_images: np.ndarray | torch.Tensor | None = None,
        test_labels: np.ndarray | None = None,
        progress: Progress = True,
        **overrides: object,
    ) -> MultiSeedTrainer:
        """Continue a multi-seed run from OUT/seed-*/checkpoint.pt (every seed must be at the same step)."""
        out_dir = Path(out_dir)
        folders = sorted(out_dir.glob("seed-*/checkpoint.pt"), key=lambda p: int(p.parent.name.split("-")[1]))
        if not folders:
            raise CheckpointError(f"no seed-*/checkpoint.pt under {out_dir}: check the folder, or start a new run")
        ckpts = [load_file(p) for p in folders]
        seeds = [int(c["config"]["seed"]) for c in ckpts]
        steps = {int(c["step"]) for c in ckpts}
        if len(steps) != 1:
            raise CheckpointError(
                f"the seeds under {out_dir} stopped at different steps {sorted(steps)} (a seed stopped on a NaN "
                "keeps an earlier checkpoint): resume the seeds you want one by one with `python -m infogan_edu "
                "train --out OUT/seed-S --resume`, or move the stopped seed's folder away"
            )
        config = TrainConfig.from_dict({**ckpts[0]["config"], "seed": 0}).replace(**overrides)
        config = config.replace(channels_last=False, compile=False)
        shared = torch.as_tensor(images).to(pick_device(config.device))
        trainers = []
        for seed, ckpt, path in zip(seeds, ckpts, folders, strict=True):
            t = Trainer(
                config.replace(seed=seed), shared, test_images, test_labels, out_dir=path.parent, progress=False
            )
            t.load_state(ckpt, path)
            trainers.append(t)
        mst = cls.__new__(cls)
        mst._adopt(config, seeds, trainers, out_dir, progress)
        return mst
