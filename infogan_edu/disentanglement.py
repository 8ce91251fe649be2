r"""Disentanglement metrics where the true factors are known: MIG and the FactorVAE score (lesson 06).

Mutual information makes a code *informative* about the images; whether each code also tracks *one* factor of
variation (and each factor one code) is a separate property, "disentanglement", which can only be measured when
the true factors are known, as for the Shapes data (`infogan_edu.data.shapes`). Two metrics from the literature
that Locatello et al. (2019) compare across many models and seeds:

* **MIG**, the mutual information gap (Chen et al. 2018, "Isolating sources of disentanglement in VAEs"),

      MIG = 1/K sum_k [ I(v_k; z_{j^(k)}) - max_{j != j^(k)} I(v_k; z_j) ] / H(v_k),   j^(k) = argmax_j I(v_k; z_j),

  for factors v_1..v_K and code dimensions z_1..z_D: for each factor, the gap between the code that knows most
  about it and the runner-up, as a fraction of all there is to know about it. 1: each factor is captured by
  exactly one code, fully; 0: no code stands out. The MIs are plug-in estimates on a discretised code
  (`discretize`: 20 equal-width bins per dimension, as in Locatello et al.'s disentanglement_lib), with the
  discrete factors taken as they are.

* **The FactorVAE score** (Kim & Mnih 2018). Fix one factor k at a random value, draw L images with every other
  factor random, encode them, divide each code dimension by its standard deviation over the whole data set, and
  find the dimension with the smallest variance across the L codes: d* = argmin_d Var_l(z_{l,d} / s_d). The
  vote (d*, k) says "dimension d* stays still when factor k is held fixed". A majority-vote classifier
  predicts k from d* (the most frequent factor among d*'s training votes); the score is its accuracy on
  held-out votes. 1/K is chance; 1 means every factor has a code of its own that stays still when it does.

Why the FactorVAE score rather than DCI disentanglement (Eastwood & Williams 2018)? DCI needs a regressor from
codes to factors (lasso or gradient-boosted trees) whose hyperparameters change the score; the FactorVAE score
needs only counting, which a reader can check by hand. It also *intervenes* on the factors (holding one fixed),
which the Shapes renderer allows, while MIG only observes samples, so the two metrics look from two sides.

All MIs and entropies are in nats, computed with `infogan_edu.mi` (`mutual_information`, `entropy`); MIG is a
ratio of nats to nats, so the base of the logarithm cancels, as long as both use the same one.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor

from .data.batching import to_float_images
from .data.shapes import SHAPES_FACTOR_NAMES, SHAPES_SIZES, render_shapes, shapes_index
from .metrics import hungarian_accuracy
from .mi import entropy, mutual_information
from .models import InfoGAN, evaluating

__all__ = [
    "bootstrap_mig",
    "discretize",
    "factor_vae_score",
    "factor_vae_vote",
    "FactorVAEResult",
    "generated_with_codes",
    "joint_distribution",
    "known_factor_scores",
    "majority_vote_accuracy",
    "mi_matrix",
    "mig",
    "mig_binned",
    "MIGResult",
    "N_BINS",
    "plugin_entropy",
    "plugin_mutual_information",
    "q_codes",
    "q_encoding",
    "random_encoder_migs",
    "render_shapes_factors",
    "sample_shapes_factors",
    "shapes_scores",
    "with_population_statistics",
]

N_BINS = 20  # equal-width bins per code dimension, as in disentanglement_lib


# ------------------------------------------------------------------ plug-in information
def discretize(x: Tensor | np.ndarray, n_bins: int = N_BINS) -> Tensor:
    """Each column of x (N, D) cut into `n_bins` equal-width bins between its min and max: long (N, D) in
    0..n_bins-1. A constant column falls in bin 0."""
    x = torch.as_tensor(np.asarray(x) if not isinstance(x, Tensor) else x, dtype=torch.float64)
    if x.ndim == 1:
        x = x[:, None]  # (N, 1)
    lo, hi = x.min(0).values, x.max(0).values  # (D,) each
    width = torch.where(hi > lo, (hi - lo) / n_bins, torch.ones_like(hi))  # (D,)
    return ((x - lo) / width).floor().long().clamp_(0, n_bins - 1)  # (N, D); the max lands in the last bin


def _as_labels(a: Tensor | np.ndarray, what: str) -> Tensor:
    t = torch.as_tensor(np.asarray(a) if not isinstance(a, Tensor) else a)
    if torch.is_floating_point(t) or t.dtype == torch.bool:
        raise ValueError(
            f"{what} must be integer indices (got {t.dtype}); discretise continuous values first with "
            "infogan_edu.disentanglement.discretize"
        )
    return t.long()


def joint_distribution(a: Tensor, b: Tensor) -> Tensor:
    """The empirical joint p(a, b) of two integer sequences (N,): a table (max a + 1, max b + 1) summing to 1."""
    a, b = _as_labels(a, "a").reshape(-1), _as_labels(b, "b").reshape(-1)
    if a.numel() != b.numel() or a.numel() == 0:
        raise ValueError(f"need two non-empty sequences of the same length, got {a.numel()} and {b.numel()}")
    if int(a.min()) < 0 or int(b.min()) < 0:
        raise ValueError("labels must be >= 0")
    n_b = int(b.max()) + 1
    counts = torch.bincount(a * n_b + b, minlength=(int(a.max()) + 1) * n_b)  # (n_a * n_b,)
    return counts.view(-1, n_b).double() / a.numel()  # (n_a, n_b)


def plugin_mutual_information(a: Tensor, b: Tensor) -> float:
    r"""The plug-in estimate I(a; b) = sum_{a,b} p^(a, b) log[ p^(a, b) / (p^(a) p^(b)) ], p^ the empirical
    frequencies of the N pairs, in nats. Biased upwards by about (|A| - 1)(|B| - 1) / (2N) for independent a, b."""
    return mutual_information(joint_distribution(a, b))


def plugin_entropy(a: Tensor) -> float:
    r"""H(a) = -sum_a p^(a) log p^(a) of an integer sequence, in nats."""
    a = _as_labels(a, "a").reshape(-1)
    return float(entropy(torch.bincount(a).double() / a.numel()))


def mi_matrix(codes_binned: Tensor, factors: Tensor) -> Tensor:
    """I(z_j; v_k) for every discretised code dimension j (columns of (N, D)) and factor k (columns of (N, K)):
    a float64 table (D, K), in nats."""
    codes_binned, factors = _as_labels(codes_binned, "codes_binned"), _as_labels(factors, "factors")
    if codes_binned.ndim != 2 or factors.ndim != 2 or codes_binned.shape[0] != factors.shape[0]:
        raise ValueError(
            f"codes must be (N, D) and factors (N, K) with the same N, got {tuple(codes_binned.shape)} "
            f"and {tuple(factors.shape)}"
        )
    table = torch.zeros(codes_binned.shape[1], factors.shape[1], dtype=torch.float64)
    for j in range(codes_binned.shape[1]):
        for k in range(factors.shape[1]):
            table[j, k] = plugin_mutual_information(codes_binned[:, j], factors[:, k])
    return table


# ------------------------------------------------------------------ MIG
class MIGResult(NamedTuple):
    score: float  # MIG, the mean of `per_factor`
    per_factor: Tensor  # (K,) [I(top) - I(second)] / H(v_k)
    mi: Tensor  # (D, K) I(z_j; v_k) in nats
    factor_entropy: Tensor  # (K,) H(v_k) in nats


def mig(codes: Tensor | np.ndarray, factors: Tensor | np.ndarray, n_bins: int = N_BINS) -> MIGResult:
    r"""The mutual information gap of codes (N, D) (float; each column is discretised into `n_bins` equal-width
    bins) against discrete factors (N, K) (integer indices):

        MIG = 1/K sum_k [ I(v_k; z_{j^(k)}) - max_{j != j^(k)} I(v_k; z_j) ] / H(v_k)

    Needs D >= 2 code dimensions (a gap needs a runner-up)."""
    return mig_binned(discretize(codes, n_bins), factors)


def mig_binned(codes_binned: Tensor | np.ndarray, factors: Tensor | np.ndarray) -> MIGResult:
    """MIG of codes that are already discrete, (N, D) integer labels, against discrete factors (N, K)."""
    binned = _as_labels(codes_binned, "codes_binned")
    factors = _as_labels(factors, "factors")
    if binned.ndim == 1:
        binned = binned[:, None]  # (N, 1)
    if factors.ndim == 1:
        factors = factors[:, None]  # (N, 1)
    if binned.shape[1] < 2:
        raise ValueError(f"MIG needs at least 2 code dimensions, got {binned.shape[1]}")
    mi = mi_matrix(binned, factors)  # (D, K): I(z_j; v_k)
    h = torch.tensor([plugin_entropy(factors[:, k]) for k in range(factors.shape[1])], dtype=torch.float64)
    if (h <= 0).any():
        raise ValueError("a factor is constant in this sample (H(v_k) = 0); MIG is undefined for it")
    top2 = mi.topk(2, dim=0).values  # (2, K): I(v_k; z_{j^(k)}) and the runner-up
    per_factor = (top2[0] - top2[1]) / h  # (K,) the gap, normalised by H(v_k)
    return MIGResult(float(per_factor.mean()), per_factor, mi, h)  # 1/K sum_k


# ------------------------------------------------------------------ the FactorVAE score
def factor_vae_vote(codes: Tensor, scale: Tensor, active: Tensor) -> int:
    r"""One vote: d* = argmin_d Var_l(z_{l,d} / s_d) over the active dimensions, for codes (L, D) of L images
    that share one factor's value; `scale` (D,) is s_d, the standard deviation over the data set."""
    var = (codes / scale).var(dim=0, unbiased=True)  # (D,) Var_l(z_{l,d} / s_d)
    var = torch.where(active, var, torch.full_like(var, float("inf")))  # collapsed dimensions never win
    return int(var.argmin())


