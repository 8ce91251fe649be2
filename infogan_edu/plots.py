r"""Pictures for the lessons: image grids, PNG bytes, the latent traversal of the paper's Figure 2
and the training curves of its Figure 1.

Two layers, so that everything can be tested without a browser:

* plain arrays and bytes: :func:`generate` runs G(z, c) in eval mode without gradients,
  :func:`images_to_grid` tiles images in [-1, 1] into one uint8 array, :func:`grid_png` encodes
  that array as PNG bytes (what :mod:`infogan_edu.widgets` shows in an ``ipywidgets.Image``);
* matplotlib figures: :func:`traversal_grid` (Figure 2: c1 = 0..9 down the rows, c2 from -2 to 2
  across), :func:`plot_li_curves` (Figure 1: the lower bound L_I(G, Q) against H(c) = ln 10),
  :func:`plot_history`, :func:`plot_confusion`, :func:`show_samples`, :func:`plot_points`.

Figures are made with ``pyplot``, so in a notebook they appear once at the end of the cell: write
``fig = traversal_grid(...)`` or ``_ = traversal_grid(...)`` (a bare call as the last line of a cell
would show the figure twice).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch
from matplotlib import pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from PIL import Image

from .latent import Latent, LatentSpec
from .models import generate, module_device  # re-exported: G's images live with the models

if TYPE_CHECKING:
    from .history import History

__all__ = [
    "confusion_column_order",
    "format_value",
    "generate",
    "grid_png",
    "images_to_grid",
    "module_device",
    "plot_confusion",
    "plot_history",
    "plot_li_curves",
    "plot_points",
    "show_samples",
    "traversal_grid",
]

PAD_VALUE = -0.5  # the gap between tiles, in image units: a dark grey between black backgrounds


# --------------------------------------------------------------------------- arrays and bytes
def _as_numpy(images: torch.Tensor | np.ndarray) -> np.ndarray:
    if isinstance(images, torch.Tensor):
        images = images.detach().to("cpu", torch.float32).numpy()
    arr = np.asarray(images, dtype=np.float32)
    if arr.ndim == 3:  # (N, H, W): one channel
        arr = arr[:, None]  # (N, 1, H, W)
    if arr.ndim != 4 or arr.shape[1] not in (1, 3):
        raise ValueError(f"images must have shape (N, 1, H, W) or (N, 3, H, W), got {tuple(arr.shape)}")
    return arr


def images_to_grid(
    images: torch.Tensor | np.ndarray, nrow: int = 8, padding: int = 2, pad_value: float = PAD_VALUE
) -> np.ndarray:
    """Tile N images in [-1, 1] into one uint8 picture, `nrow` images per row (row-major order).

    `images` has shape (N, 1, H, W) (or (N, H, W), or (N, 3, H, W) for colour). A value x maps to
    round((x + 1) * 127.5), so -1 is black and +1 white; values outside [-1, 1] are clipped. The
    result is (R * (H + p) + p, nrow * (W + p) + p) for one channel, with a trailing axis of 3 for
    colour, where R = ceil(N / nrow) and p = `padding`. Empty tiles of the last row are padding.
    """
    arr = _as_numpy(images)  # (N, C, H, W)
    n, c, h, w = arr.shape
    if n == 0:
        raise ValueError("images_to_grid needs at least one image")
    if nrow < 1:
        raise ValueError(f"nrow must be >= 1, got {nrow}")
    if padding < 0:
        raise ValueError(f"padding must be >= 0, got {padding}")
    cols = min(nrow, n)
    rows = -(-n // cols)  # ceil(n / cols)
    height, width = rows * (h + padding) + padding, cols * (w + padding) + padding
    canvas = np.full((c, height, width), pad_value, np.float32)  # (C, H', W')
    for i in range(n):
        top = padding + (i // cols) * (h + padding)
        left = padding + (i % cols) * (w + padding)
        canvas[:, top : top + h, left : left + w] = arr[i]
    out = np.clip(np.rint((canvas + 1.0) * 127.5), 0, 255).astype(np.uint8)  # (C, H', W')
    return out[0] if c == 1 else out.transpose(1, 2, 0)  # (H', W') or (H', W', 3)


def grid_png(
    images: torch.Tensor | np.ndarray,
    nrow: int = 8,
    scale: int = 1,
    padding: int = 2,
    pad_value: float = PAD_VALUE,
    compress_level: int = 1,
) -> bytes:
    """PNG bytes of :func:`images_to_grid`, each pixel enlarged to `scale` x `scale` (repeated, so
    the pixels stay crisp in a browser). Pillow (a dependency of matplotlib) encodes;
    `compress_level=1` favours speed over size, which is what a live widget needs."""
    if scale < 1:
        raise ValueError(f"scale must be >= 1, got {scale}")
    grid = images_to_grid(images, nrow, padding, pad_value)  # (H', W') or (H', W', 3)
    if scale > 1:
        grid = grid.repeat(scale, axis=0).repeat(scale, axis=1)  # (scale * H', scale * W'[, 3])
    buffer = io.BytesIO()
    Image.fromarray(grid).save(buffer, format="png", compress_level=compress_level)
    return buffer.getvalue()




# ------------------------------------------------------------------------------ figures
def format_value(spec: LatentSpec, code: str, value: float) -> str:
    """How a code value is written in labels and readouts: an int for a categorical code
    ("7"), a signed number with two decimals for a continuous one ("+0.25", "-2.00")."""
    if spec.code(code).kind == "categorical":
        return str(int(value))
    return f"{float(value):+.2f}"


def _values_list(values: Sequence[float] | Sequence[int] | torch.Tensor) -> list[float]:
    return torch.as_tensor(values).flatten().tolist()


def _short(value: float) -> str:
    return f"{value:g}"


def traversal_grid(
    generator: torch.nn.Module,
    spec: LatentSpec,
    row_code: str,
    row_values: Sequence[float] | Sequence[int] | torch.Tensor,
    col_code: str,
    col_values: Sequence[float] | Sequence[int] | torch.Tensor,
    base: Latent | None = None,
    seed: int = 0,
    title: str | None = None,
    tile_inches: float = 0.55,
    row_labels: Sequence[str] | None = None,
) -> Figure:
    """The layout of the paper's Figure 2: `row_code` changes down the rows, `col_code` across the
    columns, and the noise z and every other code stay fixed to `base`.

    `base` is a Latent with batch 1. When it is omitted, z and the categorical codes are drawn from
    the prior with `torch.Generator().manual_seed(seed)` and the other continuous codes are set to 0,
    the middle of their training range [-1, 1]. Continuous values may leave that range on purpose:
    the paper sweeps c2 from -2 to 2 to show that the code generalises beyond it.

    Every row is labelled with its value of `row_code` and every column with its value of
    `col_code` (tick labels), and the axis labels name the codes. `row_labels` replaces the rows' tick
    labels, one string per row: for example each category with the digit it was matched to, "5 (-> 0)".

    >>> fig = traversal_grid(model.g, spec, "c1", range(10), "c2", [-2, -1, 0, 1, 2])
    """
    rows, cols = _values_list(row_values), _values_list(col_values)
    if not rows or not cols:
        raise ValueError("traversal_grid needs at least one row value and one column value")
    for name in (row_code, col_code):
        spec.code(name)  # a clear error for an unknown code name
    if row_code == col_code:
        raise ValueError(f"row_code and col_code must differ, both are {row_code!r}")
    if row_labels is not None and len(row_labels) != len(rows):
        raise ValueError(f"row_labels has {len(row_labels)} labels for {len(rows)} rows: give one per row")
    if base is None:
        sampled = spec.sample(1, torch.Generator().manual_seed(seed))
        base = Latent(sampled.z, sampled.cat, torch.zeros_like(sampled.cont))
    latent = spec.grid(row_code, rows, col_code, cols, base=base)  # (R * C, ...) row-major
    images = generate(generator, spec, latent)  # (R * C, channels, H, W)
    padding = 2
    picture = images_to_grid(images, nrow=len(cols), padding=padding)
    h, w = images.shape[-2:]

    fig, ax = plt.subplots(figsize=(1.2 + tile_inches * len(cols), 0.9 + tile_inches * len(rows)))
    ax.imshow(picture, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    ax.set_xticks([padding + j * (w + padding) + (w - 1) / 2 for j in range(len(cols))])
    ax.set_yticks([padding + i * (h + padding) + (h - 1) / 2 for i in range(len(rows))])
    ax.set_xticklabels([_short(v) for v in cols])
    ax.set_yticklabels(list(row_labels) if row_labels is not None else [_short(v) for v in rows])
    ax.tick_params(length=0)
    ax.set_xlabel(f"{col_code} ({spec.code(col_code).kind})")
    ax.set_ylabel(f"{row_code} ({spec.code(row_code).kind})")
    ax.set_title(title if title is not None else f"{row_code} down, {col_code} across; z fixed (seed {seed})")
    for side in ax.spines.values():
        side.set_visible(False)
    fig.tight_layout()
    return fig


def show_samples(
    images: torch.Tensor | np.ndarray, nrow: int = 8, title: str | None = None, ax: Axes | None = None
) -> Figure:
    """Images in [-1, 1], (N, 1, H, W) or colour (N, 3, H, W), as one grid without axes."""
    picture = images_to_grid(images, nrow)
    if ax is None:
        rows = -(-len(images) // nrow)
        _, ax = plt.subplots(figsize=(0.45 * min(nrow, len(images)) + 0.4, 0.45 * rows + 0.6))
    ax.imshow(picture, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax.figure


def plot_li_curves(
    histories: Mapping[str, History], h_c: float, ax: Axes | None = None, title: str | None = None
) -> Figure:
    r"""The paper's Figure 1: the lower bound L_I(G, Q) of the categorical code over training, one
    line per run, against the dashed line H(c) (ln 10 = 2.30 nats for MNIST).

    L_I(G, Q) = E[log Q(c | G(z, c))] + H(c) <= I(c; G(z, c)) <= H(c), so a run whose curve reaches
    H(c) has made c recoverable from the image; a plain GAN (lambda = 0) stays far below.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.6))
    for name, history in histories.items():
        ax.plot(history.step, history.li_cat, label=name)
    ax.axhline(h_c, color="black", linestyle="--", linewidth=1, label=f"H(c) = {h_c:.2f} nats")
    ax.set_xlabel("training step")
    ax.set_ylabel("L_I (nats)")
    ax.set_title(title or "Lower bound L_I(G, Q) of the mutual information")
    ax.legend(loc="best")
    ax.grid(alpha=0.3)
    return ax.figure


