"""Latent codes of InfoGAN: the noise z and the structured codes c (Chen et al. 2016, Sec. 4).

The generator does not see a single noise vector but the concatenation

    G input = [ z  |  one_hot(c_1) ... one_hot(c_k)  |  c_{k+1} ... c_{k+m} ]
               noise   categorical codes (paper: c1)   continuous codes (paper: c2, c3)

For MNIST the paper uses 62 noise variables, one categorical code c1 ~ Cat(K=10, p=0.1) and two
continuous codes c2, c3 ~ Unif(-1, 1). `LatentSpec(noise=62, categorical=(10,), continuous=2)`
describes exactly that. Codes are named c1, c2, ... in this order (categorical codes first), as
in the paper's figures.

The entropy H(c) enters the mutual-information bound L_I(G, Q) = E[log Q(c|x)] + H(c). For a
uniform categorical code H(c) = ln K nats (ln 10 = 2.303 for MNIST); for a Unif(-1, 1) code the
differential entropy is ln 2 nats.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Literal, NamedTuple

import torch

__all__ = [
    "Code",
    "CONTINUOUS_HIGH",
    "CONTINUOUS_LOW",
    "gaussian_log_density",
    "HALF_LOG_2PI",
    "Latent",
    "LatentSpec",
    "NoisePrior",
    "QOutput",
]

NoisePrior = Literal["uniform", "normal"]
CONTINUOUS_LOW, CONTINUOUS_HIGH = -1.0, 1.0  # the training range of every continuous code
HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)  # the constant of every Gaussian log-density


class Code(NamedTuple):
    """One structured code: its paper name (c1, c2, ...), kind, size and index within its kind."""

    name: str
    kind: Literal["categorical", "continuous"]
    size: int  # K for a categorical code, 1 for a continuous one
    index: int  # position among codes of the same kind


class Latent(NamedTuple):
    """A batch of latent variables, kept apart so that each can be read and swept on its own."""

    z: torch.Tensor  # (B, noise)            float
    cat: torch.Tensor  # (B, n_categorical)    long, values in [0, K_i)
    cont: torch.Tensor  # (B, n_continuous)     float, training range [-1, 1]


class QOutput(NamedTuple):
    """Q(c | x), what Q reads back from images: one logit tensor per categorical code, and the Gaussian of each
    continuous code."""

    cat_logits: list[torch.Tensor]  # each (B, K_i)
    mean: torch.Tensor  # (B, n_cont)
    log_std: torch.Tensor  # (B, n_cont), not yet clamped


def gaussian_log_density(x: torch.Tensor, mean: torch.Tensor, log_std: torch.Tensor) -> torch.Tensor:
    r"""log N(x; mu, sigma^2), elementwise, with sigma = exp(log_std): the log-density of a continuous code
    under Q's Gaussian,

        log N(x; mu, sigma^2) = -log sigma - 1/2 log(2 pi) - (x - mu)^2 / (2 sigma^2).
    """
    return -log_std - HALF_LOG_2PI - (x - mean) ** 2 * torch.exp(-2 * log_std) / 2


def _check_positive_int(field: str, value: object, minimum: int) -> int:
    """`value` as a plain int (numpy integers accepted), or one ValueError naming the field."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"LatentSpec.{field} must be an int, got {type(value).__name__} ({value!r})")
    if value < minimum:
        raise ValueError(f"LatentSpec.{field} must be >= {minimum}, got {value}")
    return int(value)


