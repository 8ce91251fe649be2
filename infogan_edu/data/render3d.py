"""Render3D: grayscale 32x32 heads and chairs drawn from known factors, stand-ins for the InfoGAN
paper's 3D faces and 3D chairs (Sec. 7.2, Figs. 3 and 4), which cannot be downloaded here.

Heads (:func:`draw_heads`): an ellipsoid skull blended with a jaw, a chin, a brow ridge, a nose that
juts forward and down (so a profile facing left and one facing right differ), eye sockets with dark
irises, a mouth line and ears.

==============  ============  ==================================================================
factor          range         meaning
==============  ============  ==================================================================
``azimuth``     -90 .. 90     head turn in degrees; positive turns the face to the image's right
``elevation``   -30 .. 30     head tilt in degrees; positive lifts the chin (the nose moves up)
``light``       -90 .. 90     light direction in degrees around the vertical: -90 from the image's
                              left, 0 from the front, 90 from its right (always 20 degrees above)
``width``       0.8 .. 1.2    face width relative to the base head (scales it left to right)
==============  ============  ==================================================================

Chairs (:func:`draw_chairs`): a seat, four legs and a back, seen from 20 degrees above, lit from
the upper left front.

===============  ============  =================================================================
factor           range         meaning
===============  ============  =================================================================
``azimuth``      -180 .. 180   turn in degrees about the vertical; 0 shows the front, positive
                               turns the front towards the image's right
``width``        0.8 .. 1.2    seat, back and leg spacing, left to right, relative to the base
``style``        0, 1, 2       :data:`CHAIR_STYLES`: 0 ``straight`` (square seat, solid back),
                               1 ``armchair`` (the same with arm rests), 2 ``round`` (round seat,
                               round legs, open back of two posts and a top rail)
``back_height``  0.6 .. 1.4    height of the back relative to the base (0.55 of the object units)
===============  ============  =================================================================

Images are uint8 (N, 32, 32) in 0..255, bright objects on a black background like MNIST, so
:func:`.batching.to_float_images` maps them to [-1, 1].  They are signed distance functions,
sphere-traced in torch (:mod:`.raymarch` has the scenes and says why not a mesh): an orthographic
camera, Lambert shading from one directional light plus 20 % ambient light, one ray per pixel, and
four (the centre and a small triangle around it) in the pixels at edges: silhouettes, the eyes, the
hair line.  Rendering is deterministic: the same factors give the same image bit for bit,
whatever else is in the batch, and a head with mirrored azimuth and light is the exact mirror image.
Speed, one thread, measured on this project's 2-core AMD EPYC machine while other training runs kept
both cores busy (load average 2 to 5): 250 to 340 heads and 410 to 500 chairs a second (best of 3
on 512 images with the CPU time alone: about 400 heads), with ::

    OMP_NUM_THREADS=1 python -c "import time; from infogan_edu.data.render3d import sample_heads as f;
    f(64); t = time.perf_counter(); f(1000); print(1000 / (time.perf_counter() - t))"

(``sample_chairs`` likewise).  A chunk of 256 images needs under 70 MB of temporaries.

Data sets of fixed size (:func:`load_heads`, :func:`load_chairs`): ``n`` images with factors drawn
uniformly from ``torch.Generator().manual_seed(seed)`` (exactly :func:`sample_heads` with that
generator), rendered once and cached as ``render3d/<kind>-v<version>-n<n>-seed<seed>.npz`` in the
user cache (:func:`.download.cache_dir`: ``$INFOGAN_EDU_CACHE``, else ``~/.cache/infogan_edu``).
Beside it, ``<file>.sha256`` holds the SHA-256 of the bytes written, in ``sha256sum`` format.  There
is no constant hash to check against: the file is the output of float32 arithmetic, which another
CPU or torch build may round differently in the last bit.  Every load hashes the file and compares
it with its sidecar, which catches a truncated or half-written file, a crash between the two writes
and later corruption on disk (not deliberate tampering: both can be rewritten).  The load then
checks that the stored factors are those the seed draws and re-renders the first 8 images to compare
them bit for bit, which catches a file written by an older renderer.  A file that fails any check is
rendered again, with a warning, and replaced; it is never used.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import warnings
from pathlib import Path

import numpy as np
import torch
from numpy.typing import ArrayLike
from torch import Tensor

from .download import ChecksumError, cache_dir, writable_folder
from .raymarch import (
    BACK_BASE,
    CHAIR_BOX,
    HEAD_BOUND,
    chair_params,
    chair_sdf,
    head_albedo,
    head_sdf,
    render_sdf,
    rotation,
    scene,
)
from .shapes import _one_thread

__all__ = [
    "CHAIR_FACTORS",
    "CHAIR_STYLES",
    "HEAD_FACTORS",
    "IMAGE_SIZE",
    "RENDER_VERSION",
    "draw_chairs",
    "draw_heads",
    "load_chairs",
    "load_heads",
    "render3d_path",
    "sample_chairs",
    "sample_heads",
]

IMAGE_SIZE = 32
AMBIENT = 0.2
RENDER_VERSION = 1  # part of the cache file names: bump it whenever a scene or the shading changes
SPOT_CHECK = 8  # images re-rendered on every cache load

HEAD_FACTORS: dict[str, tuple[float, float]] = {
    "azimuth": (-90.0, 90.0),
    "elevation": (-30.0, 30.0),
    "light": (-90.0, 90.0),
    "width": (0.8, 1.2),
}
CHAIR_STYLES = ("straight", "armchair", "round")
CHAIR_FACTORS: dict[str, tuple[float, float]] = {
    "azimuth": (-180.0, 180.0),
    "width": (0.8, 1.2),
    "style": (0.0, float(len(CHAIR_STYLES) - 1)),
    "back_height": (0.6, 1.4),
}
_UNITS = {"azimuth": " degrees", "elevation": " degrees", "light": " degrees"}

# --- factor checks --------------------------------------------------------------------------------


def _factor(name: str, value: ArrayLike | Tensor, lo: float, hi: float) -> np.ndarray:
    """``value`` as float64, 0-d or 1-d, finite and in [lo, hi] (a float32 rounding over is clipped)."""
    valid = f"valid: numbers in [{lo:g}, {hi:g}]{_UNITS.get(name, '')}, a scalar or a 1-D array"
    try:
        a = np.asarray(value.detach().cpu() if isinstance(value, Tensor) else value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: not numbers ({value!r}); {valid}") from None
    if a.ndim > 1:
        raise ValueError(f"{name}: shape {a.shape} is not a scalar or 1-D; {valid}")
    slack = 1e-6 * (hi - lo)
    bad = ~np.isfinite(a) | (a < lo - slack) | (a > hi + slack)
    if bad.any():
        raise ValueError(f"{name}: {a[bad][:5].tolist()} out of range; {valid}")
    return np.clip(a, lo, hi)


def _style(value: ArrayLike | Tensor | str) -> np.ndarray:
    valid = f"valid: 0..{len(CHAIR_STYLES) - 1} or a name in {CHAIR_STYLES}, a scalar or a 1-D array"
    a = np.asarray(value.detach().cpu() if isinstance(value, Tensor) else value)
    if a.ndim > 1:
        raise ValueError(f"style: shape {a.shape} is not a scalar or 1-D; {valid}")
    if a.dtype.kind in "US":
        unknown = [s for s in a.reshape(-1).tolist() if s not in CHAIR_STYLES]
        if unknown:
            raise ValueError(f"style: unknown style {unknown[0]!r}; {valid}")
        return np.vectorize(CHAIR_STYLES.index, otypes=[np.int64])(a) if a.size else a.astype(np.int64)
    try:
        f = a.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"style: not a style ({value!r}); {valid}") from None
    bad = ~np.isfinite(f) | (f != np.round(f)) | (f < 0) | (f > len(CHAIR_STYLES) - 1)
    if bad.any():
        raise ValueError(f"style: {f[bad][:5].tolist()} not a style; {valid}")
    return f.astype(np.int64)


def _broadcast(named: dict[str, np.ndarray]) -> list[np.ndarray]:
    sizes = {a.shape[0] for a in named.values() if a.ndim == 1 and a.shape[0] != 1}
    if len(sizes) > 1:
        shapes = ", ".join(f"{k} has {a.shape[0]}" for k, a in named.items() if a.ndim == 1)
        raise ValueError(f"factors must have one length N (or be scalars): {shapes} values")
    return [a.reshape(-1) for a in np.broadcast_arrays(*named.values())]


def _box(bounds: tuple[tuple[float, float, float], tuple[float, float, float]], width: np.ndarray
         ) -> tuple[np.ndarray, np.ndarray]:
    """Per-image bounds (two (n, 3) arrays: box corners or ellipsoid centre and radii), x times the width."""
    lo, hi = (np.tile(np.asarray(c, dtype=np.float64), (width.shape[0], 1)) for c in bounds)
    lo[:, 0] *= width
    hi[:, 0] *= width
    return lo, hi


def _to_uint8(images: Tensor) -> Tensor:
    return (images * 255).round().clamp(0, 255).to(torch.uint8)


def _chunks(n: int, chunk_size: int) -> list[slice]:
    return [slice(s, min(s + chunk_size, n)) for s in range(0, n, chunk_size)]


def _light(deg: np.ndarray, up_deg: float) -> np.ndarray:
    a, e = np.radians(deg), np.radians(up_deg)
    return np.stack([np.sin(a) * np.cos(e), np.full_like(a, np.sin(e)), np.cos(a) * np.cos(e)], -1)


# --- public API ---------------------------------------------------------------------------------


def draw_heads(azimuth: ArrayLike | Tensor, elevation: ArrayLike | Tensor, light: ArrayLike | Tensor,
               width: ArrayLike | Tensor, chunk_size: int = 256) -> Tensor:
    """Render heads from factor values (see the module's table); scalars broadcast against 1-D arrays.

    Returns uint8 (N, 32, 32) in 0..255.  Raises ValueError naming the first bad factor and its range.
    """
    checked = {k: _factor(k, v, *HEAD_FACTORS[k]) for k, v in zip(HEAD_FACTORS, (azimuth, elevation, light, width),
                                                                 strict=True)}
    az, el, li, wd = _broadcast(checked)
    out = torch.empty(az.shape[0], IMAGE_SIZE, IMAGE_SIZE, dtype=torch.uint8)
    with _one_thread():
        for part in _chunks(az.shape[0], chunk_size):
            w = torch.as_tensor(wd[part], dtype=torch.float32)
            params = {"inv_width": 1 / w, "min_width": w.clamp_max(1)}
            bound = ("ellipsoid", *_box(HEAD_BOUND, wd[part]))
            rot = rotation(az[part], -el[part], pitch_first=True)
            head = scene(head_sdf, head_albedo, rot, _light(li[part], 20.0), params, bound, AMBIENT)
            out[part] = _to_uint8(render_sdf(head, res=IMAGE_SIZE, view=0.9))
    return out


def draw_chairs(azimuth: ArrayLike | Tensor, width: ArrayLike | Tensor, style: ArrayLike | Tensor | str,
                back_height: ArrayLike | Tensor, chunk_size: int = 256) -> Tensor:
    """Render chairs from factor values (``style``: ids or names in :data:`CHAIR_STYLES`).

    Returns uint8 (N, 32, 32) in 0..255.  Raises ValueError naming the first bad factor and its range.
    """
    checked = {"azimuth": _factor("azimuth", azimuth, *CHAIR_FACTORS["azimuth"]),
               "width": _factor("width", width, *CHAIR_FACTORS["width"]), "style": _style(style),
               "back_height": _factor("back_height", back_height, *CHAIR_FACTORS["back_height"])}
    az, wd, st, bh = _broadcast(checked)
    out = torch.empty(az.shape[0], IMAGE_SIZE, IMAGE_SIZE, dtype=torch.uint8)
    order = np.argsort(st, kind="stable")  # one style after another: each chunk skips the others' parts
    with _one_thread():
        for part in _chunks(az.shape[0], chunk_size):
            i = order[part]
            lo, hi = _box(CHAIR_BOX, wd[i])
            hi[:, 1] += BACK_BASE * bh[i]
            chair = scene(chair_sdf, None, rotation(az[i], np.full(i.shape[0], 20.0)),
                          _light(np.full(i.shape[0], -40.0), 40.0), chair_params(wd[i], st[i], bh[i]), ("box", lo, hi),
                          AMBIENT)
            out[torch.from_numpy(i)] = _to_uint8(render_sdf(chair, res=IMAGE_SIZE, view=0.95) * 0.9)
    return out


def _draw_factors(kind: str, n: int, generator: torch.Generator | None) -> dict[str, np.ndarray]:
    table = HEAD_FACTORS if kind == "heads" else CHAIR_FACTORS
    u = torch.rand(n, len(table), generator=generator, dtype=torch.float64).numpy()
    values = {}
    for j, (name, (lo, hi)) in enumerate(table.items()):
        if name == "style":
            values[name] = np.minimum(np.floor(u[:, j] * len(CHAIR_STYLES)), len(CHAIR_STYLES) - 1).astype(np.int64)
        else:
            values[name] = (lo + u[:, j] * (hi - lo)).astype(np.float32)  # rendered from the stored float32
    return values


def _sample(kind: str, n: int, generator: torch.Generator | None) -> tuple[Tensor, dict[str, Tensor]]:
    values = _draw_factors(kind, n, generator)
    images = (draw_heads if kind == "heads" else draw_chairs)(*values.values())
    return images, {k: torch.from_numpy(v) for k, v in values.items()}


def sample_heads(n: int, generator: torch.Generator | None = None) -> tuple[Tensor, dict[str, Tensor]]:
    """``n`` heads with factors drawn uniformly over their ranges.

    Returns ``(images uint8 (n, 32, 32), {factor: float32 (n,)})``.
    """
    return _sample("heads", n, generator)


def sample_chairs(n: int, generator: torch.Generator | None = None) -> tuple[Tensor, dict[str, Tensor]]:
    """``n`` chairs with factors drawn uniformly (``style`` uniformly over the styles).

    Returns ``(images uint8 (n, 32, 32), {factor: float32 (n,), "style": int64 (n,)})``.
    """
    return _sample("chairs", n, generator)


# --- cached data sets ---------------------------------------------------------------------------


def render3d_path(kind: str, n: int = 50_000, seed: int = 0) -> Path:
    """Where :func:`load_heads` / :func:`load_chairs` cache a data set (its sidecar adds ``.sha256``)."""
    if kind not in ("heads", "chairs"):
        raise ValueError(f"kind: unknown data set {kind!r}; valid: 'heads' or 'chairs'")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n: {n!r} is not a positive integer; valid: 1, 2, ...")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed: {seed!r} is not an integer >= 0")
    return cache_dir() / "render3d" / f"{kind}-v{RENDER_VERSION}-n{n}-seed{seed}.npz"


def _read_cached(path: Path, kind: str, n: int, seed: int) -> tuple[Tensor, dict[str, Tensor]]:
    """The cached data set, or ChecksumError / ValueError saying why it cannot be used."""
    data = path.read_bytes()
    sidecar = path.with_name(path.name + ".sha256")
    try:
        expected = sidecar.read_text().split()[0]
    except (OSError, IndexError):
        raise ChecksumError(f"{path}: its SHA-256 sidecar {sidecar.name} is missing or empty") from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ChecksumError(f"{path}: SHA-256 {actual}, but its sidecar says {expected}; the file is corrupt")
    names = list(HEAD_FACTORS if kind == "heads" else CHAIR_FACTORS)
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            images, stored = npz["images"], {name: npz[name] for name in names}
    except (OSError, KeyError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable {kind} data set ({exc})") from None
    values = _draw_factors(kind, n, torch.Generator().manual_seed(seed))
    if images.dtype != np.uint8 or images.shape != (n, IMAGE_SIZE, IMAGE_SIZE) or any(
        stored[k].dtype != v.dtype or not np.array_equal(stored[k], v) for k, v in values.items()
    ):
        raise ValueError(f"{path}: its images or factors are not those of n={n}, seed={seed}")
    head = {k: v[:SPOT_CHECK] for k, v in values.items()}
    redrawn = (draw_heads if kind == "heads" else draw_chairs)(*head.values()).numpy()
    if not np.array_equal(redrawn, images[:SPOT_CHECK]):
        raise ValueError(f"{path}: its first images differ from this renderer's")
    return torch.from_numpy(images), {k: torch.from_numpy(v) for k, v in stored.items()}


def _write_cached(path: Path, images: Tensor, factors: dict[str, Tensor]) -> None:
    """Write the data set and its sidecar, each to a temporary name first and then renamed into place."""
    if not writable_folder(path.parent, []):
        warnings.warn(f"{path.parent} is not writable: the rendered data set is not cached", stacklevel=3)
        return
    buffer = io.BytesIO()
    np.savez(buffer, images=images.numpy(), **{k: v.numpy() for k, v in factors.items()})
    data = buffer.getvalue()
    tag = secrets.token_hex(4)
    for target, content in ((path, data), (path.with_name(path.name + ".sha256"),
                                          f"{hashlib.sha256(data).hexdigest()}  {path.name}\n".encode())):
        tmp = target.with_name(f".{target.name}.{tag}.part")
        try:
            tmp.write_bytes(content)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)


def _load(kind: str, n: int, seed: int) -> tuple[Tensor, dict[str, Tensor]]:
    path = render3d_path(kind, n, seed)
    try:
        return _read_cached(path, kind, n, seed)
    except FileNotFoundError:
        pass
    except (ChecksumError, ValueError) as exc:
        warnings.warn(f"{exc}; rendering it again", stacklevel=3)
    # the first use renders for minutes (about 300 heads/s on one core): say so, once, before the wait
    print(f"rendering {n:,} {kind} (seed {seed}) once, into {path}; later runs read that file", flush=True)
    images, factors = _sample(kind, n, torch.Generator().manual_seed(seed))
    _write_cached(path, images, factors)
    return images, factors


def load_heads(n: int = 50_000, seed: int = 0) -> tuple[Tensor, dict[str, Tensor]]:
    """A fixed data set of ``n`` heads: :func:`sample_heads` with generator seed ``seed``, rendered once
    and then read from the user cache (verified; a file that fails is rendered again).  50,000 heads
    take a few minutes to render and 51 MB of disk."""
    return _load("heads", n, seed)


def load_chairs(n: int = 50_000, seed: int = 0) -> tuple[Tensor, dict[str, Tensor]]:
    """A fixed data set of ``n`` chairs, like :func:`load_heads`."""
    return _load("chairs", n, seed)