def plot_history(history: History, h_c: float | None = None, title: str | None = None) -> Figure:
    """Training curves of one run: V(D, G) losses, the mean outputs D(x) and D(G(z)), the lower
    bound L_I (against H(c) when `h_c` is given) and, when the run was evaluated, test accuracy."""
    panels = 4 if history.eval_step else 3
    fig, axes = plt.subplots(1, panels, figsize=(3.6 * panels, 3.2))
    axes[0].plot(history.step, history.loss_d, label="D loss = -V(D, G)")
    axes[0].plot(history.step, history.loss_g, label="G loss (adversarial part)")
    axes[0].set_title("losses")
    axes[1].plot(history.step, history.d_real, label="D(x), real")
    axes[1].plot(history.step, history.d_fake, label="D(G(z)), fake")
    axes[1].set_ylim(0, 1)
    axes[1].set_title("discriminator outputs")
    axes[2].plot(history.step, history.li_cat, label="L_I, categorical")
    if history.li_cont and any(v != 0 for v in history.li_cont):
        axes[2].plot(history.step, history.li_cont, label="L_I, continuous")
    if h_c is not None:
        axes[2].axhline(h_c, color="black", linestyle="--", linewidth=1, label=f"H(c) = {h_c:.2f}")
    axes[2].set_title("lower bound L_I (nats)")
    if history.eval_step:
        axes[3].plot(history.eval_step, history.accuracy, marker="o", label="accuracy (matched)")
        axes[3].plot(history.eval_step, history.nmi, marker="s", label="NMI")
        axes[3].set_ylim(0, 1)
        axes[3].set_title("c1 vs. test labels")
    for ax in axes:
        ax.set_xlabel("training step")
        ax.legend(fontsize="small", loc="best")
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def confusion_column_order(mapping: Mapping[int, int], n_categories: int) -> list[int]:
    """The category behind each column of `ClusterScores.confusion`: sorted by matched label, with
    unmatched categories last (the order `metrics.cluster_scores` uses)."""
    return sorted(range(n_categories), key=lambda c: mapping.get(c, n_categories + c))


