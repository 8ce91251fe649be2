r"""Checks for exercise 5 (`exercises/ex05_traversal_batch.ipynb`): the batch of latents behind a traversal.

    check_traversal   one row per value of the swept code, the noise z and every other code kept at
                      `base`: against `LatentSpec.traversal`, on MNIST's spec and a spec with two
                      categorical codes; `base` must not be modified
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from ..latent import Latent, LatentSpec
from ._checks import CheckResult, _call, _finish, _fmt, _Mismatch, _num

HINTS: dict[str, tuple[str, ...]] = {
    "traversal_batch": (
        "Every row is a copy of `base`, except the swept code, which takes the i-th value in row i. First find "
        "out whether the code is categorical or continuous, and which column it has.",
        "`spec.code(code)` gives `.kind` and `.index`. Repeat base's single row n times with "
        "`base.z.expand(n, -1).clone()` (and the same for `cat` and `cont`), so that you never write into "
        "`base`.",
        "Then write the values into one column: `cat[:, index] = values` as `torch.long` for a categorical "
        "code, `cont[:, index] = values` for a continuous one, and return `Latent(z, cat, cont)`.",
    ),
}


def check_traversal(
    traversal_batch: Callable[[LatentSpec, str, Sequence[float] | torch.Tensor, Latent], Latent],
    *,
    verbose: bool = True,
    raise_on_failure: bool = True,
) -> CheckResult:
    r"""Exercise 5: one row per value of the swept code; the noise z and every other code stay at `base`.

    Compared with `LatentSpec.traversal` on MNIST's spec (sweeping c1, c2 and c3, with values beyond
    the training range [-1, 1]), a batch of one, and a spec with two categorical codes, where c2 is the
    second categorical code and c3 the first continuous one. `base` must not be modified.
    """

    def run() -> str:
        gen = torch.Generator().manual_seed(5)
        mnist = LatentSpec(noise=62, categorical=(10,), continuous=2)
        mixed = LatentSpec(noise=8, categorical=(10, 4), continuous=2)
        cases = [
            ("MNIST's spec, sweeping c1 over 0..9", mnist, "c1", list(range(10))),
            ("MNIST's spec, sweeping c2 from -2 to 2", mnist, "c2", torch.linspace(-2, 2, 5)),
            ("MNIST's spec, sweeping c3 over (-1, 0, 1)", mnist, "c3", [-1.0, 0.0, 1.0]),
            ("a batch of one (c2 = 0.5)", mnist, "c2", [0.5]),
            ("two categorical codes, sweeping c2 over 0..3", mixed, "c2", [0, 1, 2, 3]),
            ("two categorical codes, sweeping c3 over (-1.5, 1.5)", mixed, "c3", [-1.5, 1.5]),
        ]
        for name, spec, code, values in cases:
            _check_one_traversal(traversal_batch, name, spec, code, values, spec.sample(1, gen))
        return (
            f"traversal_batch matches LatentSpec.traversal on {len(cases)} cases (categorical and "
            f"continuous codes, values beyond [-1, 1], a batch of one, two categorical codes), and leaves "
            f"base untouched."
        )

    return _finish(5, run, verbose, raise_on_failure, HINTS["traversal_batch"])


def _check_one_traversal(fn: Callable, name: str, spec: LatentSpec, code: str, values: Any, base: Latent) -> None:
    spec_text = f"LatentSpec(noise={spec.noise}, categorical={spec.categorical}, continuous={spec.continuous})"
    call = f"traversal_batch({spec_text}, {code!r}, {_fmt(torch.as_tensor(values))}, base)"
    kept = Latent(*(t.clone() for t in base))
    args_values = values.clone() if isinstance(values, torch.Tensor) else list(values)
    out = _call(fn, call, spec, code, args_values, base)
    where = f"for {name}"
    if any(not torch.equal(a, b) for a, b in zip(base, kept, strict=True)):
        raise _Mismatch(
            f"{where}, {call} modified `base` in place\nWhat to look at: build new tensors "
            f"(base.z.expand(n, -1).clone() or .repeat) before writing the swept values"
        )
    if not (isinstance(out, tuple) and len(out) == 3 and all(isinstance(t, torch.Tensor) for t in out)):
        raise _Mismatch(f"{where}, {call} returned {type(out).__name__}; expected a Latent(z, cat, cont)")
    z, cat, cont = out
    ref = spec.traversal(code, values, base)
    n = ref.z.shape[0]
    for part, got_t, exp_t in (("z", z, ref.z), ("cat", cat, ref.cat), ("cont", cont, ref.cont)):
        if tuple(got_t.shape) != tuple(exp_t.shape):
            raise _Mismatch(
                f"{where}, {call} gave {part} of shape {tuple(got_t.shape)}, expected {tuple(exp_t.shape)} "
                f"(one row per value)"
            )
    if cat.dtype != torch.long:
        raise _Mismatch(f"{where}, cat has dtype {cat.dtype}; categorical codes are integers (torch.long)")
    if not torch.equal(z, ref.z):
        if n > 1 and not torch.equal(z, z[:1].expand_as(z)):
            hint = "the noise differs from row to row: you drew new noise; every row must reuse base.z"
        else:
            hint = "z is the same in every row but it is not base.z; reuse the base's noise"
        raise _Mismatch(f"{where}, {call}: z is wrong\nWhat to look at: {hint}")
    got_codes = _code_columns(spec, cat, cont)
    exp_codes = _code_columns(spec, ref.cat, ref.cont)
    for cname, col in got_codes.items():
        if not torch.allclose(col.double(), exp_codes[cname].double()):
            if cname == code:
                hint = f"{code} should take the values {_fmt(exp_codes[cname])} down the rows"
            else:
                hint = f"{cname} should stay at its base value {_num(float(exp_codes[cname][0]))} in every row"
            swept = [k for k, v in got_codes.items() if n > 1 and not torch.equal(v, v[:1].expand_as(v))]
            if swept and code not in swept:
                hint = (
                    f"you swept {', '.join(swept)} instead of {code}; codes are named in paper order "
                    f"(categorical first: {', '.join(c.name for c in spec.codes)}), use spec.code({code!r}) "
                    f"to find its kind and index"
                )
            raise _Mismatch(f"{where}, {call} got {cname} = {_fmt(col)}\nWhat to look at: {hint}")


def _code_columns(spec: LatentSpec, cat: torch.Tensor, cont: torch.Tensor) -> dict[str, torch.Tensor]:
    return {c.name: (cat[:, c.index] if c.kind == "categorical" else cont[:, c.index]) for c in spec.codes}

