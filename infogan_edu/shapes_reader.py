"""A reference reader of Shapes images: does a generator draw the Shapes?

A GAN's samples can look like "white blobs of about the right size" long before they are squares, ellipses and
hearts. To tell the two apart without a person looking, we train a small network on *real* Shapes images, whose
factors are known, and apply it to generated images:

- a shape head: which of the 3 shapes, with its softmax confidence;
- a placement head: the scale and the centre (pos_x, pos_y) in the data's units (scale in [0.5, 1], positions in
  [0, 1]); orientation is left out, since a square repeats after a quarter turn and an ellipse after a half turn.

A classifier alone can be confident about a blob (a blob is nearer an ellipse than a heart), so the reader also
**redraws** what it read: the renderer draws the shape it names at the scale and centre it reads, at each of the
data's 40 orientations, and the best intersection over union (IoU) with the binarised image says whether the image
*is* that shape there. On real images the IoU is high (the placement head is off by a fraction of a pixel); on a
blob of the right size it is low.

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
from .data.shapes import SHAPES_FACTORS, draw_shapes, sample_shapes

__all__ = [
    "CONFIDENT",
    "ShapesReader",
    "judge",
    "load_reader",
    "read",
    "redraw_iou",
    "save_reader",
    "train_reader",
]

CONFIDENT = 0.9  # a shape is "read confidently" when its softmax probability is at least this
PLACEMENT = ("scale", "pos_x", "pos_y")
# the placement targets are standardised with the mean and spread of the data's uniform grids
_MEAN = torch.tensor([float(SHAPES_FACTORS[k].mean()) for k in PLACEMENT])  # (3,)
_STD = torch.tensor([float(SHAPES_FACTORS[k].std()) for k in PLACEMENT])  # (3,)
ORIENTATIONS = torch.as_tensor(SHAPES_FACTORS["orientation"][:-1], dtype=torch.float32)  # 0 and 2 pi are one image


class ShapesReader(nn.Module):
    """x (B, 1, 64, 64) in [-1, 1] -> (shape logits (B, 3), placement (B, 3): scale, pos_x, pos_y)."""

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = [1, 32, 64, 64, 64]
        for c_in, c_out in zip(channels[:-1], channels[1:], strict=True):  # 64 -> 32 -> 16 -> 8 -> 4 pixels
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1), nn.LeakyReLU(0.1)]
        self.trunk = nn.Sequential(*layers, nn.Flatten(), nn.Linear(64 * 4 * 4, 128), nn.LeakyReLU(0.1))
        self.shape_head = nn.Linear(128, 3)
        self.placement_head = nn.Linear(128, 3)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        h = self.trunk(x)  # (B, 128)
        return self.shape_head(h), self.placement_head(h) * _STD + _MEAN  # (B, 3), (B, 3) in the data's units


def train_reader(steps: int = 3000, batch: int = 128, seed: int = 0, lr: float = 1e-3) -> ShapesReader:
    """Train a reader on freshly rendered real Shapes (a new batch every step, so it never sees an image twice):
    cross-entropy on the shape plus the squared error of the standardised placement."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    reader = ShapesReader()
    opt = torch.optim.Adam(reader.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    for _ in range(steps):
        images, factors, _ = sample_shapes(batch, gen)
        target = torch.stack([factors["value"][k] for k in PLACEMENT], dim=1)  # (B, 3)
        logits, placement = reader(to_float_images(images, 1.0))
        loss = nn.functional.cross_entropy(logits, factors["index"]["shape"])
        loss = loss + ((placement - target) / _STD).square().mean()
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
    meta = {"file": path.name, "sha256": sha256_file(path), "bytes": path.stat().st_size, **provenance}
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
    reader.load_state_dict(ckpt["model"])
    return reader.eval()


def _as_model_input(images: Tensor) -> Tensor:
    """uint8 (N, 64, 64) in {0, 1} or float (N, 1, 64, 64) in [-1, 1] -> binary float (N, 1, 64, 64) in {-1, 1}.
    Real Shapes are binary; G's grey edges are thresholded at 0 so that both are read the same way."""
    if not torch.is_floating_point(images):
        return to_float_images(images, 1.0)
    return torch.where(images.reshape(-1, 1, 64, 64) > 0, 1.0, -1.0)


def read(reader: ShapesReader, images: Tensor, batch: int = 1000) -> dict[str, Tensor]:
    """The reader's verdict on each image: shape (N,), its probability (N,), and the placement (N, 3)."""
    shapes, probs, places = [], [], []
    with torch.no_grad():
        for start in range(0, images.shape[0], batch):
            logits, placement = reader(_as_model_input(images[start : start + batch]))
            p, s = logits.softmax(1).max(1)  # (B,), (B,)
            shapes.append(s), probs.append(p), places.append(placement)
    return {"shape": torch.cat(shapes), "prob": torch.cat(probs), "placement": torch.cat(places)}


def redraw_iou(images: Tensor, verdict: dict[str, Tensor]) -> Tensor:
    """IoU (N,) between each binarised image and the renderer's drawing of the shape, scale and centre the reader
    read, at the best of the data's orientations."""
    binary = _as_model_input(images).view(-1, 64, 64) > 0  # (N, 64, 64)
    place = verdict["placement"]
    scale = place[:, 0].clamp(0.3, 1.2)  # a reading outside the data's range is still drawable
    px, py = place[:, 1].clamp(0, 1), place[:, 2].clamp(0, 1)
    best = torch.zeros(binary.shape[0])
    for angle in ORIENTATIONS:
        drawn = draw_shapes(verdict["shape"], scale, float(angle), px, py).bool()  # (N, 64, 64)
        inter = (drawn & binary).sum((1, 2)).float()
        union = (drawn | binary).sum((1, 2)).float().clamp_min(1)
        best = torch.maximum(best, inter / union)
    return best


def _wasserstein_1d(a: Tensor, b: Tensor) -> float:
    """W1 between two 1-D samples: the mean gap between their matched quantiles (99 of them)."""
    q = torch.linspace(0.005, 0.995, 199)
    return float((torch.quantile(a.double(), q.double()) - torch.quantile(b.double(), q.double())).abs().mean())


def judge(reader: ShapesReader, images: Tensor, real: Tensor) -> dict:
    """What the reader finds in `images` (e.g. G's samples), next to its reading of real Shapes `real`:

    - confident: share of images read as one shape with probability >= CONFIDENT (confident_real: the same share
      on the real images, the reader's own rate);
    - redrawn: share whose redraw IoU (`redraw_iou`) reaches `iou_min`, the IoU that 90% of the real images reach
      (the reader's own placement error sets it, so the bar is the same for every reader);
    - shares: share of each shape among the confident readings (the data has 1/3 each);
    - w1_scale, w1_pos_x, w1_pos_y: distance between the read scales / centres of `images` and of `real`
      (the factors' units: positions in [0, 1], the canvas), 0 when the spreads match.
    """
    mine, ref = read(reader, images), read(reader, real)
    iou_min = float(redraw_iou(real, ref).quantile(0.1))
    iou = redraw_iou(images, mine)
    confident = mine["prob"] >= CONFIDENT
    counts = np.bincount(mine["shape"][confident].numpy(), minlength=3)
    return {
        "confident": round(float(confident.float().mean()), 4),
        "confident_real": round(float((ref["prob"] >= CONFIDENT).float().mean()), 4),
        "redrawn": round(float((iou >= iou_min).float().mean()), 4),
        "iou_median": round(float(iou.median()), 4),
        "iou_min": round(iou_min, 4),
        "shares": [round(float(c) / max(1, int(counts.sum())), 4) for c in counts],
        **{
            f"w1_{k}": round(_wasserstein_1d(mine["placement"][:, i], ref["placement"][:, i]), 4)
            for i, k in enumerate(PLACEMENT)
        },
    }
