"""2-D toy distributions for watching mode collapse: Gaussian mixtures on a ring and on a grid.

Both are equal-weight mixtures of isotropic Gaussians with known centres, so a generator's samples
can be scored exactly with :func:`mode_coverage`.

Scoring rule (the one used in the GAN literature for these toys, e.g. VEEGAN and unrolled GANs):

* each sample is assigned to its **nearest** centre;
* it is **high quality** if it lies within ``threshold_sigmas * std`` of that centre
  (for a 2-D Gaussian, 98.9% of true samples fall within 3 std);
* a mode is **covered** if at least ``min_count`` high-quality samples landed on it.
  By default ``min_count`` is a tenth of the count a perfectly balanced generator would give it,
  ``ceil(0.1 * n_samples / n_modes)`` (at least 1), so a few stray samples do not count as a mode.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = [
    "grid_centres",
    "grid_of_gaussians",
    "mode_counts",
    "mode_coverage",
    "ring_centres",
    "ring_of_gaussians",
]


def ring_centres(modes: int = 8, radius: float = 2.0) -> Tensor:
    """Centres of ``modes`` Gaussians evenly spaced on a circle, the first on the +x axis: (modes, 2)."""
    angles = torch.arange(modes, dtype=torch.float64) * (2 * math.pi / modes)
    return (radius * torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)).float()  # (modes, 2)


def grid_centres(side: int = 5, spacing: float = 2.0) -> Tensor:
    """Centres of a ``side`` x ``side`` grid centred on the origin, row by row: (side**2, 2)."""
    coords = (torch.arange(side, dtype=torch.float32) - (side - 1) / 2) * spacing  # (side,)
    ys, xs = torch.meshgrid(coords, coords, indexing="ij")
    return torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=1)  # (side * side, 2)


def _mixture(n: int, centres: Tensor, std: float, generator: torch.Generator | None) -> Tensor:
    """``n`` samples from an equal-weight mixture of isotropic Gaussians at ``centres``."""
    which = torch.randint(centres.shape[0], (n,), generator=generator)  # (n,)
    noise = torch.randn(n, 2, generator=generator) * std  # (n, 2)
    return centres[which] + noise  # (n, 2)


def ring_of_gaussians(
    n: int,
    generator: torch.Generator | None = None,
    modes: int = 8,
    radius: float = 2.0,
    std: float = 0.02,
) -> Tensor:
    """``n`` float32 samples (n, 2) from ``modes`` Gaussians on a ring (see :func:`ring_centres`)."""
    return _mixture(n, ring_centres(modes, radius), std, generator)


def grid_of_gaussians(
    n: int,
    generator: torch.Generator | None = None,
    side: int = 5,
    spacing: float = 2.0,
    std: float = 0.05,
) -> Tensor:
    """``n`` float32 samples (n, 2) from ``side**2`` Gaussians on a grid (see :func:`grid_centres`)."""
    return _mixture(n, grid_centres(side, spacing), std, generator)


def mode_counts(samples: Tensor, centres: Tensor, std: float, threshold_sigmas: float = 3.0) -> Tensor:
    """Number of high-quality samples per mode, int64 (n_modes,); the rule is in the module doc."""
    samples = torch.as_tensor(samples, dtype=torch.float32).reshape(-1, 2)  # (n, 2)
    centres = torch.as_tensor(centres, dtype=torch.float32).to(samples.device)  # (K, 2)
    dist = torch.cdist(samples, centres)  # (n, K)
    nearest_dist, nearest = dist.min(dim=1)  # (n,), (n,)
    good = nearest_dist <= threshold_sigmas * std
    return torch.bincount(nearest[good], minlength=centres.shape[0])  # (K,)


def mode_coverage(
    samples: Tensor,
    centres: Tensor,
    std: float,
    threshold_sigmas: float = 3.0,
    min_count: int | None = None,
) -> tuple[int, float]:
    """Score samples of a 2-D generator against a known mixture.

    Returns:
        ``(n_covered, fraction_high_quality)``: how many modes received at least ``min_count``
        high-quality samples, and the fraction of all samples that are high quality.
    """
    counts = mode_counts(samples, centres, std, threshold_sigmas)  # (K,)
    n = int(torch.as_tensor(samples).reshape(-1, 2).shape[0])
    if min_count is None:
        min_count = max(1, math.ceil(0.1 * n / counts.shape[0]))
    n_covered = int((counts >= min_count).sum())
    fraction = float(counts.sum()) / n if n else 0.0
    return n_covered, fraction
