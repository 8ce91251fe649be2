"""One frame of the traversal explorer, without a browser: which noise vectors a seed gives, a Latent with the
codes chosen, the check of those codes, and the CPU settings that render a small batch fast. The live explorer
(`widgets`) and the kernel-free one (`static_explorer`) both draw their frames with these functions:

    codes ──check_codes──> codes ──latent_for_codes(z)──> Latent ──generate──> images ──grid_png──> PNG
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import torch

from .latent import Latent, LatentSpec
from .plots import format_value, generate, grid_png

__all__ = [
    "EXPLORER_RANGE",
    "Codes",
    "check_codes",
    "cpu_render_settings",
    "default_codes",
    "format_codes",
    "latent_for_codes",
    "noise_for_seed",
    "render_codes",
]

EXPLORER_RANGE = (-2.0, 2.0)  # continuous codes: twice the training range, as in the paper's Figure 2
Codes = dict[str, float]  # code name -> value (an int value for a categorical code)


def default_codes(spec: LatentSpec) -> Codes:
    """Category 0 for every categorical code, 0.0 (the middle of [-1, 1]) for every continuous one."""
    return {c.name: (0 if c.kind == "categorical" else 0.0) for c in spec.codes}


def check_codes(
    spec: LatentSpec, codes: Mapping[str, float], value_range: tuple[float, float] = EXPLORER_RANGE
) -> tuple[Codes, list[str]]:
    """Validate a full or partial set of codes; missing codes take :func:`default_codes`.

    Continuous codes outside `value_range` are clamped to it, and a message says so. A categorical
    value that is not one of 0..K-1, an unknown code name or a non-finite value raise ValueError.
    Returns the checked codes and the messages.
    """
    low, high = value_range
    out = default_codes(spec)
    messages: list[str] = []
    for name, value in codes.items():
        code = spec.code(name)  # ValueError naming the valid codes
        if code.kind == "categorical":
            if isinstance(value, bool) or not float(value).is_integer() or not 0 <= int(value) < code.size:
                raise ValueError(
                    f"{name} is a categorical code with values 0..{code.size - 1}; got {value!r}"
                )
            out[name] = int(value)
            continue
        v = float(value)
        if not math.isfinite(v):
            raise ValueError(f"{name} must be a finite number, got {value!r}")
        if not low <= v <= high:
            clamped = min(max(v, low), high)
            messages.append(f"{name} = {v:g} is outside the explorer's range [{low:g}, {high:g}]; "
                            f"clamped to {clamped:g}")
            v = clamped
        out[name] = v
    return out, messages


def noise_for_seed(spec: LatentSpec, n: int, seed: int) -> torch.Tensor:
    """n noise vectors z drawn from the prior with `torch.Generator().manual_seed(seed)`, (n, noise).

    Only z depends on the seed; the codes are chosen separately, which is the point of the explorer.
    """
    return spec.sample_noise(n, torch.Generator().manual_seed(int(seed)))  # (n, noise)


def latent_for_codes(spec: LatentSpec, codes: Mapping[str, float], z: torch.Tensor) -> Latent:
    """One Latent row per noise vector in `z` (n, noise), each with exactly the given codes.

    `codes` must name every code of `spec` (use :func:`check_codes` to fill in and validate).
    """
    n = z.shape[0]
    cat_values = [int(codes[c.name]) for c in spec.codes if c.kind == "categorical"]
    cont_values = [float(codes[c.name]) for c in spec.codes if c.kind == "continuous"]
    cat = torch.tensor([cat_values], dtype=torch.long)  # (1, n_cat)
    cont = torch.tensor([cont_values], dtype=z.dtype)  # (1, n_cont)
    cat = cat.reshape(1, spec.n_categorical).expand(n, -1)  # (n, n_cat)
    cont = cont.reshape(1, spec.continuous).expand(n, -1)  # (n, n_cont)
    return Latent(z, cat, cont)


def render_codes(
    generator: torch.nn.Module,
    spec: LatentSpec,
    codes: Mapping[str, float],
    z: torch.Tensor,
    nrow: int,
    scale: int = 2,
) -> bytes:
    """PNG bytes of G(z_i, c) for every row z_i of `z`, all with the codes `codes`, `nrow` per row."""
    return grid_png(generate(generator, spec, latent_for_codes(spec, codes, z)), nrow=nrow, scale=scale)


def format_codes(spec: LatentSpec, codes: Mapping[str, float]) -> str:
    """A one-line plain-text readout, e.g. "c1 = 7 · c2 = +0.25 · c3 = -1.50"."""
    return " · ".join(f"{c.name} = {format_value(spec, c.name, codes[c.name])}" for c in spec.codes)


@contextmanager
def cpu_render_settings(threads: int | None = 1, onednn: bool = False) -> Iterator[None]:
    """Torch settings for small CPU batches, restored on exit.

    `threads`: torch threads while inside (None leaves the setting alone). `onednn=False` turns the
    oneDNN (mkldnn) kernels off: for a 64-image batch of the cpu model, its transposed convolution
    with one output channel was several times slower than PyTorch's own kernel on a 2-core x86
    machine (benchmarks/results/data-and-widgets.md).
    """
    previous_threads, previous_onednn = torch.get_num_threads(), torch.backends.mkldnn.enabled
    if threads is not None and threads != previous_threads:
        torch.set_num_threads(threads)
    torch.backends.mkldnn.enabled = onednn
    try:
        yield
    finally:
        torch.backends.mkldnn.enabled = previous_onednn
        if torch.get_num_threads() != previous_threads:
            torch.set_num_threads(previous_threads)