@dataclass(frozen=True)
class LatentSpec:
    """What the generator is fed: `noise` dims of z, categorical codes of sizes `categorical`,
    and `continuous` Unif(-1, 1) codes.

    >>> spec = LatentSpec(noise=62, categorical=(10,), continuous=2)
    >>> spec.input_dim, round(spec.categorical_entropy(), 3)
    (74, 2.303)
    """

    noise: int = 62
    categorical: tuple[int, ...] = (10,)
    continuous: int = 2
    noise_prior: NoisePrior = "uniform"
    noise_scale: float = 1.0  # z ~ scale * Unif(-1, 1) or scale * N(0, I); < 1 gives the codes more weight

    def __post_init__(self) -> None:
        object.__setattr__(self, "noise", _check_positive_int("noise", self.noise, 1))
        object.__setattr__(self, "continuous", _check_positive_int("continuous", self.continuous, 0))
        cats = self.categorical
        if isinstance(cats, numbers.Integral) and not isinstance(cats, bool):
            cats = (cats,)
        if not isinstance(cats, (tuple, list)):
            raise ValueError(
                f"LatentSpec.categorical must be a tuple of ints (the number of values of each "
                f"categorical code), got {type(cats).__name__} ({cats!r})"
            )
        cats = tuple(_check_positive_int(f"categorical[{i}]", k, 2) for i, k in enumerate(cats))
        object.__setattr__(self, "categorical", cats)
        if not isinstance(self.noise_prior, str) or self.noise_prior not in ("uniform", "normal"):
            raise ValueError(f"LatentSpec.noise_prior must be 'uniform' or 'normal', got {self.noise_prior!r}")
        scale = self.noise_scale
        if isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not 0 < scale < math.inf:
            raise ValueError(f"LatentSpec.noise_scale must be a positive, finite number, got {self.noise_scale!r}")
        object.__setattr__(self, "noise_scale", float(scale) if not isinstance(scale, int) else scale)
        if not self.categorical and self.continuous == 0:
            raise ValueError("LatentSpec needs at least one code: categorical=() and continuous=0 is a plain GAN")

    # ----------------------------------------------------------------- layout
    @property
    def n_categorical(self) -> int:
        return len(self.categorical)

    @property
    def cat_dim(self) -> int:
        """Width of all one-hot blocks together (sum of K_i)."""
        return sum(self.categorical)

    @property
    def input_dim(self) -> int:
        """Width of the generator's input: noise + one-hot blocks + continuous codes."""
        return self.noise + self.cat_dim + self.continuous

    @property
    def q_output_dim(self) -> int:
        """Width of Q's output layer: logits for every category, then a mean and a log-std per
        continuous code."""
        return self.cat_dim + 2 * self.continuous

    @property
    def codes(self) -> list[Code]:
        """The structured codes in paper order: categorical first (c1, ...), then continuous."""
        out = [Code(f"c{i + 1}", "categorical", k, i) for i, k in enumerate(self.categorical)]
        n = len(out)
        out += [Code(f"c{n + j + 1}", "continuous", 1, j) for j in range(self.continuous)]
        return out

    def code(self, name: str) -> Code:
        """Look a code up by its paper name, e.g. ``spec.code("c2")``."""
        for c in self.codes:
            if c.name == name:
                return c
        names = ", ".join(c.name for c in self.codes)
        raise ValueError(f"no code named {name!r} in this spec; its codes are {names}")

    def layout(self) -> dict[str, slice]:
        """Where each part sits in the generator input (and `cat_i` blocks inside it)."""
        out = {"z": slice(0, self.noise)}
        start = self.noise
        for i, k in enumerate(self.categorical):
            out[f"cat{i}"] = slice(start, start + k)
            start += k
        out["cont"] = slice(start, start + self.continuous)
        return out

    # ---------------------------------------------------------------- entropy
    def categorical_entropy(self) -> float:
        """H(c) of the uniform categorical codes in nats: sum_i ln K_i (ln 10 = 2.303 for MNIST)."""
        return float(sum(math.log(k) for k in self.categorical))

    def continuous_entropy(self) -> float:
        """Differential entropy of the Unif(-1, 1) codes in nats: ln 2 per code."""
        return self.continuous * math.log(CONTINUOUS_HIGH - CONTINUOUS_LOW)

    # --------------------------------------------------------------- sampling
    def sample_noise(
        self, batch: int, generator: torch.Generator | None = None, device: torch.device | str = "cpu"
    ) -> torch.Tensor:
        """z from the noise prior, (B, noise): noise_scale * Unif(-1, 1) or noise_scale * N(0, I)."""
        if self.noise_prior == "uniform":
            return (torch.rand(batch, self.noise, generator=generator, device=device) * 2 - 1) * self.noise_scale
        return torch.randn(batch, self.noise, generator=generator, device=device) * self.noise_scale

    def sample(
        self, batch: int, generator: torch.Generator | None = None, device: torch.device | str = "cpu"
    ) -> Latent:
        """Draw z from its prior, each categorical code uniformly, each continuous code from U(-1, 1)."""
        z = self.sample_noise(batch, generator, device)
        cat = torch.stack(
            [torch.randint(k, (batch,), generator=generator, device=device) for k in self.categorical], dim=1
        ) if self.categorical else torch.zeros(batch, 0, dtype=torch.long, device=device)  # (B, n_cat)
        cont = torch.rand(batch, self.continuous, generator=generator, device=device)
        cont = cont * (CONTINUOUS_HIGH - CONTINUOUS_LOW) + CONTINUOUS_LOW  # (B, n_cont)
        return Latent(z, cat, cont)

    def to_input(self, latent: Latent) -> torch.Tensor:
        """Concatenate [z | one_hot(c_1) ... | c_cont] into the generator input, (B, input_dim)."""
        z, cat, cont = latent
        parts = [z]
        for i, k in enumerate(self.categorical):
            parts.append(torch.nn.functional.one_hot(cat[:, i], k).to(z.dtype))  # (B, K_i)
        parts.append(cont.to(z.dtype))
        return torch.cat(parts, dim=1)  # (B, input_dim)

    # ------------------------------------------------------------- traversals
    def traversal(
        self,
        code: str,
        values: torch.Tensor | list[float] | list[int],
        base: Latent | None = None,
        generator: torch.Generator | None = None,
    ) -> Latent:
        """Sweep one code through `values` while everything else stays fixed.

        `base` is a Latent with batch 1 (drawn from the prior when omitted); the result has one row
        per value, identical to `base` except for the swept code. Continuous values may leave the
        training range [-1, 1] on purpose (the paper's Figure 2 goes to +-2).
        """
        if base is None:
            base = self.sample(1, generator)
        if base.z.shape[0] != 1:
            raise ValueError(f"traversal needs a base latent with batch 1, got batch {base.z.shape[0]}")
        c = self.code(code)
        vals = torch.as_tensor(values)
        n = vals.numel()
        z = base.z.expand(n, -1).clone()  # (n, noise)
        cat = base.cat.expand(n, -1).clone()  # (n, n_cat)
        cont = base.cont.expand(n, -1).clone()  # (n, n_cont)
        if c.kind == "categorical":
            v = vals.to(torch.long)
            if (v < 0).any() or (v >= c.size).any():
                raise ValueError(f"{c.name} is categorical with {c.size} values; got values {v.tolist()}")
            cat[:, c.index] = v
        else:
            cont[:, c.index] = vals.to(cont.dtype)
        return Latent(z, cat, cont)

    def grid(
        self,
        row_code: str,
        row_values: list[float] | list[int] | torch.Tensor,
        col_code: str,
        col_values: list[float] | list[int] | torch.Tensor,
        base: Latent | None = None,
        generator: torch.Generator | None = None,
    ) -> Latent:
        """A (rows x cols) grid in row-major order: `row_code` varies down, `col_code` across, the
        rest (noise included) fixed to `base`. This is the layout of the paper's Figure 2."""
        rows = self.traversal(row_code, row_values, base, generator)
        out = []
        for r in range(rows.z.shape[0]):
            one = Latent(rows.z[r : r + 1], rows.cat[r : r + 1], rows.cont[r : r + 1])
            out.append(self.traversal(col_code, col_values, one))
        return Latent(*(torch.cat(parts) for parts in zip(*out, strict=True)))  # (R * C, ...)

    def to_dict(self) -> dict:
        """Plain data, for checkpoints (loaded with weights_only=True)."""
        return {
            "noise": self.noise,
            "categorical": list(self.categorical),
            "continuous": self.continuous,
            "noise_prior": self.noise_prior,
            "noise_scale": self.noise_scale,
        }

    @classmethod
    def from_dict(cls, d: dict) -> LatentSpec:
        return cls(
            d["noise"],
            tuple(d["categorical"]),
            d["continuous"],
            d.get("noise_prior", "uniform"),
            d.get("noise_scale", 1.0),
        )
