"""Label-free selection among seeds: each criterion against a value worked out independently."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from infogan_edu.latent import QOutput
from infogan_edu.selection import (
    CRITERIA,
    agreement,
    agreement_matrix,
    balance,
    confidence,
    encoding_agreement_matrix,
    encoding_similarity,
    label_free_scores,
    partition_nmi,
    perturbed,
    pick,
    stability,
)


def _nmi_by_hand(a: np.ndarray, b: np.ndarray) -> float:
    """I(A; B) / ((H(A) + H(B)) / 2) from the joint counts, written out."""
    n = len(a)
    joint = {}
    for u, v in zip(a.tolist(), b.tolist(), strict=True):
        joint[(u, v)] = joint.get((u, v), 0) + 1
    pa = {u: np.mean(a == u) for u in set(a.tolist())}
    pb = {v: np.mean(b == v) for v in set(b.tolist())}
    mi = sum(c / n * math.log((c / n) / (pa[u] * pb[v])) for (u, v), c in joint.items())
    ha = -sum(p * math.log(p) for p in pa.values())
    hb = -sum(p * math.log(p) for p in pb.values())
    return mi / ((ha + hb) / 2)


class _ReadsColumn(nn.Module):
    """A stand-in InfoGAN whose Q(c1 | x) is the column band (of width `band`) that holds the ink's centre."""

    def __init__(self, band: int):
        super().__init__()
        self.band = band
        self.dummy = nn.Parameter(torch.zeros(1))

    def q(self, x: torch.Tensor) -> QOutput:
        ink = (x + 1).squeeze(1)  # (B, H, W)
        cols = torch.arange(x.shape[-1], dtype=x.dtype)
        centre = (ink.sum(1) * cols).sum(1) / ink.sum((1, 2)).clamp_min(1e-6)  # (B,)
        k = (centre // self.band).long().clamp(0, 27)
        return QOutput(
            [torch.nn.functional.one_hot(k, 28).float() * 20], torch.zeros(len(x), 0), torch.zeros(len(x), 0)
        )


def _digits(n: int = 40) -> np.ndarray:
    """Squares of ink at random places, background 0, as uint8 (n, 28, 28)."""
    rng = np.random.default_rng(0)
    out = np.zeros((n, 28, 28), np.uint8)
    for img in out:
        y, x = rng.integers(6, 18, size=2)
        img[y : y + 4, x : x + 4] = 255
    return out


def test_nmi_and_agreement_against_the_formula() -> None:
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 10, 500)
    relabelled = (truth * 3 + 1) % 10  # the same partition with other names
    noisy = np.where(rng.random(500) < 0.3, rng.integers(0, 10, 500), truth)
    other = rng.integers(0, 10, 500)
    for a, b in [(truth, noisy), (truth, other), (noisy, other)]:
        assert partition_nmi(a, b) == pytest.approx(_nmi_by_hand(a, b), abs=1e-9)
    assert partition_nmi(truth, relabelled) == pytest.approx(1.0)
    nmi = agreement_matrix([truth, relabelled, noisy, other])
    ag = agreement(nmi)
    assert ag[0] == pytest.approx((1.0 + _nmi_by_hand(truth, noisy) + _nmi_by_hand(truth, other)) / 3)
    assert np.argmin(ag) == 3  # the run that agrees with nobody
    assert agreement(nmi, [2, 3])[0] == pytest.approx(_nmi_by_hand(noisy, other))
    with pytest.raises(ValueError, match="at least two runs"):
        agreement(nmi, [1])


def test_balance_and_confidence() -> None:
    assert balance(torch.full((7, 10), 0.1)) == pytest.approx(math.log(10))
    assert balance(torch.nn.functional.one_hot(torch.zeros(7, dtype=torch.long), 10).float()) == pytest.approx(
        0, abs=1e-9
    )
    two = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    assert confidence(two) == pytest.approx((0.9 + 0.8 + 0.6) / 3)
    assert balance(two) == pytest.approx(-(1.7 / 3 * math.log(1.7 / 3) + 1.3 / 3 * math.log(1.3 / 3)))


