"""What G draws, measured: the slant and ink of digit images and how much each continuous code moves them, a
supervised reference digit reader (never used by InfoGAN itself, only to judge G's images), what a sweep of a
continuous code does to the digit, and whether the accuracy of c1 is lost in G or in Q.

`metrics` scores Q against the labels of real images; this module scores G's images.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch

from .data.batching import to_float_images
from .latent import Latent, LatentSpec
from .metrics import ClusterScores, cluster_scores
from .models import evaluating, generate

__all__ = [
    "continuous_code_effects",
    "generated_category_purity",
    "slant_and_ink",
    "SourceOfError",
    "sweep_digits",
    "SweepDigits",
    "train_digit_classifier",
]


def slant_and_ink(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Two visible properties of digit images in [-1, 1], (B, 1, H, W), for checking what a continuous
    code learned (the paper's Figure 2: rotation and stroke width).

    slant: the shear of the ink, cov(x, y) / var(y) from the image's second moments (0 for an
      upright stroke; positive when the top leans right);
    ink: the fraction of the image covered by ink, which grows with stroke width.
    """
    w = (images.squeeze(1).float() + 1) / 2  # (B, H, W) ink weights in [0, 1]
    h, wd = w.shape[-2:]
    ys = torch.arange(h, dtype=w.dtype).view(1, h, 1)
    xs = torch.arange(wd, dtype=w.dtype).view(1, 1, wd)
    mass = w.sum(dim=(1, 2)).clamp_min(1e-6)  # (B,)
    my = (w * ys).sum(dim=(1, 2)) / mass
    mx = (w * xs).sum(dim=(1, 2)) / mass
    dy, dx = ys - my.view(-1, 1, 1), xs - mx.view(-1, 1, 1)  # (B, H, W) each, by broadcasting
    cov_xy = (w * dx * dy).sum(dim=(1, 2)) / mass
    var_y = (w * dy * dy).sum(dim=(1, 2)) / mass
    slant = -cov_xy / var_y.clamp_min(1e-6)  # image rows grow downwards: a right lean has cov < 0
    return slant, mass / (h * wd)


@torch.no_grad()
def continuous_code_effects(
    generator: torch.nn.Module, spec: LatentSpec, n: int = 512, values: tuple[float, float] = (-1.0, 1.0), seed: int = 0
) -> dict[str, dict[str, float]]:
    """For each continuous code: the mean change of slant and ink when the code goes from values[0] to values[1]
    with everything else fixed, in units of their standard deviation across samples (an effect size)."""
    device = next(generator.parameters(), torch.empty(0)).device
    base = spec.sample(n, torch.Generator().manual_seed(seed))
    out = {}
    with evaluating(generator):
        for code in spec.codes:
            if code.kind != "continuous":
                continue
            props = []
            for v in values:
                cont = base.cont.clone()
                cont[:, code.index] = v
                x = generator(spec.to_input(Latent(base.z, base.cat, cont)).to(device)).cpu()
                props.append(slant_and_ink(x))
            (s0, i0), (s1, i1) = props
            out[code.name] = {
                "slant": float((s1 - s0).mean() / torch.cat([s0, s1]).std().clamp_min(1e-6)),
                "ink": float((i1 - i0).mean() / torch.cat([i0, i1]).std().clamp_min(1e-6)),
            }
    return out


