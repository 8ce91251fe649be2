"""Fast random batches from a dataset that lives on the device as one uint8 tensor.

MNIST is 47 MB as uint8, so the whole training set fits on any GPU (and in RAM).  Drawing a batch
is then one random index tensor, one gather and one conversion to float in [-1, 1]: no
``DataLoader``, no worker processes, no Python loop over samples.  The float copy exists only for
the current batch, so memory stays at 1 byte per pixel.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike
from torch import Tensor

__all__ = ["TensorBatcher", "to_float_images", "to_uint8_images"]


def _as_uint8_images(images: ArrayLike | Tensor) -> Tensor:
    """uint8 images as a (N, C, H, W) tensor; (N, H, W) gains a channel axis (no copy when possible)."""
    u8 = images if isinstance(images, Tensor) else torch.from_numpy(np.ascontiguousarray(images))
    if u8.dtype != torch.uint8:
        raise TypeError(f"images must be uint8 (got {u8.dtype}); keep the data as 0..255 bytes")
    if u8.ndim == 3:
        u8 = u8.unsqueeze(1)  # (N, 1, H, W)
    if u8.ndim != 4:
        raise ValueError(f"images must have shape (N, H, W) or (N, C, H, W), got {tuple(u8.shape)}")
    return u8


def to_float_images(
    images: ArrayLike | Tensor, pixel_max: float = 255.0, device: str | torch.device | None = None
) -> Tensor:
    """Convert uint8 images (N, H, W) or (N, C, H, W) to float32 (N, C, H, W) in [-1, 1].

    ``pixel_max`` is the value that maps to +1 (255 for MNIST, 1 for binary Shapes images).
    """
    u8 = _as_uint8_images(images)
    if device is not None:
        u8 = u8.to(device)
    return u8.float().div_(pixel_max / 2).sub_(1)  # (N, C, H, W)


def to_uint8_images(x: Tensor, pixel_max: float = 255.0) -> Tensor:
    """Inverse of :func:`to_float_images`: float images in [-1, 1] to uint8 (values are clamped)."""
    return x.detach().add(1).mul_(pixel_max / 2).round_().clamp_(0, pixel_max).to(torch.uint8)


class TensorBatcher:
    """An endless stream of random batches from uint8 images held on ``device``.

    Args:
        images: uint8 (N, H, W) or (N, C, H, W), numpy or torch.
        labels: optional integer labels (N,); then each batch is ``(x, y)`` instead of ``x``.
        batch_size: examples per batch.
        device: where the data, the random generator and the batches live.
        seed: seed of the batcher's own ``torch.Generator`` (the global RNG is untouched).
        replacement: ``True`` draws each batch independently (``torch.randint``); ``False`` walks a
            fresh permutation per epoch (``torch.randperm``) and drops the last incomplete batch.
        pixel_max: the uint8 value that maps to +1 (255 for MNIST; 1 for Shapes images in {0, 1}).

    Batches are float32 (B, C, H, W) in [-1, 1].  Use ``batcher.next()``, ``next(batcher)`` or
    ``for x in batcher`` (endless: stop it yourself).  :meth:`state_dict` / :meth:`load_state_dict`
    capture the random state so that a resumed run draws the same batches.
    """

    def __init__(
        self,
        images: ArrayLike | Tensor,
        labels: ArrayLike | Tensor | None = None,
        batch_size: int = 128,
        device: str | torch.device = "cpu",
        seed: int = 0,
        *,
        replacement: bool = True,
        pixel_max: float = 255.0,
    ) -> None:
        self.device = torch.device(device)
        self.images = _as_uint8_images(images).to(self.device)  # (N, C, H, W) uint8
        n = self.images.shape[0]
        if n == 0:
            raise ValueError("images is empty")
        self.labels: Tensor | None = None
        if labels is not None:
            y = labels if isinstance(labels, Tensor) else torch.from_numpy(np.asarray(labels))
            self.labels = y.to(self.device, torch.int64).reshape(-1)  # (N,)
            if self.labels.shape[0] != n:
                raise ValueError(f"{n} images but {self.labels.shape[0]} labels")
        if not 0 < batch_size <= n:
            raise ValueError(f"batch_size must be in 1..{n}, got {batch_size}")
        self.batch_size = batch_size
        self.replacement = replacement
        self.pixel_max = float(pixel_max)
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(seed)
        self._perm: Tensor | None = None  # current epoch's order when replacement is False
        self._pos = 0

    @property
    def num_examples(self) -> int:
        """Number of examples held (the stream of batches itself is endless)."""
        return int(self.images.shape[0])

    @property
    def batches_per_epoch(self) -> int:
        """Full batches in one pass over the data."""
        return self.num_examples // self.batch_size

    def _indices(self) -> Tensor:
        n, b = self.num_examples, self.batch_size
        if self.replacement:
            return torch.randint(n, (b,), generator=self.generator, device=self.device)  # (B,)
        if self._perm is None or self._pos + b > n:
            self._perm = torch.randperm(n, generator=self.generator, device=self.device)  # (N,)
            self._pos = 0
        idx = self._perm[self._pos : self._pos + b]  # (B,)
        self._pos += b
        return idx

    def next(self) -> Tensor | tuple[Tensor, Tensor]:
        """One batch: float32 (B, C, H, W) in [-1, 1], plus int64 labels (B,) if labels were given."""
        idx = self._indices()
        x = self.images[idx].float().div_(self.pixel_max / 2).sub_(1)  # (B, C, H, W)
        if self.labels is None:
            return x
        return x, self.labels[idx]

    def __iter__(self) -> TensorBatcher:
        return self

    def __next__(self) -> Tensor | tuple[Tensor, Tensor]:
        return self.next()

    def state_dict(self) -> dict[str, Any]:
        """The random state (generator, current permutation and position), on the CPU."""
        return {
            "generator": self.generator.get_state(),
            "perm": None if self._perm is None else self._perm.cpu(),
            "pos": self._pos,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a state from :meth:`state_dict`; the next batches repeat those drawn after it."""
        self.generator.set_state(state["generator"])
        perm = state.get("perm")
        self._perm = None if perm is None else perm.to(self.device)
        self._pos = int(state.get("pos", 0))
