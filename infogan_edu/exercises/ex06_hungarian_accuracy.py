r"""Checks for exercise 6 (`exercises/ex06_hungarian_accuracy.ipynb`): accuracy by Hungarian matching.

    check_hungarian_accuracy   accuracy under the best one-to-one matching of categories to labels, and
                               the mapping that achieves it: against `metrics.hungarian_accuracy`

The cases: a perfect clustering with permuted names, a noisy one, two categories that share a majority
label, more categories than labels, and a batch of one.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._checks import CheckResult, _call, _close, _diagnose, _finish, _fmt, _Mismatch, _scalar

HINTS: dict[str, tuple[str, ...]] = {
    "unsupervised_accuracy": (
        "Category numbers are arbitrary. Count how often each (label, category) pair occurs, then find the "
        "one-to-one assignment of categories to labels that agrees with the labels most often.",
        "The counts form a square table `counts[label, category]` of size n = max(largest category, largest "
        "label) + 1, filled with `np.add.at`. `scipy.optimize.linear_sum_assignment` finds the assignment of "
        "minimum total cost.",
        "`rows, cols = linear_sum_assignment(-counts)`; the accuracy is `counts[rows, cols].sum() / N` and the "
        "mapping is `{category: label}` read from (rows, cols).",
    ),
}


def check_hungarian_accuracy(
    unsupervised_accuracy: Callable[[np.ndarray, np.ndarray], tuple[float, dict[int, int]]],
    *,
    verbose: bool = True,
    raise_on_failure: bool = True,
) -> CheckResult:
    r"""Exercise 6: accuracy under the best one-to-one matching of categories to labels.

    Compared with `metrics.hungarian_accuracy` on a perfect clustering with permuted names (accuracy
    1), a noisy one, two categories that share a majority label (one-to-one matching must give one of
    them up), more categories than labels, and a batch of one. The returned mapping must be one-to-one
    and must itself achieve the returned accuracy.
    """

    def run() -> str:
        rng = np.random.default_rng(6)
        perm = rng.permutation(10)
        labels = np.repeat(np.arange(10), 20)
        noisy = perm[labels].copy()
        flip = rng.random(labels.size) < 0.3
        noisy[flip] = rng.integers(0, 10, int(flip.sum()))
        shared_labels = np.array([0] * 10 + [1] * 10)
        shared_pred = np.array([0] * 6 + [1] * 4 + [1] * 5 + [2] * 5)
        many_labels = rng.integers(0, 10, 300)
        many_pred = (many_labels * 7 + 3) % 10
        extra = rng.random(many_labels.size) < 0.2
        many_pred[extra] = rng.integers(10, 12, int(extra.sum()))  # two categories no label claims
        cases = [
            ("a perfect clustering with permuted category names", perm[labels], labels),
            ("a noisy clustering (30% reassigned at random)", noisy, labels),
            ("two categories whose majority is the same label", shared_pred, shared_labels),
            ("12 categories for 10 labels", many_pred, many_labels),
            ("a batch of one", np.array([7]), np.array([3])),
        ]
        for name, pred, lab in cases:
            _check_one_accuracy(unsupervised_accuracy, name, pred, lab)
        return (
            f"unsupervised_accuracy matches infogan_edu.metrics.hungarian_accuracy on {len(cases)} cases "
            f"(permuted, noisy, shared majority, more categories than labels, a batch of one), with a "
            f"one-to-one mapping."
        )

    return _finish(6, run, verbose, raise_on_failure, HINTS["unsupervised_accuracy"])


def _check_one_accuracy(fn: Callable, name: str, pred: np.ndarray, labels: np.ndarray) -> None:
    from ..metrics import contingency, hungarian_accuracy  # here: metrics imports scikit-learn, which is slow

    call = f"unsupervised_accuracy(pred={_fmt(pred)}, labels={_fmt(labels)})"
    out = _call(fn, call, pred.copy(), labels.copy())
    where = f"for {name}"
    if not (isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], dict)):
        raise _Mismatch(f"{where}, {call} returned {type(out).__name__}; expected (accuracy, mapping dict)")
    got = _scalar(out[0], call, require_tensor=False)
    mapping = {int(k): int(v) for k, v in out[1].items()}
    expected, _ = hungarian_accuracy(pred, labels)
    raw = float(np.mean(pred == labels))
    table = contingency(pred, labels, int(pred.max()) + 1, int(labels.max()) + 1)  # (labels, categories)
    majority = float(table.max(axis=0).sum() / pred.size)
    targets = [mapping[c] for c in np.unique(pred) if c in mapping]
    if len(set(targets)) != len(targets):
        raise _Mismatch(
            f"{where}, your mapping {mapping} sends two categories to the same label\nWhat to look at: the matching "
            f"must be one-to-one (each label used at most once), which scipy.optimize.linear_sum_assignment "
            f"gives; otherwise many small clusters would score 100%"
        )
    if not _close(got, expected, rtol=1e-9, atol=1e-9):
        variants = {
            "you compared the categories with the labels directly; category numbers are arbitrary, so first "
            "match each category to a label (linear_sum_assignment on the contingency table)": raw,
            "you mapped each category to its majority label, which can use a label twice; the matching must "
            "be one-to-one": majority,
        }
        default = (
            "the accuracy is the fraction of samples whose category is matched to their own label, under the "
            "one-to-one matching with the most agreements (linear_sum_assignment minimises its cost)"
        )
        hint = _diagnose(got, variants, default)
        raise _Mismatch(
            f"{where}, {call} returned accuracy {got:.4f}, expected {expected:.4f}"
            f"\nWhat to look at: {hint}"
        )
    achieved = float(np.mean([mapping.get(int(p), -1) == int(t) for p, t in zip(pred, labels, strict=True)]))
    if not _close(achieved, got, rtol=1e-9, atol=1e-9):
        raise _Mismatch(
            f"{where}, your mapping {mapping} gets {achieved:.4f} of the samples right, but you returned "
            f"accuracy {got:.4f}\nWhat to look at: return the mapping category -> label that the matching found"
        )
