"""How well does the categorical code c1 match the digit class? Measured on the MNIST *test* set.

InfoGAN is unsupervised: nothing tells it that category 3 should mean the digit 3. We therefore
read Q's guess argmax_k Q(c1 = k | x) for every test image and find the one-to-one relabelling of
categories to digits that maximises the number of matches (the Hungarian method, via scipy's
`linear_sum_assignment` on the negated contingency table). The accuracy under that best matching is
the paper's "5% error" figure. NMI and ARI (scikit-learn) are matching-free cluster scores.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

from .data.batching import to_float_images
from .models import evaluating

__all__ = [
    "category_probabilities",
    "cluster_scores",
    "ClusterScores",
    "contingency",
    "evaluate",
    "hungarian_accuracy",
    "predict_categories",
]


class ClusterScores(NamedTuple):
    accuracy: float  # fraction correct after the best one-to-one matching
    nmi: float
    ari: float
    mapping: dict[int, int]  # category -> label
    confusion: np.ndarray  # (n_labels, n_categories) counts, columns reordered by the matching


def contingency(pred: np.ndarray, labels: np.ndarray, n_pred: int, n_labels: int) -> np.ndarray:
    """Counts table: row = true label, column = predicted category, shape (n_labels, n_pred)."""
    table = np.zeros((n_labels, n_pred), dtype=np.int64)
    np.add.at(table, (np.asarray(labels, dtype=np.int64), np.asarray(pred, dtype=np.int64)), 1)
    return table


def hungarian_accuracy(pred: np.ndarray, labels: np.ndarray) -> tuple[float, dict[int, int]]:
    """Accuracy of `pred` (categories) against `labels` under the best one-to-one matching.

    Returns the accuracy and the mapping category -> label. Categories left unmatched (more
    categories than labels) count as wrong.
    """
    pred, labels = np.asarray(pred), np.asarray(labels)
    if pred.shape != labels.shape or pred.ndim != 1:
        raise ValueError(f"pred and labels must be 1-D of equal length, got {pred.shape} and {labels.shape}")
    if pred.size == 0:
        raise ValueError("hungarian_accuracy needs at least one sample")
    n = int(max(pred.max(), labels.max())) + 1
    table = contingency(pred, labels, n, n)  # (labels, categories)
    rows, cols = linear_sum_assignment(-table)  # maximise the matched counts
    mapping = {int(c): int(r) for r, c in zip(rows, cols, strict=True)}
    return float(table[rows, cols].sum() / pred.size), mapping


def cluster_scores(pred: np.ndarray, labels: np.ndarray) -> ClusterScores:
    """Hungarian accuracy, NMI, ARI and the confusion matrix (columns ordered by matched label)."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score  # here: slow to import

    acc, mapping = hungarian_accuracy(pred, labels)
    n_labels = int(np.max(labels)) + 1
    n_pred = max(int(np.max(pred)) + 1, n_labels)
    table = contingency(pred, labels, n_pred, n_labels)  # (labels, categories)
    order = sorted(range(n_pred), key=lambda c: mapping.get(c, n_pred + c))
    return ClusterScores(
        accuracy=acc,
        nmi=float(normalized_mutual_info_score(labels, pred)),
        ari=float(adjusted_rand_score(labels, pred)),
        mapping=mapping,
        confusion=table[:, order],
    )


@torch.no_grad()
def category_probabilities(
    model: torch.nn.Module,
    images: np.ndarray | torch.Tensor,
    code: int = 0,
    batch_size: int = 1000,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Q(c_code = k | x) for uint8 images (N, H, W), shape (N, K), in eval mode (BatchNorm running stats).

    `model` is an `InfoGAN`; its train/eval mode is restored afterwards. The result is on the CPU.
    """
    device = device or next(model.parameters()).device
    out = []
    with evaluating(model):
        for start in range(0, len(images), batch_size):
            x = to_float_images(images[start : start + batch_size], device=device)  # (b, 1, H, W) in [-1, 1]
            out.append(torch.softmax(model.q(x).cat_logits[code].float(), dim=1).cpu())  # (b, K)
    return torch.cat(out)  # (N, K)


def predict_categories(
    model: torch.nn.Module,
    images: np.ndarray | torch.Tensor,
    code: int = 0,
    batch_size: int = 1000,
    device: torch.device | str | None = None,
) -> np.ndarray:
    """argmax_k Q(c_code = k | x) for uint8 images (N, H, W), in eval mode (BatchNorm running stats)."""
    return category_probabilities(model, images, code, batch_size, device).argmax(dim=1).numpy()


def evaluate(model: torch.nn.Module, images: np.ndarray | torch.Tensor, labels: np.ndarray) -> ClusterScores:
    """Cluster scores of the first categorical code on a labelled set (use the MNIST test set)."""
    return cluster_scores(predict_categories(model, images), np.asarray(labels))