def majority_vote_accuracy(
    train_votes: np.ndarray, eval_votes: np.ndarray, n_dims: int, n_factors: int
) -> tuple[float, np.ndarray]:
    """Accuracy of the majority-vote classifier: votes are (n, 2) arrays of (d*, k). Trained on `train_votes`,
    it predicts for dimension d the factor most often voted with it (ties: the lowest k); scored on `eval_votes`.
    Returns (accuracy, the training counts table (n_dims, n_factors))."""
    table = np.zeros((n_dims, n_factors), dtype=np.int64)
    np.add.at(table, (train_votes[:, 0], train_votes[:, 1]), 1)  # counts[d, k]
    predict = table.argmax(axis=1)  # (n_dims,): the factor each dimension votes for
    return float(np.mean(predict[eval_votes[:, 0]] == eval_votes[:, 1])), table


class FactorVAEResult(NamedTuple):
    score: float  # accuracy of the majority-vote classifier on held-out votes
    counts: np.ndarray  # (D, K) training votes: how often dimension d was the stillest when factor k was fixed
    active: np.ndarray  # (D,) bool: dimensions whose spread over the data exceeds `min_scale`


def factor_vae_score(
    encode: Callable[[Tensor], Tensor],
    sample_factors: Callable[[int, torch.Generator], Tensor],
    render: Callable[[Tensor], Tensor],
    n_train: int = 500,
    n_eval: int = 300,
    batch: int = 64,
    n_scale: int = 5000,
    min_scale: float = 0.05,
    seed: int = 0,
) -> FactorVAEResult:
    r"""The FactorVAE score (Kim & Mnih 2018) with interventions on the factors.

    `sample_factors(n, generator)` draws factor indices (n, K); `render(factors)` makes their images;
    `encode(images)` returns codes (n, D). s_d is measured on `n_scale` random images; dimensions with
    s_d < `min_scale` are ignored (a collapsed code would otherwise always be the stillest). Each of the
    `n_train + n_eval` votes fixes one factor k (cycling through all K) for `batch` images."""
    gen = torch.Generator().manual_seed(seed)
    scale = encode(render(sample_factors(n_scale, gen))).double().std(dim=0)  # (D,) s_d
    active = scale >= min_scale
    if not bool(active.any()):
        raise ValueError(f"every code dimension has a spread below min_scale={min_scale}: the encoder has collapsed")
    votes = np.zeros((n_train + n_eval, 2), dtype=np.int64)
    for i in range(n_train + n_eval):
        factors = sample_factors(batch, gen)  # (L, K)
        k = i % factors.shape[1]
        factors[:, k] = factors[0, k]  # hold factor k fixed at one random value
        codes = encode(render(factors)).double()  # (L, D)
        votes[i] = (factor_vae_vote(codes, scale.clamp_min(min_scale), active), k)
    acc, counts = majority_vote_accuracy(votes[:n_train], votes[n_train:], int(scale.numel()), factors.shape[1])
    return FactorVAEResult(acc, counts, active.numpy())