def plot_confusion(
    confusion: np.ndarray,
    mapping: Mapping[int, int] | None = None,
    row_names: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """A seaborn heatmap of `ClusterScores.confusion`: rows are true labels, columns categories of c1.

    With `mapping` (category -> label, from `cluster_scores`) each column is named "k→m": category k,
    matched to label m; the columns are then in the same order as the matrix (sorted by m), so a
    good clustering shows a strong diagonal. `row_names` replaces the digits 0..9 (Fashion-MNIST).
    """
    import seaborn as sns  # imported here: seaborn is slow to import and only this figure needs it

    table = np.asarray(confusion)
    n_labels, n_categories = table.shape
    if mapping is not None:
        order = confusion_column_order(mapping, n_categories)
        columns = [f"{k}→{mapping[k]}" if k in mapping else f"{k}" for k in order]
    else:
        columns = [str(k) for k in range(n_categories)]
    rows = list(row_names) if row_names is not None else [str(i) for i in range(n_labels)]
    if len(rows) != n_labels:
        raise ValueError(f"row_names has {len(rows)} names for {n_labels} rows")
    if ax is None:
        _, ax = plt.subplots(figsize=(0.55 * n_categories + 2.2, 0.45 * n_labels + 1.4))
    sns.heatmap(
        table,
        annot=True,
        fmt="d",
        cmap="Blues",
        cbar=False,
        square=False,
        ax=ax,
        xticklabels=columns,
        yticklabels=rows,
        annot_kws={"fontsize": 7},
    )
    ax.set_xlabel("category of c1 (→ matched label)" if mapping is not None else "category of c1")
    ax.set_ylabel("true label")
    ax.set_title(title or "Test images: true label vs. Q's category")
    ax.tick_params(axis="y", rotation=0)
    ax.figure.tight_layout()
    return ax.figure


def plot_points(
    real: torch.Tensor | np.ndarray | None = None,
    fake: torch.Tensor | np.ndarray | None = None,
    centres: torch.Tensor | np.ndarray | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """2-D toy data (lesson 01): real points, generated points and the mixture centres, (N, 2) each."""
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    for points, style in (
        (real, {"s": 4, "alpha": 0.3, "color": "tab:blue", "label": "real"}),
        (fake, {"s": 4, "alpha": 0.5, "color": "tab:orange", "label": "generated"}),
        (centres, {"s": 60, "marker": "x", "color": "black", "label": "centres"}),
    ):
        if points is not None:
            p = np.asarray(torch.as_tensor(points).detach().cpu(), dtype=np.float32)  # (N, 2)
            ax.scatter(p[:, 0], p[:, 1], **style)
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize="small", markerscale=2)
    if title:
        ax.set_title(title)
    return ax.figure


def plot_seed_study(runs: Sequence[Mapping], nmi: np.ndarray, picked: int, title: str = "") -> Figure:
    """Left: every seed's test accuracy, the label-free pick in orange. Right: the pairwise agreement (NMI of the
    runs' partitions of the same unlabelled images) as a seaborn heatmap, runs in the same order."""
    import seaborn as sns

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.6), gridspec_kw={"width_ratios": [1, 1.2]})
    seeds = [str(r["seed"]) for r in runs]
    acc = [r["accuracy"] for r in runs]
    colours = ["tab:orange" if i == picked else "tab:blue" for i in range(len(runs))]
    left.bar(seeds, acc, color=colours)
    left.axhline(float(np.median(acc)), color="grey", ls="--", lw=1, label=f"median {np.median(acc):.3f}")
    left.axhline(0.95, color="black", ls=":", lw=1, label="the paper: 0.95")
    # the legend sits in a band above the bars and the paper's line, where it covers no bar
    left.set(xlabel="seed", ylabel="test accuracy of c1", ylim=(min(acc) - 0.05, 1.06), title="every seed")
    left.legend(loc="upper center", ncol=2, fontsize=8)
    sns.heatmap(
        nmi,
        ax=right,
        vmin=0.5,
        vmax=1.0,
        cmap="viridis",
        square=True,
        xticklabels=seeds,
        yticklabels=seeds,
        cbar_kws={"label": "NMI of the two runs' partitions"},
    )
    right.set(xlabel="seed", ylabel="seed", title="agreement between seeds (no labels)")
    right.tick_params(labelsize=7)  # 16 two-digit labels must not run together
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
