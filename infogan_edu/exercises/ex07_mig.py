r"""Checks for exercise 7 (`exercises/ex07_mig.ipynb`): the mutual information gap from entropies.

    check_mig   MIG of discrete codes (N, D) against discrete factors (N, K): against
                `disentanglement.mig_binned`, which computes each I(z_j; v_k) from the joint table

The cases: a hand-worked 4-sample case (MIG = 1/2), the true Shapes factors as codes, the same codes with
two columns swapped and a copy of one code, a code that knows two factors, and a factor that no code knows.
A wrong number is compared with the known mistakes: the top MI without the runner-up subtracted, no division
by H(v_k), bits in the MIs but nats in H(v_k), H of the code instead of the factor's, a sum instead of a mean.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from ._checks import CheckResult, _call, _close, _diagnose, _finish, _fmt, _Mismatch, _scalar

HINTS: dict[str, tuple[str, ...]] = {
    "mutual_information_gap": (
        "Work factor by factor. For factor k you need I(z_j; v_k) for every code dimension j, the largest two of "
        "those numbers, and the factor's own entropy H(v_k).",
        "A plug-in MI needs only entropies of label sequences: I(a; b) = H(a) + H(b) - H(a, b), where the pair "
        "(a, b) becomes one label `a * (b.max() + 1) + b`, and H of labels is `entropy(torch.bincount(x) / N)`.",
        "Per factor: `top, second = sorted(mis, reverse=True)[:2]` and the factor's term is "
        "`(top - second) / H(v_k)`; MIG is the mean of the K terms. Use the same logarithm everywhere.",
    ),
}


def check_mig(
    mutual_information_gap: Callable[[Tensor, Tensor], float],
    *,
    verbose: bool = True,
    raise_on_failure: bool = True,
) -> CheckResult:
    r"""Exercise 7: MIG = 1/K sum_k [ I(v_k; z_top) - I(v_k; z_second) ] / H(v_k) from discrete codes.

    Compared with `disentanglement.mig_binned` on a hand-worked case (exactly 1/2), the true Shapes factors as
    codes, the same with swapped columns and a duplicated code (MIG 0 for that factor), a code that knows two
    factors at once, and a factor no code knows.
    """

    def run() -> str:
        from ..disentanglement import discretize, sample_shapes_factors

        g = torch.Generator().manual_seed(7)
        f = sample_shapes_factors(2000, g)  # (2000, 5) true Shapes factors
        truth = discretize(f.double())  # (2000, 5) the factors as codes, 20 bins
        dup = truth[:, [1, 0, 2, 3, 3]]  # columns swapped, pos_x twice and pos_y in no column
        both = torch.stack([truth[:, 0] * 6 + truth[:, 1], truth[:, 2], torch.randint(20, (2000,), generator=g)], 1)
        cases = [
            ("the hand-worked case", torch.tensor([[0, 0], [0, 0], [1, 0], [1, 1]]),
             torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]])),
            ("the true Shapes factors as codes", truth, f),
            ("swapped columns, one code twice, one factor in no code", dup, f),
            ("one code that knows shape and scale at once", both, f[:, :3]),
        ]  # fmt: skip
        for name, codes, factors in cases:
            _check_one(mutual_information_gap, name, codes, factors)
        return (
            f"mutual_information_gap matches infogan_edu.disentanglement.mig_binned on {len(cases)} cases (the "
            f"hand-worked 1/2, the true factors, swapped and duplicated codes, a code that knows two factors)."
        )

    return _finish(7, run, verbose, raise_on_failure, HINTS["mutual_information_gap"])


def _variants(codes: Tensor, factors: Tensor) -> dict[str, float]:
    """The values that known mistakes produce on this case, each under the hint that names the mistake."""
    from ..disentanglement import mig_binned, plugin_entropy

    r = mig_binned(codes, factors)
    top2 = r.mi.topk(2, dim=0).values  # (2, K)
    h_codes = torch.tensor([plugin_entropy(codes[:, j]) for j in range(codes.shape[1])], dtype=torch.float64)
    best = r.mi.argmax(dim=0)  # (K,) the code with the top MI, per factor
    return {
        "you used the top MI alone; MIG subtracts the runner-up, the second-largest I(z_j; v_k) over the codes, "
        "so that a factor spread over two codes scores low": float((top2[0] / r.factor_entropy).mean()),
        "you did not divide by H(v_k); each factor's gap is a fraction of what there is to know about it, "
        "(top - second) / H(v_k)": float((top2[0] - top2[1]).mean()),
        "your MIs are in bits (log2) but H(v_k) in nats, or the reverse; use one logarithm throughout and the "
        "base cancels": float(r.score / math.log(2)),
        "your MIs are in nats but H(v_k) in bits, or the reverse; use one logarithm throughout and the base "
        "cancels": float(r.score * math.log(2)),
        "you divided by the entropy of the code; MIG divides by the factor's entropy H(v_k)": float(
            ((top2[0] - top2[1]) / h_codes[best]).mean()
        ),
        "you summed the K factors' gaps; MIG is their mean": float(r.per_factor.sum()),
    }


def _check_one(fn: Callable, name: str, codes: Tensor, factors: Tensor) -> None:
    from ..disentanglement import mig_binned

    call = f"mutual_information_gap(codes={_fmt(codes)}, factors={_fmt(factors)})"
    got = _scalar(_call(fn, call, codes.clone(), factors.clone()), call, require_tensor=False)
    expected = mig_binned(codes, factors).score
    if not _close(got, expected, rtol=1e-6, atol=1e-6):
        default = (
            "compute, for each factor k, I(z_j; v_k) for every code j from the counts of the pairs, take the "
            "largest two, and divide their difference by H(v_k); then average over the factors"
        )
        hint = _diagnose(got, _variants(codes, factors), default, atol=1e-6)
        raise _Mismatch(f"for {name}, {call} returned {got:.4f}, expected {expected:.4f}\nWhat to look at: {hint}")