# ------------------------------------------------------------------ Shapes and InfoGAN
def sample_shapes_factors(n: int, generator: torch.Generator) -> Tensor:
    """Uniform factor indices (n, 5) of the Shapes data (shape, scale, orientation, pos_x, pos_y)."""
    return torch.stack([torch.randint(s, (n,), generator=generator) for s in SHAPES_SIZES], dim=1)  # (n, 5)


def render_shapes_factors(factors: Tensor) -> Tensor:
    """uint8 images (n, 64, 64) in {0, 1} of factor indices (n, 5)."""
    return render_shapes(shapes_index(*factors.T.numpy()))[0]


def with_population_statistics(
    model: InfoGAN, images: Tensor | None = None, n: int = 5000, batch: int = 500, seed: int = 0, pixel_max: float = 1.0
) -> InfoGAN:
    """A copy of `model` in eval mode whose BatchNorm layers hold the mean and variance of their inputs over `n`
    samples: G's layers on G(z, c), D's trunk and Q's head on `images` (uint8, `pixel_max` white: 1 for Shapes) or,
    when `images` is None, on G(z, c). Training normalises with each batch's own statistics, and after a short
    run the running averages that eval mode uses still lag the weights; re-estimating them gives an encoder with
    fixed statistics (needed by the FactorVAE score, whose batches are not random) that matches training."""
    m = copy.deepcopy(model)
    for layer in m.modules():
        if isinstance(layer, torch.nn.modules.batchnorm._BatchNorm):
            layer.reset_running_stats()
            layer.momentum = None  # a cumulative average over every batch seen
    gen = torch.Generator().manual_seed(seed)
    m.train()
    with torch.no_grad():
        for start in range(0, n, batch):
            size = min(batch, n - start)
            fake = m.g(m.spec.to_input(m.spec.sample(size, gen)))  # (B, 1, H, W): updates G's statistics
            x = fake if images is None else to_float_images(images[start : start + size], pixel_max)
            m.q(x)  # updates the statistics of D's trunk and Q's head
    return m.eval()


