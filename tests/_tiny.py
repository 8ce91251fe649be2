"""A tiny, fast training set-up shared by the trainer tests (random uint8 "images")."""

import numpy as np

from infogan_edu.config import get_preset


def tiny_data(n: int = 96, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8), rng.integers(0, 10, size=n).astype(np.uint8)


def tiny_config(**overrides):
    base = dict(width=0.125, batch_size=16, steps=6, log_every=2, eval_every=3, ckpt_every=3, device="cpu")
    base.update(overrides)
    return get_preset("cpu", **base)


def sigterm_at(trainer, step: int) -> None:
    """Make `trainer` (a Trainer or MultiSeedTrainer) send itself SIGTERM once it has done `step` steps."""
    import os
    import signal

    real_step = trainer.train_step

    def step_then_signal():
        out = real_step()
        if trainer.step == step:
            os.kill(os.getpid(), signal.SIGTERM)
        return out

    trainer.train_step = step_then_signal