def test_perturbations_move_ink_and_keep_the_background() -> None:
    x = -torch.ones(1, 1, 28, 28)
    x[0, 0, 10, 12] = 1.0
    down, up, right, left, *rotations = perturbed(x)
    assert down[0, 0, 11, 12] == 1 and up[0, 0, 9, 12] == 1 and right[0, 0, 10, 13] == 1 and left[0, 0, 10, 11] == 1
    for v in (down, up, right, left):
        assert (v == -1).sum() == 28 * 28 - 1
    assert len(rotations) == 2
    for r in rotations:
        assert r.min() >= -1 - 1e-6 and r[0, 0, :2].max() == pytest.approx(-1)  # nothing but background enters


def test_stability_counts_the_images_whose_category_survives() -> None:
    images = _digits()
    assert stability(_ReadsColumn(band=28), images) == pytest.approx(1.0)  # one band: nothing can change
    coarse, fine = stability(_ReadsColumn(band=7), images), stability(_ReadsColumn(band=1), images)
    assert fine < coarse < 1.0  # the narrower the bands, the more a 1-pixel shift changes the category
    # with 1-pixel bands the two horizontal shifts always change the category and the vertical ones never do, so
    # of the six changes two count 0, two count 1, and the rotations lie between
    assert 2 / 6 - 1e-6 <= fine <= 4 / 6 + 1e-6


def test_scores_pick_and_bad_input() -> None:
    images = _digits()
    models = [_ReadsColumn(7), _ReadsColumn(7), _ReadsColumn(1)]
    scores = label_free_scores(models, images)
    assert set(CRITERIA) <= set(scores) and scores["nmi"].shape == (3, 3)
    assert pick(scores, "stability") in (0, 1) and pick(scores, "agreement") in (0, 1)
    assert pick(scores, "agreement", members=[1, 2]) in (1, 2)
    with pytest.raises(ValueError, match="unknown criterion"):
        pick(scores, "accuracy")
    with pytest.raises(ValueError, match="unlabelled real images"):
        label_free_scores(models, images[:0])
    with pytest.raises(ValueError, match="at least one trained run"):
        label_free_scores([], images)


# ---------------------------------------------------------------- agreement of continuous encodings
def test_encoding_similarity_against_hand_computed_spearman() -> None:
    # one dimension each: ranks 1..5 against 2,1,4,3,5; sum of squared rank gaps 4, so
    # rho = 1 - 6 * 4 / (5 * (25 - 1)) = 0.8, and both directions of the similarity give 0.8
    a = np.array([[1.0], [2.0], [3.0], [4.0], [5.0]])
    b = np.array([[2.0], [1.0], [4.0], [3.0], [5.0]])
    assert encoding_similarity(a, b) == pytest.approx(0.8)
    # a reversed order is a sign flip: |rho| = 1
    assert encoding_similarity(a, -a) == pytest.approx(1.0)


def test_encoding_similarity_ignores_order_sign_and_monotone_scale() -> None:
    rng = np.random.default_rng(0)
    a = rng.uniform(-1, 1, size=(2000, 3))
    b = np.stack([np.tanh(3 * a[:, 2]), -a[:, 0], a[:, 1] ** 3], axis=1)  # permuted, flipped, squashed
    assert encoding_similarity(a, b) == pytest.approx(1.0)
    noise = rng.uniform(-1, 1, size=(2000, 3))
    assert encoding_similarity(a, noise) < 0.1  # |rho| of unrelated columns ~ 1/sqrt(N), max of 3


def test_encoding_similarity_of_unequal_widths_averages_both_directions() -> None:
    # b holds a's only dimension and one unrelated dimension: from a, the best match is 1; from b, 1 and ~0
    rng = np.random.default_rng(1)
    a = rng.uniform(-1, 1, size=(5000, 1))
    b = np.concatenate([a, rng.uniform(-1, 1, size=(5000, 1))], axis=1)
    assert encoding_similarity(a, b) == pytest.approx(0.5 * (1 + 0.5), abs=0.02)


def test_encoding_agreement_picks_the_run_the_others_share() -> None:
    rng = np.random.default_rng(2)
    factors = rng.uniform(-1, 1, size=(3000, 2))
    loner = rng.uniform(-1, 1, size=(3000, 2))
    runs = [factors, factors[:, ::-1] * -1, np.tanh(factors), loner]
    matrix = encoding_agreement_matrix(runs)
    assert matrix.shape == (4, 4) and np.allclose(np.diag(matrix), 1) and np.allclose(matrix, matrix.T)
    scores = agreement(matrix)
    assert scores[3] < 0.1 and scores[:3].min() > 0.6  # the three readings of one pair of factors agree
    with pytest.raises(ValueError, match="same N"):
        encoding_similarity(factors, factors[:10])