def train_digit_classifier(
    images: np.ndarray, labels: np.ndarray, epochs: int = 2, seed: int = 0, hidden: int = 512
) -> torch.nn.Module:
    """A supervised reference reader of digits, for scoring *generated* images (never used by InfoGAN itself).

    An MLP 784-hidden-10, trained with Adam (lr 1e-3, batch 128) on uint8 `images` (N, 28, 28) and `labels` (N,).
    It returns logits (B, 10) for images (B, 1, 28, 28) in [-1, 1], in eval mode. Seeded with `seed` inside
    `torch.random.fork_rng`, so the caller's random stream is left as it was. Its own test accuracy bounds how well
    it can judge G's samples: report it next to anything it scores.
    """
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        net = torch.nn.Sequential(
            torch.nn.Flatten(), torch.nn.Linear(784, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10)
        )
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        x, y = to_float_images(images), torch.as_tensor(labels, dtype=torch.long)  # (N, 1, 28, 28), (N,)
        for _ in range(epochs):
            order = torch.randperm(len(x))
            for start in range(0, len(x), 128):
                idx = order[start : start + 128]
                loss = torch.nn.functional.cross_entropy(net(x[idx]), y[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
    return net.eval()


class SweepDigits(NamedTuple):
    kept: float  # fraction of traversal rows whose digit at this value is the digit at the code's 0
    distinct: float  # mean number of different digits among the categories' images at this value


@torch.no_grad()
def sweep_digits(
    generator: torch.nn.Module,
    spec: LatentSpec,
    classify: Callable[[torch.Tensor], torch.Tensor],
    code: str,
    values: list[float],
    n_noise: int = 50,
    seed: int = 0,
) -> dict[float, SweepDigits]:
    """Does sweeping a continuous `code` change *what digit* G draws, or only its style?

    For `n_noise` noise draws z (and the other continuous codes at 0), every value k of c1 and every value v of
    `code`, G(z, c1 = k, code = v) is read by `classify` (a reference digit classifier, images (B, 1, H, W) in
    [-1, 1] -> logits (B, 10)). Per value v:
    - `kept`: over all (z, k) rows, the fraction whose digit at v equals the digit at `code` = 0. A code that
      carries style only keeps it near 1 over its training range;
    - `distinct`: the number of different digits among the K images of one z at v, averaged over z. It stays near
      K while the categories draw different digits, and falls towards 1 where they collapse to one shape.
    """
    if spec.code(code).kind != "continuous":
        raise ValueError(f"sweep_digits sweeps a continuous code; {code!r} is {spec.code(code).kind}")
    sweep = [0.0, *[float(v) for v in values]]  # column 0: the reference value
    k = spec.categorical[0]
    draws = spec.sample(n_noise, torch.Generator().manual_seed(seed))
    digits = []
    for i in range(n_noise):
        base = Latent(draws.z[i : i + 1], draws.cat[i : i + 1], torch.zeros_like(draws.cont[i : i + 1]))
        latent = spec.grid("c1", list(range(k)), code, sweep, base=base)  # (K * len(sweep), ...) row-major
        images = generate(generator, spec, latent)  # (K * len(sweep), 1, H, W)
        digits.append(classify(images).argmax(1).reshape(k, len(sweep)))  # (K, len(sweep))
    d = torch.stack(digits)  # (n_noise, K, len(sweep))
    out = {}
    for j, v in enumerate(sweep[1:], start=1):
        kept = (d[:, :, j] == d[:, :, 0]).float().mean()
        distinct = np.mean([len(set(row.tolist())) for row in d[:, :, j]])
        out[v] = SweepDigits(float(kept), float(distinct))
    return out


class SourceOfError(NamedTuple):
    generator_purity: ClusterScores  # G's categories against a reference classifier's digit on G's samples
    q_reads_c: float  # fraction of G's samples for which argmax Q(c1 | G(z, c)) is the c1 that drew them


@torch.no_grad()
def generated_category_purity(
    model: torch.nn.Module,
    classify: Callable[[torch.Tensor], torch.Tensor],
    per_category: int = 1000,
    seed: int = 0,
    batch_size: int = 1000,
) -> SourceOfError:
    """Where the accuracy of c1 is lost: in G, or in Q?

    Draws `per_category` images from G for each value k of c1 (z and the continuous codes at random), then
    - labels them with `classify` (any digit classifier: images (B, 1, H, W) in [-1, 1] -> logits (B, 10)) and
      scores c1 against those labels with the Hungarian matching: G's *purity*, how often category k draws one
      digit. The classifier's own mistakes count against G, so read it next to the classifier's test accuracy;
    - asks Q for c1 back: the fraction read correctly, which is high whenever L_I is close to H(c).
    When Q's test accuracy is close to G's purity and Q reads c1 back from G's samples, the accuracy was lost in G
    (categories that draw more than one digit), not in Q's reading of real digits.
    `model` is an `InfoGAN`, evaluated in eval mode (BatchNorm running statistics); its mode is restored.
    """
    spec: LatentSpec = model.spec
    k = spec.categorical[0]
    device = next(model.parameters()).device
    drawn = torch.arange(k).repeat_interleave(per_category)  # (k * per_category,): c1 of each sample
    latent = spec.sample(len(drawn), torch.Generator().manual_seed(seed))  # z, c1 and c2... at random
    latent.cat[:, 0] = drawn  # then c1 set to the value each sample stands for
    digits, read = [], []
    with evaluating(model):
        for start in range(0, len(drawn), batch_size):
            part = Latent(*(t[start : start + batch_size] for t in latent))
            x = model.g(spec.to_input(part).to(device))  # (b, 1, H, W) in [-1, 1]
            digits.append(classify(x).argmax(1).cpu())  # (b,)
            read.append(model.q(x).cat_logits[0].argmax(1).cpu())  # (b,)
    digit, q_read = torch.cat(digits).numpy(), torch.cat(read)
    return SourceOfError(cluster_scores(drawn.numpy(), digit), float((q_read == drawn).float().mean()))
