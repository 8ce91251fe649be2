"""A small batched sphere tracer for signed distance functions (SDFs), on the CPU, in torch, and the
two scenes :mod:`.render3d` draws with it: a head (:func:`head_sdf`) and a chair (:func:`chair_sdf`).

A scene's SDF is a function ``sdf(x, y, z, params)`` of point coordinates in the object's own frame
(1-D float32 tensors, one entry per ray) and of per-ray parameter tensors; it returns a lower bound
of the distance to the surface (negative inside).
:func:`render_sdf` rotates an orthographic camera around the object, marches every pixel's ray until
it meets the surface, and shades the hit with Lambert's law under one directional light plus ambient
light; the background stays 0.

Why sphere tracing rather than a z-buffered mesh: the objects are a handful of smooth parts
(ellipsoids, spheres, rounded boxes) whose sizes are factors of variation; an SDF changes them by
changing a number, blends them smoothly (``smin``) and carves sockets (``smax``) without any mesh
bookkeeping, and a ray march is the same few elementwise tensor ops for every pixel of every image,
so it vectorises over the whole batch.  A rasteriser in torch would loop over triangles or scatter
with depth tests, which is awkward to batch and to make exactly reproducible.

Speed (measured in :mod:`.render3d`): each ray starts where it enters a bounding box or ellipsoid of
its object, and rays that miss it cost nothing more; finished rays are dropped after every step; the
SDF runs on blocks of 32k points, whose temporaries stay in the CPU's cache; the head evaluates its
small features only near the face, with a safe bound elsewhere; and only pixels at edges get more
than one ray (:func:`render_sdf`).

Reproducibility: every per-ray operation is an IEEE-exact elementwise op (``+ - * /``, ``sqrt``,
``min``, ``max``, ``abs``, ``clamp``, comparisons); sines and cosines are taken once per image in
float64.  So a ray's result does not depend on which other rays share its batch, nor on the number
of threads: the same factors give the same image bit for bit.  (A torch build that evaluated these ops
differently could still differ in the last bit; see :mod:`.render3d` on the cache's check.)
The pixel grid is exactly symmetric about the image centre, and the normals come from a tetrahedron of
samples that is symmetric under ``x -> -x``, so a scene that is mirror-symmetric in ``x`` renders
exactly mirrored under a mirrored rotation and light.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor

__all__ = [
    "BACK_BASE",
    "CHAIR_BOX",
    "CHAIR_STYLE_TABLE",
    "HEAD_BOUND",
    "SDF",
    "Scene",
    "box",
    "chair_params",
    "chair_sdf",
    "ellipsoid",
    "head_albedo",
    "head_sdf",
    "length",
    "render_sdf",
    "rotation",
    "scene",
    "smax",
    "smin",
    "sphere",
]

SDF = Callable[[Tensor, Tensor, Tensor, dict[str, Tensor]], Tensor]

HIT_EPS = 1e-3  # a ray has hit once the distance bound falls below this (object units)
LATE_EPS = 1e-2  # after the last step, a ray this close counts as a hit (grazing rays converge slowly)
NORMAL_STEP = 2e-3  # size of the tetrahedron of samples that gives the surface normal
MAX_STEPS = 64
SQRT_HALF = math.sqrt(0.5)
TRI_X = math.sqrt(0.75)  # half the side of a unit-radius equilateral triangle
BLOCK = 32768  # points per call of a scene's SDF
EDGE = 0.06  # pixels that differ more than this from a neighbour are supersampled


# --- SDF building blocks (elementwise, IEEE-exact ops only) -------------------------------------


def length(x: Tensor, y: Tensor, z: Tensor) -> Tensor:
    return (x * x).add_(y * y).add_(z * z).sqrt_()


def ellipsoid(x: Tensor, y: Tensor, z: Tensor, rx: float, ry: float, rz: float) -> Tensor:
    """Approximate distance to an ellipsoid with semi-axes (rx, ry, rz) centred at the origin
    (Quilez's bound ``k0 (k0 - 1) / k1``: exact on the surface, close to it nearby)."""
    u, v, w = x * (1 / rx), y * (1 / ry), z * (1 / rz)
    k0 = length(u, v, w)
    k1 = length(u.mul_(1 / rx), v.mul_(1 / ry), w.mul_(1 / rz)).clamp_min_(1e-12)
    return (k0 - 1).mul_(k0).div_(k1)


def sphere(x: Tensor, y: Tensor, z: Tensor, r: float) -> Tensor:
    return length(x, y, z).sub_(r)


def box(x: Tensor, y: Tensor, z: Tensor, hx: Tensor | float, hy: Tensor | float, hz: Tensor | float,
        r: Tensor | float = 0.0) -> Tensor:
    """Distance to a box centred at the origin with half sizes (hx, hy, hz), its vertical edges
    (along y) rounded with radius ``r`` (``r = hx = hz`` makes a cylinder)."""
    qx = x.abs().sub_(hx).add_(r)
    qz = z.abs().sub_(hz).add_(r)
    d2 = torch.maximum(qx, qz).clamp_max_(0).sub_(r)
    qx, qz = qx.clamp_min_(0), qz.clamp_min_(0)
    d2 = d2.add_(qx.mul_(qx).add_(qz.mul_(qz)).sqrt_())  # rounded rectangle in the x-z plane
    qy = y.abs().sub_(hy)
    inside = torch.maximum(d2, qy).clamp_max_(0)
    d2, qy = d2.clamp_min_(0), qy.clamp_min_(0)
    return d2.mul_(d2).add_(qy.mul_(qy)).sqrt_().add_(inside)


def smin(a: Tensor, b: Tensor, k: float) -> Tensor:
    """Smooth union of two SDFs (polynomial blend over a width ``k``)."""
    h = (b - a).mul_(0.5 / k).add_(0.5).clamp_(0, 1)
    bend = (1 - h).mul_(h).mul_(k)
    return (a - b).mul_(h).add_(b).sub_(bend)


def smax(a: Tensor, b: Tensor, k: float) -> Tensor:
    """Smooth intersection; ``smax(d, -hole, k)`` carves ``hole`` out of ``d``."""
    h = (a - b).mul_(0.5 / k).add_(0.5).clamp_(0, 1)
    bend = (1 - h).mul_(h).mul_(k)
    return (a - b).mul_(h).add_(b).add_(bend)


# --- camera and renderer ------------------------------------------------------------------------


def rotation(yaw_deg: np.ndarray, pitch_deg: np.ndarray, *, pitch_first: bool = False) -> np.ndarray:
    """Object-to-camera rotations, float64 (n, 3, 3): ``R_x(pitch) @ R_y(yaw)`` (a turntable seen from a
    camera raised by ``pitch``), or ``R_y(yaw) @ R_x(pitch)`` with ``pitch_first`` (an object that tips
    about its own left-right axis, then turns).

    ``R_y(yaw)`` turns the object's front (+z, towards the camera) towards the image's right (+x) for
    positive yaw; ``R_x(pitch)`` tips the top (+y) towards the camera for positive pitch.
    """
    a, e = np.radians(yaw_deg), np.radians(pitch_deg)
    ca, sa, ce, se = np.cos(a), np.sin(a), np.cos(e), np.sin(e)
    zero, one = np.zeros_like(a), np.ones_like(a)
    ry = np.stack([np.stack([ca, zero, sa], -1), np.stack([zero, one, zero], -1), np.stack([-sa, zero, ca], -1)], -2)
    rx = np.stack([np.stack([one, zero, zero], -1), np.stack([zero, ce, -se], -1), np.stack([zero, se, ce], -1)], -2)
    return ry @ rx if pitch_first else rx @ ry


def _enter_box(o: list[Tensor], d: list[Tensor], lo: Tensor, hi: Tensor) -> tuple[Tensor, Tensor]:
    """Ray parameters where rays ``o + t d`` enter and leave boxes (slab method); near >= far: a miss."""
    near, far = torch.full_like(o[0], -1e30), torch.full_like(o[0], 1e30)
    for j in range(3):
        inv = (1 / d[j]).clamp(-1e30, 1e30)
        t1, t2 = (lo[:, j] - o[j]) * inv, (hi[:, j] - o[j]) * inv
        near, far = torch.maximum(near, torch.minimum(t1, t2)), torch.minimum(far, torch.maximum(t1, t2))
    return near, far


def _enter_ellipsoid(o: list[Tensor], d: list[Tensor], centre: Tensor, radii: Tensor) -> tuple[Tensor, Tensor]:
    """Ray parameters where rays ``o + t d`` enter and leave ellipsoids; near >= far: a miss."""
    u = [(o[j] - centre[:, j]) / radii[:, j] for j in range(3)]
    v = [d[j] / radii[:, j] for j in range(3)]
    a = v[0] * v[0] + v[1] * v[1] + v[2] * v[2]
    b = u[0] * v[0] + u[1] * v[1] + u[2] * v[2]
    disc = b * b - a * (u[0] * u[0] + u[1] * u[1] + u[2] * u[2] - 1)
    root = torch.sqrt(disc.clamp_min(0))
    return torch.where(disc > 0, (-b - root) / a, 1.0), torch.where(disc > 0, (-b + root) / a, 0.0)


def _blocked(sdf: SDF, x: Tensor, y: Tensor, z: Tensor, prm: dict[str, Tensor]) -> Tensor:
    """``sdf`` on consecutive blocks of points: its hundreds of temporaries then stay in the CPU's cache
    (about 3x faster than on a few hundred thousand points at once)."""
    if x.shape[0] <= 2 * BLOCK:
        return sdf(x, y, z, prm)
    parts = [slice(i, i + BLOCK) for i in range(0, x.shape[0], BLOCK)]
    return torch.cat([sdf(x[s], y[s], z[s], {k: v[s] for k, v in prm.items()}) for s in parts])


def _trace(scene: Scene, cx: Tensor, cy: Tensor, img: Tensor) -> Tensor:
    """Shade of each ray (m,): camera coordinates ``(cx, cy)`` of its pixel, ``img`` its image; 0 on a miss."""
    out = torch.zeros(img.shape[0])
    r = scene.rot.index_select(0, img)  # (m, 3, 3)
    # Object coordinates are R^T (camera coordinates): the ray starts at camera depth 0, runs along -z.
    o = [cx * r[:, 0, j] + cy * r[:, 1, j] for j in range(3)]
    d = [-r[:, 2, j] for j in range(3)]
    a, b = (v.index_select(0, img) for v in scene.bound[1:])
    near, far = (_enter_box if scene.bound[0] == "box" else _enter_ellipsoid)(o, d, a, b)
    rays = (near < far).nonzero().view(-1)  # the others miss the bound: background
    ray = {k: v.index_select(0, rays) for k, v in zip(("ox", "oy", "oz", "dx", "dy", "dz", "t", "tmax", "img"),
                                                       (*o, *d, near, far, img), strict=True)}
    ray["ray"] = rays
    names = list(scene.params)
    ray.update({f"p_{k}": v.index_select(0, ray["img"]) for k, v in scene.params.items()})
    hits: list[dict[str, Tensor]] = []
    for i in range(MAX_STEPS):
        if ray["t"].shape[0] == 0:
            break
        x, y, z = (ray["o" + c] + ray["t"] * ray["d" + c] for c in "xyz")
        r = _blocked(scene.sdf, x, y, z, {k: ray["p_" + k] for k in names})
        hit = r < (LATE_EPS if i == MAX_STEPS - 1 else HIT_EPS)
        if bool(hit.any()):
            sel = hit.nonzero().view(-1)
            hits.append({k: v.index_select(0, sel) for k, v in {"x": x, "y": y, "z": z, **ray}.items()})
        ray["t"] = ray["t"] + r
        keep = (~hit & (ray["t"] < ray["tmax"])).nonzero().view(-1)
        if keep.shape[0] < hit.shape[0]:
            ray = {k: v.index_select(0, keep) for k, v in ray.items()}  # the scene costs far more than copies
    if not hits:
        return out
    hit = {k: torch.cat([part[k] for part in hits]) for k in hits[0]}
    x, y, z, img = hit["x"], hit["y"], hit["z"], hit["img"]
    prm = {k: hit["p_" + k] for k in names}
    # The normal from a regular tetrahedron of samples, symmetric under x -> -x: a scene that is
    # mirror-symmetric in x gets exactly mirrored normals.
    h, g = NORMAL_STEP, NORMAL_STEP * SQRT_HALF
    f = _blocked(scene.sdf, torch.cat([x + h, x - h, x, x]), torch.cat([y, y, y + h, y - h]),
                 torch.cat([z - g, z - g, z + g, z + g]), {k: v.repeat(4) for k, v in prm.items()}).view(4, -1)
    nx, ny, nz = f[0] - f[1], f[2] - f[3], ((f[2] + f[3]) - (f[0] + f[1])) * SQRT_HALF
    lo = scene.light.index_select(0, img)
    cosine = (nx * lo[:, 0] + ny * lo[:, 1] + nz * lo[:, 2]) / length(nx, ny, nz).clamp_min(1e-12)
    shade = scene.ambient + (1 - scene.ambient) * cosine.clamp(0, 1)
    if scene.albedo is not None:
        shade = shade * scene.albedo(x, y, z, prm)
    out[hit["ray"]] = shade
    return out


class Scene(NamedTuple):
    """What :func:`render_sdf` draws; every tensor has one row per image (n, ...), float32.

    Attributes:
        sdf: the scene's distance bound, ``sdf(x, y, z, params)`` on per-ray tensors.
        albedo: reflectance of a surface point in [0, 1], same signature (``None``: 1 everywhere).
        rot: object-to-camera rotations (n, 3, 3); the camera looks along -z of its own frame.
        light: unit vectors towards the light in the *object* frame (n, 3).
        params: per-image scene parameters (n,) each; the scene sees them per ray.
        bound: ``("box", lo, hi)`` corners or ``("ellipsoid", centre, radii)``, (n, 3) each, in the
            object frame, holding the whole object: rays that miss it are background, the others are
            marched from where they enter it until they hit or leave it.
        ambient: the share of light that reaches every surface.
    """

    sdf: SDF
    albedo: SDF | None
    rot: Tensor
    light: Tensor
    params: dict[str, Tensor]
    bound: tuple[str, Tensor, Tensor]
    ambient: float


def scene(sdf: SDF, albedo: SDF | None, rot: np.ndarray, light: np.ndarray, params: dict[str, Tensor],
          bound: tuple[str, np.ndarray, np.ndarray], ambient: float) -> Scene:
    """A :class:`Scene` from float64 numpy rotations and lights (the light given in the camera frame)."""
    light_obj = np.einsum("nij,ni->nj", rot, light)  # R^T l
    f32 = {"dtype": torch.float32}
    return Scene(sdf, albedo, torch.as_tensor(rot, **f32), torch.as_tensor(light_obj, **f32), params,
                 (bound[0], torch.as_tensor(bound[1], **f32), torch.as_tensor(bound[2], **f32)), ambient)


def render_sdf(scene: Scene, *, res: int, view: float, edge: float = EDGE) -> Tensor:
    """Images (n, res, res) float32 in [0, 1] of ``scene``; the image spans [-view, view] both ways.

    Adaptive supersampling: one ray through each pixel's centre first; then every pixel that differs by
    more than ``edge`` from a 4-neighbour (silhouettes, creases, the eyes) becomes the mean of its centre
    ray and three more, at the corners of a triangle 0.3 pixels about the centre with its apex down.
    The pattern and the pixel grid are exactly symmetric under x -> -x.
    """
    n = scene.rot.shape[0]
    unit = view / (2 * res)
    k = torch.arange(res, dtype=torch.float32) * 4 + (2 - 2 * res)  # pixel centres, in units
    img = torch.arange(n).repeat_interleave(res * res)
    images = _trace(scene, (k * unit).repeat(n * res), (-k * unit).repeat_interleave(res).repeat(n), img)
    images = images.view(n, res, res)
    flag = torch.zeros(n, res, res, dtype=torch.bool)
    across = (images[:, :, 1:] - images[:, :, :-1]).abs() > edge
    down = (images[:, 1:, :] - images[:, :-1, :]).abs() > edge
    flag[:, :, 1:] |= across
    flag[:, :, :-1] |= across
    flag[:, 1:, :] |= down
    flag[:, :-1, :] |= down
    where = flag.view(-1).nonzero().view(-1)  # (f,) flat pixel indices
    col, row = (k * unit)[where % res], (-k * unit)[torch.div(where, res, rounding_mode="floor") % res]
    img = torch.div(where, res * res, rounding_mode="floor")
    unit = 2 * view / res * 0.3  # pixel pitch times the triangle's radius
    sub_x = torch.cat([col - TRI_X * unit, col + TRI_X * unit, col])  # one trace for all three: its fixed
    sub_y = torch.cat([row + 0.5 * unit, row + 0.5 * unit, row - unit])  # cost is high
    sub = _trace(scene, sub_x, sub_y, img.repeat(3)).view(3, -1)
    centre = images.view(-1)[where]
    images.view(-1)[where] = ((sub[0] + sub[1]) + (sub[2] + centre)) * 0.25
    return images


# --- the head: object units, +y up, the face towards +z; x is divided by the width first --------

EYE = (0.17, 0.1)  # (|x|, y) of the eye centres
HEAD_BOUND = ((0.0, 0.02, 0.07), (0.6, 0.72, 0.74))  # centre, radii of an ellipsoid around every part (x: * width)
FACE_BOX = ((0.0, -0.39, 0.3), (0.34, 0.29, 0.8))  # |x|, y, z ranges that hold every feature of the face
NOSE_COS, NOSE_SIN = math.cos(math.radians(30)), math.sin(math.radians(30))


def head_sdf(x: Tensor, y: Tensor, z: Tensor, p: dict[str, Tensor]) -> Tensor:
    """The head; ``p``: ``inv_width`` (1 / width) and ``min_width`` (min(width, 1)) per point."""
    x = x * p["inv_width"]
    d = ellipsoid(x, y - 0.08, z + 0.02, 0.47, 0.6, 0.56)  # skull
    d = smin(d, ellipsoid(x, y + 0.22, z - 0.1, 0.33, 0.38, 0.4), 0.1)  # jaw
    d = smin(d, sphere(x, y + 0.52, z - 0.3, 0.1), 0.08)  # chin
    d = torch.minimum(d, ellipsoid(x.abs() - 0.46, y - 0.02, z + 0.02, 0.06, 0.13, 0.09))  # ears
    # The face's features lie in the box FACE_BOX; they can bring the distance down to no less than
    # the distance to that box minus a quarter of their widest blend (0.05).  So they are evaluated only
    # within 0.04 of the box (a fifth of the points), and elsewhere that lower bound caps the distance.
    (x0, y0, z0), (x1, y1, z1) = FACE_BOX
    ax = x.abs()
    outside = torch.maximum(torch.maximum(ax - x1, z0 - z), torch.maximum(y - y1, y0 - y))
    out = torch.minimum(d, outside - 0.0125)
    near = (outside < 0.04).nonzero().view(-1)
    if near.numel():
        out.index_copy_(0, near, _face(*(v.index_select(0, near) for v in (x, y, z, d))))
    return out.mul_(p["min_width"])  # x was stretched by 1/width: keep the bound a bound


def _face(x: Tensor, y: Tensor, z: Tensor, d: Tensor) -> Tensor:
    ax = x.abs()
    d = smin(d, ellipsoid(x, y - 0.22, z - 0.44, 0.34, 0.07, 0.14), 0.05)  # brow ridge
    d = smax(d, sphere(ax - EYE[0], y - EYE[1], z - 0.5, 0.1).neg_(), 0.04)  # eye sockets
    d = torch.minimum(d, sphere(ax - EYE[0], y - EYE[1], z - 0.4, 0.08))  # eyeballs
    ny, nz = y + 0.03, z - 0.57  # the nose: an ellipsoid tipped 30 degrees, its lower end forward
    d = smin(d, ellipsoid(x, ny * NOSE_COS - nz * NOSE_SIN, ny * NOSE_SIN + nz * NOSE_COS, 0.08, 0.17, 0.1), 0.06)
    d = smin(d, ellipsoid(x, y + 0.16, z - 0.64, 0.085, 0.05, 0.06), 0.03)  # nostrils
    return smin(d, ellipsoid(x, y + 0.33, z - 0.44, 0.12, 0.06, 0.06), 0.04)  # lips


def head_albedo(x: Tensor, y: Tensor, z: Tensor, p: dict[str, Tensor]) -> Tensor:
    """Skin 0.9, hair 0.45 (over the top and back), irises and the mouth line 0.25."""
    ax = (x * p["inv_width"]).abs()
    iris = length(ax - EYE[0], y - EYE[1], z - 0.48) < 0.05
    mouth = ((y + 0.33).abs() < 0.018) & (ax < 0.12) & (z > 0.3)
    hair = y > 0.2 + 0.4 * z
    return torch.where(iris | mouth, 0.25, torch.where(hair, 0.45, 0.9))


# --- the chair: object units, +y up, its front towards +z; the seat's top at y = 0 ---------------

# Per style: seat corner radius (None: round), leg radius, leg |x| (None: inside the round seat) and
# |z|, back half width, back z, open back, arm rests.  Sizes in x are multiplied by the width.
CHAIR_STYLE_TABLE: dict[int, tuple[float | None, float, float | None, float, float, float, bool, bool]] = {
    0: (0.02, 0.005, 0.36, 0.34, 0.42, -0.36, False, False),  # straight
    1: (0.02, 0.005, 0.36, 0.34, 0.42, -0.36, False, True),  # armchair
    2: (None, 0.045, None, 0.26, 0.3, -0.3, True, False),  # round
}
BACK_BASE = 0.55  # back height at back_height = 1
CHAIR_BOX = ((-0.46, -0.76, -0.42), (0.46, 0.29, 0.42))  # x times the width; the back's top is added to y


def chair_sdf(x: Tensor, y: Tensor, z: Tensor, p: dict[str, Tensor]) -> Tensor:
    """The chair; ``p`` from :func:`chair_params`."""
    w, top, bz = p["width"], p["top"], z - p["back_z"]
    d = box(x, y + 0.05, z, 0.42 * w, 0.05, 0.4, p["seat_r"])  # seat
    d = torch.minimum(d, box(x.abs() - p["leg_x"], y + 0.425, z.abs() - p["leg_z"], 0.045, 0.325, 0.045, p["leg_r"]))
    back = box(x, y - 0.5 * top, bz, p["back_x"], 0.5 * top, 0.04)
    # Parts of one style are moved far away in the others (offset 10), and skipped when no ray needs them
    # (render3d.draw_chairs renders the styles one after another).
    if bool((p["hole_off"] == 0).any()):
        lo, hi = -0.02, top - 0.09  # the open back keeps two posts and a top rail
        hole = box(x, y - 0.5 * (lo + hi) - p["hole_off"], bz, p["back_x"] - 0.06, 0.5 * (hi - lo), 0.1)
        back = torch.maximum(back, hole.neg_())
    d = torch.minimum(d, back)
    if bool((p["arm_off"] == 0).any()):
        ax = x.abs() - 0.4 * w
        d = torch.minimum(d, box(ax, y - 0.25 - p["arm_off"], z + 0.03, 0.035, 0.025, 0.33))  # arm rests
        d = torch.minimum(d, box(ax, y - 0.125 - p["arm_off"], z - 0.27, 0.03, 0.125, 0.03))  # their posts
    return d


def chair_params(width: np.ndarray, style: np.ndarray, back_height: np.ndarray) -> dict[str, Tensor]:
    """Per-image parameters of :func:`chair_sdf` from the chair factors (n,) each."""
    cols: dict[str, list[float]] = {k: [] for k in ("seat_r", "leg_r", "leg_x", "leg_z", "back_x", "back_z",
                                                     "hole_off", "arm_off")}
    for w, s in zip(width.tolist(), style.tolist(), strict=True):
        seat_r, leg_r, leg_x, leg_z, back_x, back_z, hole, arms = CHAIR_STYLE_TABLE[s]
        row = (min(0.42 * w, 0.4) if seat_r is None else seat_r, leg_r, 0.42 * w - 0.15 if leg_x is None else leg_x * w,
               leg_z, back_x * w, back_z, 0.0 if hole else 10.0, 0.0 if arms else 10.0)
        for key, value in zip(cols, row, strict=True):
            cols[key].append(value)
    params = {k: torch.tensor(v, dtype=torch.float32) for k, v in cols.items()}
    params["width"] = torch.as_tensor(width, dtype=torch.float32)
    params["top"] = torch.as_tensor(BACK_BASE * back_height, dtype=torch.float32)
    return params