def q_codes(
    model: InfoGAN, images: Tensor, pixel_max: float = 1.0, batch: int = 1000, soft: bool = False
) -> Tensor:
    """Q as an encoder: [argmax of each categorical code | mean of each continuous code], (N, n_cat + n_cont).

    `images` are uint8 (N, H, W) (`pixel_max` maps to +1: 1 for Shapes, 255 for MNIST) or float (N, 1, H, W)
    already in [-1, 1], such as G's output. With `soft`, each categorical code gives its probabilities
    Q(c_cat = k | x) instead of the argmax, (N, sum of K + n_cont): see `q_encoding`."""
    out = []
    with torch.no_grad(), evaluating(model):
        for start in range(0, images.shape[0], batch):
            x = images[start : start + batch]
            if not torch.is_floating_point(x):
                x = to_float_images(x, pixel_max)  # (B, 1, H, W) in [-1, 1]
            q = model.q(x)
            if soft:
                cats = [logits.softmax(1) for logits in q.cat_logits]  # each (B, K)
            else:
                cats = [logits.argmax(1, keepdim=True).float() for logits in q.cat_logits]  # each (B, 1)
            out.append(torch.cat([*cats, q.mean], dim=1))  # (B, n_cat or sum of K, + n_cont)
    return torch.cat(out)


