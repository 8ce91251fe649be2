r"""A plain GAN on 2-D toy data (lesson 01): small enough to watch every part of the game.

The game (Goodfellow et al. 2014) is played on the value function

    V(D, G) = E_{x ~ P_data}[ log D(x) ] + E_{z ~ N(0, I)}[ log(1 - D(G(z))) ],    min_G max_D V(D, G).

D is trained on `discriminator_loss` (= -V) and G on one of two generator losses from
`infogan_edu.losses`; with l = logit of D(G(z)) and D = sigmoid(l), per sample:

    minimax         L_G = log(1 - D(G(z)))    dL_G/dl = -D           -> 0 when D rejects the fakes
    non-saturating  L_G = -log D(G(z))        dL_G/dl = -(1 - D)     -> -1 when D rejects the fakes

Everything G learns reaches it through dL_G/dl, so :func:`train_toy_gan` records its size on every
step (`ToyHistory.grad_logit`), together with the losses, D's mean output on real and fake points and,
every `snapshot_every` steps, a batch of G's samples and D's decision surface D(x) on a grid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, NamedTuple

import numpy as np
import torch
from torch import Tensor

from .data.toys import ring_of_gaussians
from .losses import discriminator_loss, generator_loss_minimax, generator_loss_nonsaturating
from .models import MLPDiscriminator, MLPGenerator

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.image import AxesImage

__all__ = [
    "decision_surface",
    "GENERATOR_LOSSES",
    "grid_points",
    "logit_gradient",
    "measure_logit_gradient",
    "moving_average",
    "plot_snapshot",
    "Snapshot",
    "ToyGANConfig",
    "ToyGANResult",
    "ToyHistory",
    "train_toy_gan",
]

GLoss = Literal["nonsaturating", "minimax"]
GENERATOR_LOSSES: dict[str, Callable[[Tensor], Tensor]] = {
    "minimax": generator_loss_minimax,  # E[log(1 - D(G(z)))], minimised
    "nonsaturating": generator_loss_nonsaturating,  # -E[log D(G(z))], minimised
}

# A data source draws n points (n, 2) with the given torch.Generator.
DataFn = Callable[[int, torch.Generator], Tensor]


@dataclass
class ToyGANConfig:
    """Everything a toy run depends on. The defaults are lesson 01's recipe for the 8-Gaussian ring, chosen
    for how many modes the non-saturating loss covers across seeds in a short CPU run
    (benchmarks/results/toy-gan.md). Higher learning rates start faster but hop between modes more."""

    g_loss: GLoss = "nonsaturating"
    steps: int = 6000
    batch_size: int = 512
    noise_dim: int = 2
    hidden: int = 64
    depth: int = 2
    lr_d: float = 5e-4
    lr_g: float = 5e-4
    betas: tuple[float, float] = (0.5, 0.999)
    g_optimizer: Literal["adam", "sgd"] = "adam"  # "sgd": plain SGD for G at lr_g, steps proportional to the gradient
    d_warmup: int = 0  # D-only steps before the game starts: D gets ahead, as it does early on images
    snapshot_every: int = 1000  # samples and decision surface at step 0, every N steps, and at the end
    n_snapshot: int = 2000  # samples per snapshot
    extent: float = 3.0  # the decision surface covers [-extent, extent]^2
    grid_size: int = 81
    seed: int = 0

    def __post_init__(self) -> None:
        if self.g_loss not in GENERATOR_LOSSES:
            raise ValueError(f"g_loss must be one of {sorted(GENERATOR_LOSSES)}, got {self.g_loss!r}")
        if self.g_optimizer not in ("adam", "sgd"):
            raise ValueError(f"g_optimizer must be 'adam' or 'sgd', got {self.g_optimizer!r}")
        for name in ("steps", "batch_size", "noise_dim", "snapshot_every", "n_snapshot", "grid_size", "d_warmup"):
            v, least = getattr(self, name), 0 if name == "d_warmup" else 1
            if isinstance(v, bool) or not isinstance(v, int) or v < least:
                raise ValueError(f"ToyGANConfig.{name} must be an int >= {least}, got {v!r}")


class Snapshot(NamedTuple):
    """G and D at one step: `samples` (n, 2) from G and D(x) on the grid, `surface` (grid, grid),
    rows along y (bottom to top), columns along x, as `plt.imshow(..., origin="lower")` expects."""

    step: int
    samples: Tensor
    surface: Tensor


@dataclass
class ToyHistory:
    """Per-step records (lists, ready to plot) and the snapshots."""

    step: list[int] = field(default_factory=list)
    loss_d: list[float] = field(default_factory=list)  # -V(D, G) on the batch
    loss_g: list[float] = field(default_factory=list)  # the chosen generator loss
    d_real: list[float] = field(default_factory=list)  # mean D(x) on real points
    d_fake: list[float] = field(default_factory=list)  # mean D(G(z))
    grad_logit: list[float] = field(default_factory=list)  # mean over the batch of |dL_G/dl| per sample
    snapshots: list[Snapshot] = field(default_factory=list)
    extent: float = 3.0


class ToyGANResult(NamedTuple):
    g: MLPGenerator
    d: MLPDiscriminator
    history: ToyHistory
    config: ToyGANConfig


def logit_gradient(d_fake: Tensor | np.ndarray | float, g_loss: GLoss) -> Tensor:
    r"""|dL_G/dl| for one sample in closed form, as a function of D(G(z)) = sigmoid(l):

        minimax:         |d/dl log(1 - sigmoid(l))| = sigmoid(l)     = D(G(z))
        non-saturating:  |d/dl -log sigmoid(l)|     = 1 - sigmoid(l) = 1 - D(G(z))
    """
    d = torch.as_tensor(d_fake, dtype=torch.float64)
    if g_loss == "minimax":
        return d
    if g_loss == "nonsaturating":
        return 1 - d
    raise ValueError(f"g_loss must be one of {sorted(GENERATOR_LOSSES)}, got {g_loss!r}")


def grid_points(extent: float, size: int) -> Tensor:
    """The points of a size x size grid over [-extent, extent]^2, row-major with y varying slowest:
    (size * size, 2)."""
    axis = torch.linspace(-extent, extent, size)
    ys, xs = torch.meshgrid(axis, axis, indexing="ij")  # (size, size) each
    return torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=1)  # (size * size, 2)


@torch.no_grad()
def decision_surface(d: torch.nn.Module, extent: float = 3.0, size: int = 81) -> Tensor:
    """D(x) = sigmoid(logit) on the grid of :func:`grid_points`, as (size, size) (rows: y)."""
    probs = torch.sigmoid(d(grid_points(extent, size)))  # (size * size,)
    return probs.view(size, size)  # (size, size)


def measure_logit_gradient(
    g: torch.nn.Module, d: torch.nn.Module, g_loss: GLoss, n: int = 1000, noise_dim: int = 2,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """D(G(z)) and the measured |dL_G/dl| of each of n samples, by autograd through the library loss.

    The loss is a batch mean, so the per-sample derivative is n times the gradient of the mean.
    Returns two (n,) tensors: (d_fake, grad).
    """
    with torch.no_grad():
        logits = d(g(torch.randn(n, noise_dim, generator=generator)))  # (n,)
    logits.requires_grad_(True)
    (grad,) = torch.autograd.grad(GENERATOR_LOSSES[g_loss](logits), logits)
    return torch.sigmoid(logits.detach()), grad.abs() * n


def train_toy_gan(config: ToyGANConfig | None = None, data: DataFn | None = None) -> ToyGANResult:
    r"""Train an MLP GAN on 2-D points with alternating updates, one D step then one G step:

        D:  minimise  -V(D, G) = -E[log D(x)] - E[log(1 - D(G(z)))]      (`discriminator_loss`)
        G:  minimise  L_G, the minimax or the non-saturating loss        (`config.g_loss`)

    `data(n, generator)` draws real points; the default is the 8-Gaussian ring of
    `infogan_edu.data.toys.ring_of_gaussians`. With `d_warmup > 0`, D first trains alone for that many
    steps against the untrained G (the situation early in training on images, where D wins quickly); the
    step-0 snapshot is taken after the warm-up. D always uses Adam; G uses Adam or, with
    `g_optimizer="sgd"`, plain SGD. Runs on the CPU; deterministic for a given seed.
    """
    cfg = config or ToyGANConfig()
    data = data or (lambda n, gen: ring_of_gaussians(n, generator=gen))
    torch.manual_seed(cfg.seed)
    g = MLPGenerator(cfg.noise_dim, cfg.hidden, cfg.depth)
    d = MLPDiscriminator(2, cfg.hidden, cfg.depth)
    opt_d = torch.optim.Adam(d.parameters(), lr=cfg.lr_d, betas=cfg.betas)
    if cfg.g_optimizer == "sgd":  # no per-parameter normalisation: a vanishing gradient is a vanishing step
        opt_g: torch.optim.Optimizer = torch.optim.SGD(g.parameters(), lr=cfg.lr_g)
    else:
        opt_g = torch.optim.Adam(g.parameters(), lr=cfg.lr_g, betas=cfg.betas)
    g_loss_fn = GENERATOR_LOSSES[cfg.g_loss]
    rng = torch.Generator().manual_seed(cfg.seed + 1)  # real points and noise
    snap_rng = torch.Generator().manual_seed(cfg.seed + 2)  # the same z for every snapshot
    snap_z = torch.randn(cfg.n_snapshot, cfg.noise_dim, generator=snap_rng)
    hist = ToyHistory(extent=cfg.extent)

    def snapshot(step: int) -> None:
        with torch.no_grad():
            hist.snapshots.append(Snapshot(step, g(snap_z), decision_surface(d, cfg.extent, cfg.grid_size)))

    b = cfg.batch_size
    for _ in range(cfg.d_warmup):  # D alone against the untrained G
        with torch.no_grad():
            fake = g(torch.randn(b, cfg.noise_dim, generator=rng))  # (B, 2)
        loss_d = discriminator_loss(d(data(b, rng)), d(fake))
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
    snapshot(0)
    for step in range(1, cfg.steps + 1):
        # ---- D: one step on -V(D, G), fakes detached from G
        x_real = data(b, rng)  # (B, 2)
        z = torch.randn(b, cfg.noise_dim, generator=rng)  # (B, noise_dim)
        fake = g(z)  # (B, 2)
        real_logits, fake_logits = d(x_real), d(fake.detach())  # (B,), (B,)
        loss_d = discriminator_loss(real_logits, fake_logits)
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        # ---- G: one step on L_G through the updated D
        fake_logits = d(fake)  # (B,)
        fake_logits.retain_grad()
        loss_g = g_loss_fn(fake_logits)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()  # D's parameters receive gradients too; opt_d zeroes them before its next step
        opt_g.step()
        # dL_G/dl_i = (1/B) dl(per-sample loss)/dl_i because L_G is a batch mean
        grad = fake_logits.grad.abs().mean() * b
        hist.step.append(step)
        hist.loss_d.append(loss_d.item())
        hist.loss_g.append(loss_g.item())
        hist.d_real.append(float(torch.sigmoid(real_logits.detach()).mean()))
        hist.d_fake.append(float(torch.sigmoid(fake_logits.detach()).mean()))
        hist.grad_logit.append(grad.item())
        if step % cfg.snapshot_every == 0 or step == cfg.steps:
            snapshot(step)
    return ToyGANResult(g, d, hist, cfg)


def plot_snapshot(
    ax: Axes, snap: Snapshot, extent: float, centres: Tensor | None = None, title: str | None = None
) -> AxesImage:
    """D's decision surface (colour: D(x), blue = "real", red = "fake", the D = 1/2 line in white) with G's
    samples (black) and the true mode centres (red crosses) on a matplotlib axis. Returns the image, for a
    colour bar."""
    im = ax.imshow(
        snap.surface.numpy(), origin="lower", extent=(-extent, extent, -extent, extent),
        cmap="coolwarm_r", vmin=0, vmax=1, interpolation="bilinear",
    )
    xs = np.linspace(-extent, extent, snap.surface.shape[1])
    ys = np.linspace(-extent, extent, snap.surface.shape[0])
    if float(snap.surface.min()) < 0.5 < float(snap.surface.max()):  # else there is no D = 1/2 line to draw
        ax.contour(xs, ys, snap.surface.numpy(), levels=[0.5], colors="white", linewidths=1)
    pts = snap.samples.numpy()
    ax.scatter(pts[:, 0], pts[:, 1], s=2, c="black", alpha=0.4)
    if centres is not None:
        ax.scatter(centres[:, 0], centres[:, 1], s=40, marker="x", c="red")
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title if title is not None else f"step {snap.step}", fontsize=9)
    return im


def moving_average(values: list[float] | np.ndarray, window: int = 25) -> np.ndarray:
    """Mean over a trailing window (shorter at the start), for smoothing noisy per-step curves."""
    v = np.asarray(values, dtype=np.float64)
    csum = np.cumsum(np.insert(v, 0, 0.0))
    idx = np.arange(1, v.size + 1)
    lo = np.maximum(0, idx - window)
    return (csum[idx] - csum[lo]) / (idx - lo)
