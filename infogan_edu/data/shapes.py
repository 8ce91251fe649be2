"""Shapes: a procedural, dSprites-style dataset of 64x64 binary images with known factors.

Every image is one white shape on black, fully described by five factors (dSprites also lists a
``color`` factor with a single value, which changes nothing here):

==============  ======  =========================================================
factor          values  meaning
==============  ======  =========================================================
``shape``       3       0 square, 1 ellipse, 2 heart
``scale``       6       ``linspace(0.5, 1, 6)``, relative to a base half-size of 7 px
``orientation`` 40      ``linspace(0, 2*pi, 40)`` radians, counter-clockwise on screen
``pos_x``       32      ``linspace(0, 1, 32)``, left to right (image column)
``pos_y``       32      ``linspace(0, 1, 32)``, top to bottom (image row)
==============  ======  =========================================================

3 * 6 * 40 * 32 * 32 = 737,280 images, numbered in dSprites order: the last factor (``pos_y``)
varies fastest.  Nothing is stored: any subset is rendered on demand by evaluating each shape's
implicit function ``f(u, v) <= 0`` at every pixel centre near the shape, after undoing the
translation, rotation and scale of the pixel grid.  Rendering is deterministic and vectorised
over images (`benchmarks/data_speed.py` times 10,000 of them; benchmarks/results/data-and-widgets.md).

Positions map [0, 1] onto pixel centres ``MARGIN .. 63 - MARGIN`` so that even the largest
rotated square stays inside the frame.  Like dSprites, orientation 0 and 2*pi are both present
(the same image).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch
from numpy.typing import ArrayLike
from torch import Tensor

__all__ = [
    "IMAGE_SIZE",
    "N_SHAPES",
    "SHAPES_FACTORS",
    "SHAPES_FACTOR_NAMES",
    "SHAPES_SIZES",
    "SHAPE_NAMES",
    "ShapesDataset",
    "draw_shapes",
    "render_shapes",
    "sample_shapes",
    "shapes_factors",
    "shapes_index",
]

IMAGE_SIZE = 64
SHAPE_NAMES = ("square", "ellipse", "heart")
SHAPES_FACTOR_NAMES = ("shape", "scale", "orientation", "pos_x", "pos_y")
SHAPES_FACTORS: dict[str, np.ndarray] = {
    "shape": np.arange(3, dtype=np.float64),
    "scale": np.linspace(0.5, 1.0, 6),
    "orientation": np.linspace(0.0, 2 * np.pi, 40),
    "pos_x": np.linspace(0.0, 1.0, 32),
    "pos_y": np.linspace(0.0, 1.0, 32),
}
SHAPES_SIZES = tuple(len(v) for v in SHAPES_FACTORS.values())  # (3, 6, 40, 32, 32)
# Stride of each factor in the flat index (pos_y fastest): (245760, 40960, 1024, 32, 1).
SHAPES_BASES = tuple(int(np.prod(SHAPES_SIZES[i + 1 :])) for i in range(len(SHAPES_SIZES)))
N_SHAPES = int(np.prod(SHAPES_SIZES))  # 737,280

HALF_SIZE = 7.0  # px: half the side of the square at scale 1 (side 14 px, about 1/4.5 of the image)
RADIUS = math.sqrt(2)  # farthest point of any shape from its centre, in half-sizes (square corner)
MARGIN = math.ceil(RADIUS * HALF_SIZE) + 1  # px: a rotated square of scale 1 still fits
SPAN = IMAGE_SIZE - 1 - 2 * MARGIN  # px between the first and last centre position

ELLIPSE_AXES = (1.3, 0.65)  # semi-axes, in units of the half-size
HEART_SHIFT = 0.118  # moves the heart curve's bounding box centre onto the origin


def shapes_index(
    shape: int | str | ArrayLike, scale: ArrayLike, orientation: ArrayLike, pos_x: ArrayLike, pos_y: ArrayLike
) -> int | np.ndarray:
    """Flat dataset index from factor indices (ints or integer arrays; ``shape`` may be a name).

    Example: ``shapes_index("heart", 5, 0, 31, 31)`` is the largest, upright heart, bottom right.
    """
    if isinstance(shape, str):
        if shape not in SHAPE_NAMES:
            raise ValueError(f"unknown shape {shape!r}; valid shapes are {SHAPE_NAMES}")
        shape = SHAPE_NAMES.index(shape)
    parts = [np.asarray(p, dtype=np.int64) for p in (shape, scale, orientation, pos_x, pos_y)]
    index = np.zeros(np.broadcast(*parts).shape, dtype=np.int64)
    for name, part, size, base in zip(SHAPES_FACTOR_NAMES, parts, SHAPES_SIZES, SHAPES_BASES, strict=True):
        if np.any((part < 0) | (part >= size)):
            raise ValueError(f"{name} index out of range 0..{size - 1}: {part}")
        index = index + part * base
    return int(index) if index.ndim == 0 else index


def _as_index_tensor(indices: ArrayLike | Tensor) -> Tensor:
    index = torch.as_tensor(np.asarray(indices) if not isinstance(indices, Tensor) else indices)
    index = index.to(torch.int64).reshape(-1)  # (N,)
    if index.numel() and (int(index.min()) < 0 or int(index.max()) >= N_SHAPES):
        raise ValueError(f"shape indices must lie in 0..{N_SHAPES - 1}")
    return index


def shapes_factors(indices: ArrayLike | Tensor) -> dict[str, dict[str, Tensor]]:
    """Factor indices and values of flat dataset indices.

    Returns ``{"index": {name: int64 (N,)}, "value": {name: float32 (N,)}}`` for every name in
    :data:`SHAPES_FACTOR_NAMES`; the ``shape`` value is 0, 1 or 2 like its index.
    """
    flat = _as_index_tensor(indices)
    index: dict[str, Tensor] = {}
    value: dict[str, Tensor] = {}
    for name, size, base in zip(SHAPES_FACTOR_NAMES, SHAPES_SIZES, SHAPES_BASES, strict=True):
        index[name] = torch.div(flat, base, rounding_mode="floor") % size
        table = torch.as_tensor(SHAPES_FACTORS[name], dtype=torch.float32)
        value[name] = table[index[name]]
    return {"index": index, "value": value}


# --- implicit shapes: inside where f(u, v) <= 0; u to the right, v up, in half-size units ---------


def _square(u: Tensor, v: Tensor) -> Tensor:
    return torch.maximum(u.abs(), v.abs()) - 1


def _ellipse(u: Tensor, v: Tensor) -> Tensor:
    a, b = ELLIPSE_AXES
    return (u / a).square() + (v / b).square() - 1


def _heart(u: Tensor, v: Tensor) -> Tensor:
    # The classic heart curve (x^2 + y^2 - 1)^3 - x^2 y^3 = 0, point down, mirror-symmetric in x.
    y = v + HEART_SHIFT
    x2 = u * u
    r = x2 + y * y - 1
    return r * r * r - x2 * (y * y * y)


_IMPLICIT = (_square, _ellipse, _heart)


def _draw_chunk(
    out: Tensor, shape: Tensor, scale: Tensor, angle: Tensor, pos_x: Tensor, pos_y: Tensor
) -> None:
    """Render n images into ``out`` (n, 64, 64), which must be zero; the inputs are (n,) tensors.

    Each shape covers a small part of the frame, so it is evaluated only in a square window of
    ``size`` pixels around its centre (large enough for the biggest scale in the chunk) and then
    pasted into the empty frame.
    """
    n = shape.shape[0]
    cx = MARGIN + pos_x * SPAN  # (n,) centre column, in pixels
    cy = MARGIN + pos_y * SPAN  # (n,) centre row, in pixels
    reach = math.ceil(RADIUS * HALF_SIZE * float(scale.abs().max())) if n else 0
    size = min(IMAGE_SIZE, 2 * reach + 2)
    offsets = torch.arange(size)
    col0 = (cx.floor().long() - reach).clamp(0, IMAGE_SIZE - size)  # (n,) window's first column
    row0 = (cy.floor().long() - reach).clamp(0, IMAGE_SIZE - size)  # (n,) window's first row
    cols = col0[:, None] + offsets  # (n, size)
    rows = row0[:, None] + offsets  # (n, size)
    dx = (cols.float() - cx[:, None]).view(n, 1, size)  # offset right of the centre
    dy = (cy[:, None] - rows.float()).view(n, size, 1)  # offset above the centre (rows grow down)
    inv = 1.0 / (scale * HALF_SIZE)
    cos = (torch.cos(angle) * inv).view(n, 1, 1)
    sin = (torch.sin(angle) * inv).view(n, 1, 1)
    inside = torch.empty(n, size, size, dtype=torch.bool)
    for k, implicit in enumerate(_IMPLICIT):
        sel = (shape == k).nonzero().view(-1)
        if sel.numel():
            # Undo the rotation by +angle and the scale: u to the right, v up, in half-sizes.
            u = cos[sel] * dx[sel] + sin[sel] * dy[sel]  # (n_k, size, size)
            v = cos[sel] * dy[sel] - sin[sel] * dx[sel]  # (n_k, size, size)
            inside[sel] = implicit(u, v) <= 0
    out[torch.arange(n).view(n, 1, 1), rows.view(n, size, 1), cols.view(n, 1, size)] = inside.to(out.dtype)


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run torch ops single-threaded for a while.

    Rendering is many small ops; on a busy 2-core machine their thread synchronisation costs far
    more than it saves (benchmarks/results/data-and-widgets.md).
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def draw_shapes(
    shape: ArrayLike | Tensor,
    scale: ArrayLike | Tensor,
    orientation: ArrayLike | Tensor,
    pos_x: ArrayLike | Tensor,
    pos_y: ArrayLike | Tensor,
    chunk_size: int = 1024,
) -> Tensor:
    """Render shapes from factor *values* (not indices), which may lie between the grid values.

    Args:
        shape: shape ids (0 square, 1 ellipse, 2 heart), (N,).
        scale: scale factors, (N,); 1 is the largest in the dataset.
        orientation: angles in radians, counter-clockwise on screen, (N,).
        pos_x, pos_y: positions in [0, 1], (N,).
        chunk_size: images rendered at once; temporaries take about ``chunk_size * 20`` KB.

    Returns:
        uint8 tensor (N, 64, 64) with values in {0, 1}.  Scalars broadcast against arrays.
    """
    shape_t = torch.as_tensor(np.asarray(shape), dtype=torch.int64)
    floats = [torch.as_tensor(np.asarray(x, dtype=np.float32)) for x in (scale, orientation, pos_x, pos_y)]
    tensors = torch.broadcast_tensors(shape_t, *floats)
    shape_t, scale_t, angle_t, px_t, py_t = (t.reshape(-1) for t in tensors)  # each (N,)
    images = torch.zeros(shape_t.shape[0], IMAGE_SIZE, IMAGE_SIZE, dtype=torch.uint8)  # (N, 64, 64)
    with _one_thread():
        for start in range(0, shape_t.shape[0], chunk_size):
            part = slice(start, start + chunk_size)
            _draw_chunk(images[part], shape_t[part], scale_t[part], angle_t[part], px_t[part], py_t[part])
    return images


def render_shapes(
    indices: ArrayLike | Tensor, chunk_size: int = 1024
) -> tuple[Tensor, dict[str, dict[str, Tensor]]]:
    """Render dataset images by flat index (see :func:`shapes_index`).

    Returns:
        ``(images, factors)``: uint8 (N, 64, 64) in {0, 1}, and :func:`shapes_factors` of the indices.
    """
    factors = shapes_factors(indices)
    v = factors["value"]
    images = draw_shapes(
        factors["index"]["shape"], v["scale"], v["orientation"], v["pos_x"], v["pos_y"], chunk_size
    )
    return images, factors


def sample_shapes(
    n: int, generator: torch.Generator | None = None
) -> tuple[Tensor, dict[str, dict[str, Tensor]], Tensor]:
    """Render ``n`` images drawn uniformly (with replacement) from all 737,280.

    Returns ``(images uint8 (n, 64, 64), factors, indices int64 (n,))``.
    """
    indices = torch.randint(N_SHAPES, (n,), generator=generator)
    images, factors = render_shapes(indices)
    return images, factors, indices


class ShapesDataset(torch.utils.data.Dataset):
    """Map-style view of the Shapes dataset (or of a subset of its indices), rendered on access.

    ``dataset[i]`` returns ``(image uint8 (64, 64), factor indices int64 (5,))``.  To train fast,
    prefer rendering a whole subset once with :func:`render_shapes` and batching it on the device.
    """

    def __init__(self, indices: ArrayLike | Tensor | None = None) -> None:
        self.indices = torch.arange(N_SHAPES) if indices is None else _as_index_tensor(indices)

    def __len__(self) -> int:
        return int(self.indices.shape[0])

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        images, factors = render_shapes(self.indices[i].view(1))
        classes = torch.stack([factors["index"][name][0] for name in SHAPES_FACTOR_NAMES])  # (5,)
        return images[0], classes
