"""Random digit-preserving transformations T(x), for a whole batch at once on its device.

A digit stays the same digit when it is shifted by a pixel or two, turned a little, or drawn a little larger or
smaller. `random_affine` draws one such transformation per image and applies all of them in one call: each
image's 2 x 3 affine matrix goes to `F.affine_grid`, and `F.grid_sample` reads the image at the moved pixel
positions (bilinear). No Python loop over images, no copy to the host.

The parts are named, so that a study can switch them off one at a time (`parts=("shift",)` is shifts only):

* ``shift``: up to `max_shift` pixels in x and in y, independently;
* ``rotate``: up to `max_degrees` either way;
* ``scale``: by a factor within 1 +- `max_scale`.

Images are in [-1, 1] with a background of -1 (`to_float_images`); pixels moved in from outside the picture are
background, not grey.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

__all__ = ["PARTS", "affine", "random_affine"]

PARTS = ("shift", "rotate", "scale")


def random_affine(
    x: torch.Tensor,
    generator: torch.Generator,
    parts: Sequence[str] = PARTS,
    max_shift: float = 2.0,
    max_degrees: float = 15.0,
    max_scale: float = 0.1,
) -> torch.Tensor:
    """T(x) for a batch x of shape (B, C, H, W) in [-1, 1]: each image shifted, rotated and scaled at random.

    Each amount is drawn uniformly from its range, from `generator` (on x's device), so a run that saves the
    generator's state resumes the same transformations. `parts` chooses which of shift, rotate and scale apply.
    """
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        raise ValueError(f"unknown transformation part(s) {unknown}: choose from {PARTS}")
    if x.dim() != 4:
        raise ValueError(f"random_affine expects images of shape (B, C, H, W), got {tuple(x.shape)}")
    b, _, h, w = x.shape

    def uniform(half_width: float, on: bool) -> torch.Tensor:  # (B,) in [-half_width, half_width], 0 when off
        u = torch.rand(b, generator=generator, device=x.device, dtype=x.dtype) * 2 - 1
        return u * half_width if on else torch.zeros_like(u)

    # the draws happen whatever `parts` says, so switching a part off leaves the other parts' amounts unchanged
    angle = uniform(math.radians(max_degrees), "rotate" in parts)  # (B,)
    scale = 1 + uniform(max_scale, "scale" in parts)  # (B,)
    shift_x = uniform(max_shift, "shift" in parts)  # (B,) pixels
    shift_y = uniform(max_shift, "shift" in parts)
    return affine(x, angle, scale, shift_x, shift_y)


def affine(
    x: torch.Tensor, angle: torch.Tensor, scale: torch.Tensor, shift_x: torch.Tensor, shift_y: torch.Tensor
) -> torch.Tensor:
    """Each image of x (B, C, H, W) in [-1, 1] turned by `angle[i]` radians (clockwise as displayed, y pointing
    down), scaled by `scale[i]` about the centre, then moved by `shift_x[i]`, `shift_y[i]` pixels (right, down).
    Every amount has shape (B,)."""
    b, _, h, w = x.shape
    # affine_grid maps each output position to the input position it reads, in grid units where the picture
    # spans [-1, 1]: the inverse of the transformation goes in. Content turned by +angle and scaled by s is read
    # at R(-angle) / s; content moved by +t pixels is read at -t pixels, 2 / size grid units per pixel.
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale  # (B,) each
    tx = (cos * shift_x * 2 / w + sin * shift_y * 2 / h)  # (B,): R(-angle) / s applied to the shift
    ty = (-sin * shift_x * 2 / w + cos * shift_y * 2 / h)
    theta = torch.stack([torch.stack([cos, sin, -tx], 1), torch.stack([-sin, cos, -ty], 1)], 1)  # (B, 2, 3)
    grid = F.affine_grid(theta, [b, x.shape[1], h, w], align_corners=False)  # (B, H, W, 2)
    # pixels read from outside the picture are zero: shift the background (-1) to 0 before sampling, back after
    moved = F.grid_sample(x + 1, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return moved - 1
