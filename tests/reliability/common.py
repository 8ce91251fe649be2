"""What every trial shares: its outcome, the tiny training set-up, and patching helpers."""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from infogan_edu.config import TrainConfig, get_preset

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Outcome:
    """One trial: handled when the library did the right thing; lost when data was damaged or foreign code ran."""

    handled: bool
    lost: bool = False
    note: str = ""


def tiny_config(**overrides: object) -> TrainConfig:
    base = dict(width=0.125, batch_size=16, steps=8, log_every=2, eval_every=1000, ckpt_every=2, device="cpu")
    return get_preset("cpu", **{**base, **overrides})


def tiny_images(n: int = 64) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, size=(n, 28, 28), dtype=np.uint8)


@contextlib.contextmanager
def patched(obj: object, name: str, value: object) -> Iterator[None]:
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


@contextlib.contextmanager
def patched_item(mapping: dict, key: str, value: object) -> Iterator[None]:
    old = mapping[key]
    mapping[key] = value
    try:
        yield
    finally:
        mapping[key] = old


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def one_line(text: str) -> bool:
    return bool(text.strip()) and "\n" not in text.strip() and "Traceback" not in text


def same(a: object, b: object) -> bool:
    """Deep equality of loaded checkpoints (tensors bit for bit, NaN equal to NaN)."""
    if isinstance(a, torch.Tensor):
        bits = lambda t: t.contiguous().reshape(-1).view(torch.uint8)  # noqa: E731 (bit for bit: NaN == NaN)
        alike = isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape
        return alike and torch.equal(bits(a), bits(b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))