def q_encoding(model: InfoGAN, images: Tensor, pixel_max: float = 1.0, batch: int = 1000) -> Tensor:
    """Q's soft reading of each image, for comparing runs without labels (`selection.encoding_similarity`):
    [Q(c_cat = k | x) for every category of every categorical code | mean of each continuous code],
    (N, sum of K + n_cont). Unlike the argmax of `q_codes`, nothing is rounded, so ranks stay informative."""
    return q_codes(model, images, pixel_max, batch, soft=True)


def generated_with_codes(model: InfoGAN, n: int, seed: int = 0, batch: int = 1000) -> tuple[Tensor, Tensor]:
    """n images G(z, c), float (n, 1, H, W) in [-1, 1] (what Q was trained on), and their known codes c as one
    float table (n, n_cat + n_cont): [c_cat | c_cont]."""
    gen = torch.Generator().manual_seed(seed)
    images, codes = [], []
    with torch.no_grad(), evaluating(model):
        for start in range(0, n, batch):
            latent = model.spec.sample(min(batch, n - start), gen)
            x = model.g(model.spec.to_input(latent))  # (B, 1, H, W) in [-1, 1]
            images.append(x)
            codes.append(torch.cat([latent.cat.float(), latent.cont], dim=1))  # (B, n_cat + n_cont)
    return torch.cat(images), torch.cat(codes)


def shapes_scores(
    model: InfoGAN, n: int = 10_000, votes: tuple[int, int] = (500, 300), seed: int = 0, n_boot: int = 0
) -> dict:
    """Every metric of lesson 06 for one Shapes model, Q as the encoder (benchmarks/shapes_study.py uses it too),
    with BatchNorm statistics re-estimated on the images being encoded (`with_population_statistics`):

    - mig_generated: MIG of Q's read-out [argmax c1 | means of the continuous codes] of n images G(z, c) against
      their known codes c (c1 as it is; each continuous code cut into 20 equal-width bins, a discrete factor);
    - mig_real, mig_real_per_factor: MIG of Q's read-out of n real Shapes images against their 5 true factors;
    - factor_vae_real: the FactorVAE score on real Shapes images (votes[0] training, votes[1] held-out votes);
    - shape_accuracy: argmax c1 as the shape (3 classes) on the real images, under the best matching;
    - with n_boot > 0, mig_real_interval: the 95% bootstrap interval of mig_real (`bootstrap_mig`), and
      factor_vae_se: the standard error sqrt(p (1 - p) / votes[1]) of the held-out vote count.
    """
    on_fake = with_population_statistics(model, None, seed=seed)
    fake, codes = generated_with_codes(on_fake, n, seed=seed)
    n_cat = len(model.spec.categorical)
    known = torch.cat([codes[:, :n_cat].long(), discretize(codes[:, n_cat:])], dim=1)  # (n, n_codes) discrete
    gen = mig(q_codes(on_fake, fake), known)
    factors = sample_shapes_factors(n, torch.Generator().manual_seed(seed))  # (n, 5)
    real_images = render_shapes_factors(factors)  # (n, 64, 64)
    on_real = with_population_statistics(model, real_images[:5000], seed=seed)
    read = q_codes(on_real, real_images)  # (n, n_cat + n_cont)
    real = mig(read, factors)
    fvae = factor_vae_score(
        lambda images: q_codes(on_real, images),
        sample_shapes_factors,
        render_shapes_factors,
        n_train=votes[0],
        n_eval=votes[1],
        seed=seed,
    )
    acc, _ = hungarian_accuracy(read[:, 0].long().numpy(), factors[:, 0].numpy()) if n_cat else (float("nan"), {})
    spread = {}
    if n_boot:
        low, high = bootstrap_mig(read, factors, n_boot=n_boot, seed=seed)
        se = math.sqrt(fvae.score * (1 - fvae.score) / votes[1])
        spread = {"mig_real_interval": [round(low, 4), round(high, 4)], "factor_vae_se": round(se, 4)}
    return {
        "mig_generated": round(gen.score, 4),
        "mig_real": round(real.score, 4),
        "mig_real_per_factor": dict(zip(SHAPES_FACTOR_NAMES, real.per_factor.round(decimals=4).tolist(), strict=True)),
        "factor_vae_real": round(fvae.score, 4),
        "shape_accuracy": round(acc, 4),
        **spread,
    }


