"""A reference reader of Shapes images: does a generator draw the Shapes?

A GAN's samples can look like "white blobs of about the right size" long before they are squares, ellipses and
hearts. To tell the two apart without a person looking, we train a small network on *real* Shapes images, whose
factors are known, and apply it to generated images:

- a shape head: which of the 3 shapes, or **none of them** (a fourth class), with its softmax confidence. A
  classifier that knows only three answers is confidently wrong about a blob (it calls a disc a heart), so the
  reader also trains on images that are not Shapes, made to look like a GAN's failures (`not_shapes`): discs and
  round ellipses, two shapes in one frame, a shape with a ragged edge, a shape broken in two, irregular blobs;
- a placement head: the scale and the centre (pos_x, pos_y) in the data's units (scale in [0.5, 1], positions in
  [0, 1]); orientation is left out, since a square repeats after a quarter turn and an ellipse after a half turn.

The reader also **redraws** what it read: the renderer draws the shape it names at the scale and centre it reads,
at each of the data's orientations, and the best intersection over union (IoU) with the binarised image is
reported. It is a weak test on its own (the placement head is off by about half a pixel, so real images reach a
median IoU of about 0.87, and a disc reaches about 0.8 against a heart), but a garbled image scores far lower.

`judge` turns this into the numbers a study reports, for generated images next to real ones: the fraction of
images read confidently as one shape, the fraction that the redraw matches, the share of each shape, and how far
the read centres and scales are from the data's (the 1-D Wasserstein distance, in the factor's units).

The shipped reader (`infogan_edu/checkpoints/shapes_reader.pt`, SHA-256 and command in the JSON beside it) was
made by `python benchmarks/shapes_budget.py --train-reader`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from .checkpoint import FORMAT, CheckpointError, load_file, save_atomic, sha256_file, verify_sha256
from .data.batching import to_float_images
from .data.shapes import IMAGE_SIZE, SHAPES_FACTORS, draw_shapes, sample_shapes

__all__ = [
    "CONFIDENT",
    "NONE",
    "NOT_SHAPES",
    "ShapesReader",
    "judge",
    "load_reader",
    "not_shapes",
    "read",
    "redraw_iou",
    "save_reader",
    "train_reader",
]

NONE = 3  # the reader's class for "none of the three shapes"
CONFIDENT = 0.9  # a shape is "read confidently" when its softmax probability is at least this
PLACEMENT = ("scale", "pos_x", "pos_y")
# the placement targets are standardised with the mean and spread of the data's uniform grids
_MEAN = torch.tensor([float(SHAPES_FACTORS[k].mean()) for k in PLACEMENT])  # (3,)
_STD = torch.tensor([float(SHAPES_FACTORS[k].std()) for k in PLACEMENT])  # (3,)
ORIENTATIONS = torch.as_tensor(SHAPES_FACTORS["orientation"][:-1], dtype=torch.float32)  # 0 and 2 pi are one image


class ShapesReader(nn.Module):
    """x (B, 1, 64, 64) in [-1, 1] -> (class logits (B, 4), placement (B, 3): scale, pos_x, pos_y).
    Classes 0, 1, 2 are the shapes; class 3 (NONE) is "not a Shapes image"."""

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = [1, 32, 64, 64, 64]
        for c_in, c_out in zip(channels[:-1], channels[1:], strict=True):  # 64 -> 32 -> 16 -> 8 -> 4 pixels
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1), nn.LeakyReLU(0.1)]
        self.trunk = nn.Sequential(*layers, nn.Flatten(), nn.Linear(64 * 4 * 4, 128), nn.LeakyReLU(0.1))
        self.shape_head = nn.Linear(128, 4)  # square, ellipse, heart, none of them
        self.placement_head = nn.Linear(128, 3)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        h = self.trunk(x)  # (B, 128)
        return self.shape_head(h), self.placement_head(h) * _STD + _MEAN  # (B, 4), (B, 3) in the data's units


NOT_SHAPES = ("disc", "round ellipse", "two shapes", "ragged edge", "broken in two", "blob")


def _grid(n: int, gen: torch.Generator, lo: float = 14.0, hi: float = 50.0) -> tuple[Tensor, Tensor, Tensor]:
    """Pixel rows and columns (1, 64, 64) and n random centres (n, 2) (row, column) inside [lo, hi]."""
    rows, cols = torch.meshgrid(torch.arange(IMAGE_SIZE).float(), torch.arange(IMAGE_SIZE).float(), indexing="ij")
    return rows[None], cols[None], lo + (hi - lo) * torch.rand(n, 2, generator=gen)


def not_shapes(n: int, gen: torch.Generator) -> Tensor:
    """n binary images (uint8 (n, 64, 64) in {0, 1}) that are none of the three shapes, one kind of NOT_SHAPES
    each, drawn in turn: what a generator that has not learned the Shapes tends to draw."""
    rows, cols, centre = _grid(n, gen)
    dy, dx = rows - centre[:, :1, None], cols - centre[:, 1:, None]  # (n, 64, 64) offsets from each centre
    u = torch.rand(n, 3, generator=gen)  # (n, 3) uniform draws shared by the kinds below
    kind = torch.arange(n) % len(NOT_SHAPES)
    out = torch.zeros(n, IMAGE_SIZE, IMAGE_SIZE, dtype=torch.bool)
    # disc, radius 3 to 9 px; round ellipse: axes ratio 1.1 to 1.5 (the data's ellipse has 2), turned
    radius = (3 + 6 * u[:, 0]).view(n, 1, 1)
    ratio = (1.1 + 0.4 * u[:, 1]).view(n, 1, 1)
    angle = (torch.pi * u[:, 2]).view(n, 1, 1)
    a = dx * angle.cos() + dy * angle.sin()
    b = dy * angle.cos() - dx * angle.sin()
    out[kind == 0] = (dy.square() + dx.square() <= radius.square())[kind == 0]
    out[kind == 1] = ((a / (radius * ratio.sqrt())).square() + (b * ratio.sqrt() / radius).square() <= 1)[kind == 1]
    real, _, _ = sample_shapes(2 * n, gen)
    first, second = real[:n].bool(), real[n:].bool()  # (n, 64, 64) each
    out[kind == 2] = (first | second)[kind == 2]
    # ragged: each pixel of the shape's outline flipped with probability 0.4
    x = first[:, None].float()  # (n, 1, 64, 64)
    outline = (nn.functional.max_pool2d(x, 3, 1, 1) - -nn.functional.max_pool2d(-x, 3, 1, 1))[:, 0] > 0
    flip = outline & (torch.rand(n, IMAGE_SIZE, IMAGE_SIZE, generator=gen) < 0.4)
    out[kind == 3] = (first ^ flip)[kind == 3]
    # broken in two: a gap 2 px wide across the shape's centre, at a random angle
    ys, xs = (first.any(2).float(), first.any(1).float())  # (n, 64) rows / columns that hold ink
    weights = torch.arange(IMAGE_SIZE).float()
    cy = (ys * weights).sum(1) / ys.sum(1).clamp_min(1)
    cx = (xs * weights).sum(1) / xs.sum(1).clamp_min(1)
    across = (rows - cy.view(n, 1, 1)) * angle.cos() - (cols - cx.view(n, 1, 1)) * angle.sin()
    out[kind == 4] = (first & (across.abs() > 1.0))[kind == 4]
    # blob: a disc whose edge is pushed in and out by smoothed noise
    noise = torch.randn(n, 1, IMAGE_SIZE, IMAGE_SIZE, generator=gen)
    smooth = nn.functional.avg_pool2d(nn.functional.avg_pool2d(noise, 7, 1, 3), 7, 1, 3)[:, 0] * 7  # (n, 64, 64)
    field = 1 - (dy.square() + dx.square()).sqrt() / (radius + 2) + 0.5 * smooth
    out[kind == 5] = (field > 0)[kind == 5]
    return out.to(torch.uint8)


def train_reader(steps: int = 4000, batch: int = 128, seed: int = 0, lr: float = 1e-3) -> ShapesReader:
    """Train a reader on freshly drawn images (a new batch every step, so it never sees an image twice): three
    quarters real Shapes, one quarter `not_shapes` (class NONE). Loss: cross-entropy on the class, plus the
    squared error of the standardised placement on the real Shapes."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    reader = ShapesReader()
    opt = torch.optim.Adam(reader.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    n_real = batch - batch // 4
    for _ in range(steps):
        images, factors, _ = sample_shapes(n_real, gen)
        others = not_shapes(batch - n_real, gen)
        target = torch.stack([factors["value"][k] for k in PLACEMENT], dim=1)  # (B_real, 3)
        labels = torch.cat([factors["index"]["shape"], torch.full((batch - n_real,), NONE)])  # (B,)
        logits, placement = reader(to_float_images(torch.cat([images, others]), 1.0))
        loss = nn.functional.cross_entropy(logits, labels)
        loss = loss + ((placement[:n_real] - target) / _STD).square().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    return reader.eval()


def save_reader(reader: ShapesReader, path: str | Path, provenance: dict) -> dict:
    """Write the reader's weights in the checkpoint format and a JSON sidecar with its SHA-256 and provenance."""
    path = save_atomic(
        {
            "format": FORMAT,
            "architecture": {"kind": "shapes-reader"},
            "config": {},
            "step": 0,
            "model": {k: v.detach().clone() for k, v in reader.state_dict().items()},
        },
        path,
    )
    meta = {
        "file": path.name,
        "kind": "shapes-reader",
        "sha256": sha256_file(path),
        "bytes": path.stat().st_size,
        **provenance,
    }
    Path(str(path) + ".json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def load_reader(path: str | Path | None = None) -> ShapesReader:
    """The shipped reader (or the one at `path`), after checking its SHA-256 against the JSON beside it."""
    path = Path(path) if path is not None else Path(__file__).parent / "checkpoints" / "shapes_reader.pt"
    meta = Path(str(path) + ".json")
    if not meta.is_file():
        raise CheckpointError(
            f"no reader at {path} (or no {meta.name} beside it): "
            "make one with `python benchmarks/shapes_budget.py --train-reader`"
        )
    verify_sha256(path, json.loads(meta.read_text())["sha256"])
    ckpt = load_file(path)
    if ckpt["architecture"].get("kind") != "shapes-reader":
        raise CheckpointError(f"{path} is an infogan-edu checkpoint but not a Shapes reader")
    reader = ShapesReader()
    try:
        reader.load_state_dict(ckpt["model"])
    except RuntimeError as e:
        raise CheckpointError(
            f"{path} is a Shapes reader of another architecture ({str(e).splitlines()[0]}); "
            "make a new one with `python benchmarks/shapes_budget.py --train-reader`"
        ) from None
    return reader.eval()


def _as_model_input(images: Tensor) -> Tensor:
    """uint8 (N, 64, 64) in {0, 1} or float (N, 1, 64, 64) in [-1, 1] -> binary float (N, 1, 64, 64) in {-1, 1}.
    Real Shapes are binary; G's grey edges are thresholded at 0 so that both are read the same way."""
    if not torch.is_floating_point(images):
        return to_float_images(images, 1.0)
    return torch.where(images.reshape(-1, 1, 64, 64) > 0, 1.0, -1.0)


def read(reader: ShapesReader, images: Tensor, batch: int = 1000) -> dict[str, Tensor]:
    """The reader's verdict on each image: class (N,) (0-2 a shape, NONE none), its probability (N,), and the
    placement (N, 3) (meaningful where the class is a shape)."""
    shapes, probs, places = [], [], []
    with torch.no_grad():
        for start in range(0, images.shape[0], batch):
            logits, placement = reader(_as_model_input(images[start : start + batch]))
            p, s = logits.softmax(1).max(1)  # (B,), (B,)
            shapes.append(s), probs.append(p), places.append(placement)
    return {"shape": torch.cat(shapes), "prob": torch.cat(probs), "placement": torch.cat(places)}


def redraw_iou(images: Tensor, verdict: dict[str, Tensor]) -> Tensor:
    """IoU (N,) between each binarised image and the renderer's drawing of the shape, scale and centre the reader
    read, at the best of the data's orientations; 0 where the reader found none of the shapes."""
    binary = _as_model_input(images).view(-1, 64, 64) > 0  # (N, 64, 64)
    place = verdict["placement"]
    scale = place[:, 0].clamp(0.3, 1.2)  # a reading outside the data's range is still drawable
    px, py = place[:, 1].clamp(0, 1), place[:, 2].clamp(0, 1)
    best = torch.zeros(binary.shape[0])
    for angle in ORIENTATIONS:
        drawn = draw_shapes(verdict["shape"].clamp(max=2), scale, float(angle), px, py).bool()  # (N, 64, 64)
        inter = (drawn & binary).sum((1, 2)).float()
        union = (drawn | binary).sum((1, 2)).float().clamp_min(1)
        best = torch.maximum(best, inter / union)
    return torch.where(verdict["shape"] == NONE, 0.0, best)


def _wasserstein_1d(a: Tensor, b: Tensor) -> float:
    """W1 between two 1-D samples: the mean gap between their matched quantiles (199 of them)."""
    q = torch.linspace(0.005, 0.995, 199)
    return float((torch.quantile(a.double(), q.double()) - torch.quantile(b.double(), q.double())).abs().mean())


def judge(reader: ShapesReader, images: Tensor, real: Tensor) -> dict:
    """What the reader finds in `images` (e.g. G's samples), next to its reading of real Shapes `real`:

    - confident: share of images read as one of the three shapes with probability >= CONFIDENT (confident_real:
      the same share on the real images, the reader's own rate);
    - none: share of images read as none of the shapes (class NONE, any probability);
    - redrawn: share whose redraw IoU (`redraw_iou`) reaches `iou_min`, the IoU that 90% of the real images reach
      (the reader's own placement error sets it, so the bar is the same for every reader);
    - shares: share of each shape among the confident readings (the data has 1/3 each);
    - w1_scale, w1_pos_x, w1_pos_y: distance between the read scales / centres of the images read as a shape and
      those of `real` (the factors' units: positions in [0, 1], the canvas), 0 when the spreads match.
    """
    mine, ref = read(reader, images), read(reader, real)
    iou_min = float(redraw_iou(real, ref).quantile(0.1))
    iou = redraw_iou(images, mine)
    seen = mine["shape"] != NONE  # (N,) images read as one of the shapes
    confident = (mine["prob"] >= CONFIDENT) & seen
    counts = np.bincount(mine["shape"][confident].numpy(), minlength=3)  # (3,): confident readings per shape
    return {
        "confident": round(float(confident.float().mean()), 4),
        "confident_real": round(float(((ref["prob"] >= CONFIDENT) & (ref["shape"] != NONE)).float().mean()), 4),
        "none": round(float((mine["shape"] == NONE).float().mean()), 4),
        "redrawn": round(float((iou >= iou_min).float().mean()), 4),
        "iou_median": round(float(iou.median()), 4),
        "iou_min": round(iou_min, 4),
        "shares": [round(float(c) / max(1, int(counts.sum())), 4) for c in counts],
        **{
            f"w1_{k}": round(_wasserstein_1d(mine["placement"][seen, i], ref["placement"][:, i]), 4)
            if bool(seen.any())
            else float("nan")
            for i, k in enumerate(PLACEMENT)
        },
    }