def known_factor_scores(model: InfoGAN, images: Tensor, factors: dict, also: dict | None = None) -> dict:
    """Q read against the known factors {name: (N,)} of real uint8 images (N, H, W) in 0..255, e.g. the rendered
    heads and chairs (`data.render3d`), BatchNorm statistics re-estimated on them (`with_population_statistics`):
    rho, Spearman's rho of each continuous code's mean against each factor and each variable of `also` (e.g.
    |azimuth|), {name: [rho of each code]} (None for a constant code); best_abs_rho, the largest |rho| per name; MIG
    of Q's read-out [argmax of each categorical code | continuous means] against the factors cut into N_BINS bins."""
    from scipy.stats import spearmanr

    on_real = with_population_statistics(model, images[:5000], pixel_max=255.0)
    read = q_codes(on_real, images, pixel_max=255.0).double()  # (N, n_cat + n_cont)
    means = read[:, len(model.spec.categorical) :].numpy().T  # (n_cont, N)
    rho = {
        k: [None if np.ptp(m) == 0 else round(float(spearmanr(m, np.asarray(v)).statistic), 4) for m in means]
        for k, v in {**factors, **(also or {})}.items()
    }
    truth = discretize(torch.stack([torch.as_tensor(np.asarray(v)).double() for v in factors.values()], 1))  # (N, K)
    gap = mig(read, truth) if read.shape[1] >= 2 else None  # a gap needs two code dimensions
    per_factor = gap.per_factor.round(decimals=4).tolist() if gap else [None] * len(factors)
    return {
        "mig": round(gap.score, 4) if gap else None,
        "mig_per_factor": dict(zip(factors, per_factor, strict=True)),
        "rho": rho,
        "best_abs_rho": {k: max((abs(r) for r in rs if r is not None), default=None) for k, rs in rho.items()},
    }


# ------------------------------------------------------------------ how much of a score is noise
def bootstrap_mig(
    codes: Tensor, factors: Tensor, n_boot: int = 200, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """A percentile bootstrap interval for MIG: resample the N (code, factor) pairs with replacement `n_boot`
    times and return the (1 - level) / 2 and (1 + level) / 2 quantiles of the resampled MIGs. It says how much
    the score moves with the sample of images alone; the seed's spread is a different question."""
    gen = torch.Generator().manual_seed(seed)
    n = codes.shape[0]
    draws = (torch.randint(n, (n,), generator=gen) for _ in range(n_boot))  # each (N,) indices with replacement
    scores = [mig(codes[idx], factors[idx]).score for idx in draws]
    low, high = np.quantile(scores, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def random_encoder_migs(like: InfoGAN, n_encoders: int = 20, n: int = 10_000, seed: int = 0) -> list[float]:
    """MIG on real Shapes images of `n_encoders` untrained copies of `like`'s architecture, Q as the encoder,
    scored as `shapes_scores` scores a trained model (the same images, BatchNorm statistics re-estimated). An
    untrained network already knows something of where the ink is, so this is the floor a trained encoder must
    clear, estimator bias included, not zero."""
    factors = sample_shapes_factors(n, torch.Generator().manual_seed(seed))  # (n, 5), as in shapes_scores
    real_images = render_shapes_factors(factors)  # (n, 64, 64)
    out = []
    for k in range(n_encoders):
        torch.manual_seed(10_000 + k)
        untrained = InfoGAN(like.spec, like.width, like.image_size)
        on_real = with_population_statistics(untrained, real_images[:5000], seed=seed)
        out.append(mig(q_codes(on_real, real_images), factors).score)
    return out
