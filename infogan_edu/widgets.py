r"""The latent traversal explorer: one control per code of G(z, c), and the images follow.

InfoGAN makes sense the moment one slider turns the digit and another thickens the stroke. The
explorer shows exactly that for a trained generator: a toggle button row per categorical code
(c1 = 0..9 for MNIST), a slider per continuous code (c2, c3) over [-2, 2] (twice the training
range [-1, 1], as in the paper's Figure 2), a noise seed and a grid size. The picture is a grid of
n x n samples that all share the codes shown and differ only in the noise z, so a code's effect is
visible on many digits at once.

The widget is a thin layer over plain functions that work without a browser (module `frames`):

    codes ──check_codes──> codes ──latent_for_codes(z)──> Latent ──generate──> images ──grid_png──> PNG

* :func:`check_codes` clamps continuous codes to the explorer's range (with a message) and refuses
  categorical values that do not exist;
* :func:`noise_for_seed` draws the n^2 noise vectors for a seed (the codes are not touched);
* :func:`latent_for_codes` puts one set of codes next to every noise vector;
* :func:`render_codes` runs all of it and returns PNG bytes.

`TraversalExplorer(..., compare=other)` drives a second generator (for instance one trained with
lambda = 0, whose codes are entangled) with the very same inputs, side by side.
"""

from __future__ import annotations

import html
import time
from contextlib import contextmanager, nullcontext

import ipywidgets as widgets
import torch

from .frames import (
    EXPLORER_RANGE,
    Codes,
    check_codes,
    cpu_render_settings,
    format_codes,
    latent_for_codes,
    noise_for_seed,
)
from .latent import CONTINUOUS_HIGH, CONTINUOUS_LOW, Latent, LatentSpec
from .plots import format_value, generate, grid_png, module_device

__all__ = ["TraversalExplorer"]  # the plain functions it draws with are in `frames`

def _row_label(text: str) -> widgets.HTML:
    """A label lined up with the sliders' own descriptions (for controls drawn without one)."""
    return widgets.HTML(
        f"<div style='text-align: right; padding-right: 8px'>{html.escape(text)}</div>",
        layout=widgets.Layout(width="var(--jp-widgets-inline-label-width, 80px)", min_width="80px"),
    )


# ---------------------------------------------------------------------------------- the widget
class TraversalExplorer:
    """Sliders and buttons for the codes of a generator, and the grid of images they produce.

    >>> model, info = load_pretrained("mnist_cpu")
    >>> TraversalExplorer(model.g, model.spec)                       # last line of a notebook cell
    >>> TraversalExplorer(model.g, model.spec, compare=gan.g, labels=("InfoGAN", "GAN (lambda = 0)"))

    Controls (all public attributes, so lessons and tests can drive them):

    * ``controls[name]``: ``ToggleButtons`` for each categorical code, ``FloatSlider`` over
      `value_range` (default [-2, 2]) for each continuous code;
    * ``seed``: an ``IntSlider`` choosing the noise z; ``new_noise``: a button moving to the next seed;
    * ``grid_size``: an ``IntSlider``, n for an n x n grid of samples;
    * ``images``: one ``ipywidgets.Image`` (PNG) per generator (two in compare mode), ``image`` the first;
    * ``readout``: an ``HTML`` line with the codes the images were made with, plus any message.

    Every image of the grid is G(z_i, c) with the codes c shown and its own noise z_i; changing the
    seed changes z and nothing else. Continuous values set through :meth:`set` outside the range are
    clamped with a message in the readout; sliders clamp by themselves. Unknown categories are refused.

    Arguments: `generator` is G (or a whole `InfoGAN`; its `.g` is used) and `spec` its LatentSpec
    (taken from `generator.spec` when omitted). `compare` is a second generator with the same spec,
    shown beside the first under `labels`. `grid` is the starting n (at most `max_grid`), `seed`
    the starting noise seed, `scale` the pixel enlargement of the PNG, `value_range` and `step` the
    continuous sliders' range and step.

    Speed: a change re-runs G on n^2 latents and encodes one PNG. The explorer caches z and runs G
    in eval mode without gradients; on the CPU it uses `threads` torch threads (1 by default: for
    a 64-image batch a second thread did not pay for itself, and slowed renders when other work
    shared the cores) and, unless `onednn=True`, PyTorch's own kernels instead of oneDNN's (see
    :func:`cpu_render_settings`). `benchmarks/widget_latency.py` times slider change -> new PNG
    bytes; for the cpu model and an 8 x 8 grid on 2 cores it stayed within the 50 ms budget for
    "live" (benchmarks/results/data-and-widgets.md), so sliders use ``continuous_update=True``: the
    images follow the handle while it moves. Pass ``continuous_update=False`` for a large model or
    a slow machine.
    """

    def __init__(
        self,
        generator: torch.nn.Module,
        spec: LatentSpec | None = None,
        *,
        compare: torch.nn.Module | None = None,
        labels: tuple[str, str] = ("InfoGAN", "GAN"),
        grid: int = 8,
        max_grid: int = 10,
        seed: int = 0,
        scale: int = 2,
        value_range: tuple[float, float] = EXPLORER_RANGE,
        step: float = 0.05,
        continuous_update: bool = True,
        threads: int | None = 1,
        onednn: bool = False,
    ):
        spec = spec if spec is not None else getattr(generator, "spec", None)
        if not isinstance(spec, LatentSpec):
            raise ValueError("TraversalExplorer needs a LatentSpec: pass spec=... (e.g. model.spec)")
        if compare is not None:
            other = getattr(compare, "spec", None)
            if other is not None and other != spec:
                raise ValueError(f"compare needs the same latent input as the generator: {other} != {spec}")
        if compare is not None and len(labels) != 2:
            raise ValueError(f"labels must name the two generators, e.g. ('InfoGAN', 'GAN'); got {labels!r}")
        if not 1 <= grid <= max_grid:
            raise ValueError(f"grid must be between 1 and max_grid={max_grid}, got {grid}")
        low, high = value_range
        if not low < high:
            raise ValueError(f"value_range must be (low, high) with low < high, got {value_range}")
        self.spec, self.scale, self.threads, self.onednn = spec, scale, threads, onednn
        self.value_range = (float(low), float(high))
        self.generators = [generator] if compare is None else [generator, compare]
        self.labels = tuple(labels[: len(self.generators)]) if compare is not None else ()
        self.messages: list[str] = []
        self.render_seconds: list[float] = []  # wall time of every re-render, newest last
        self.latent: Latent | None = None  # what the images on screen were made from
        self._noise_cache: dict[tuple[int, int], torch.Tensor] = {}
        self._hold = False

        self.controls: dict[str, widgets.ValueWidget] = {}
        for code in spec.codes:
            if code.kind == "categorical":
                control = widgets.ToggleButtons(
                    options=[(str(k), k) for k in range(code.size)], value=0,
                    tooltips=[f"{code.name} = {k}" for k in range(code.size)], style={"button_width": "2.4em"},
                )
            else:
                control = widgets.FloatSlider(
                    value=0.0, min=low, max=high, step=step, description=code.name,
                    continuous_update=continuous_update, readout_format="+.2f",
                    layout=widgets.Layout(width="26em"),
                )
            control.add_class(f"explorer-{code.name}")
            self.controls[code.name] = control
        self.seed = widgets.IntSlider(
            value=seed, min=0, max=9999, description="noise seed", continuous_update=continuous_update,
            layout=widgets.Layout(width="26em"),
        )
        self.seed.add_class("explorer-seed")
        self.new_noise = widgets.Button(description="new noise", tooltip="draw new z, keep the codes")
        self.new_noise.add_class("explorer-new-noise")
        self.new_noise.on_click(self._next_seed)
        self.grid_size = widgets.IntSlider(value=grid, min=1, max=max_grid, description="grid n",
                                           continuous_update=continuous_update)
        self.grid_size.add_class("explorer-grid-size")
        self.images = [widgets.Image(format="png") for _ in self.generators]
        for i, image in enumerate(self.images):
            image.add_class("explorer-image")
            image.add_class(f"explorer-image-{i}")
        self.image = self.images[0]
        self.readout = widgets.HTML()
        self.readout.add_class("explorer-readout")

        for control in (*self.controls.values(), self.seed, self.grid_size):
            control.observe(self._on_change, names="value")

        panels = [
            widgets.VBox([widgets.HTML(f"<b>{html.escape(label)}</b>"), image])
            for label, image in zip(self.labels, self.images, strict=True)
        ] if self.labels else self.images
        rows = [
            widgets.HBox([_row_label(name), control]) if isinstance(control, widgets.ToggleButtons) else control
            for name, control in self.controls.items()
        ]
        self.widget = widgets.VBox([
            *rows,
            widgets.HBox([self.seed, self.new_noise]),
            self.grid_size,
            self.readout,
            widgets.HBox(panels),
        ])
        self.widget.add_class("infogan-explorer")
        self.render()

    # ------------------------------------------------------------------------------ state
    @property
    def codes(self) -> Codes:
        """The codes the controls show now (name -> value)."""
        out = {}
        for code in self.spec.codes:
            value = self.controls[code.name].value
            out[code.name] = int(value) if code.kind == "categorical" else float(value)
        return out

    @property
    def noise(self) -> torch.Tensor:
        """The current noise vectors z, (n^2, noise), cached per (seed, n)."""
        key = (int(self.seed.value), int(self.grid_size.value) ** 2)
        if key not in self._noise_cache:
            self._noise_cache.clear()  # keep one entry: the explorer only ever shows one
            self._noise_cache[key] = noise_for_seed(self.spec, key[1], key[0])
        return self._noise_cache[key]

    def set(self, **codes: float) -> TraversalExplorer:
        """Set codes by name, e.g. ``explorer.set(c1=3, c2=1.5)``, and re-render once.

        Continuous values outside the range are clamped (the readout says so); an unknown category
        or code name raises ValueError and changes nothing.
        """
        partial = {**self.codes, **codes}
        checked, messages = check_codes(self.spec, partial, self.value_range)
        with self._held():
            for name in codes:
                self.controls[name].value = checked[name]
        self.render(messages)
        return self

    # ---------------------------------------------------------------------------- events
    @contextmanager
    def _held(self):
        """Change several controls with a single re-render at the end."""
        previous, self._hold = self._hold, True
        try:
            yield
        finally:
            self._hold = previous

    def _on_change(self, change: dict) -> None:  # noqa: ARG002 (the traitlets change record)
        if not self._hold:
            self.render()

    def _next_seed(self, button: widgets.Button | None = None) -> None:  # noqa: ARG002
        self.seed.value = (self.seed.value + 1) % (self.seed.max + 1)

    def render(self, messages: list[str] | None = None) -> None:
        """Make the images for the current controls and update the readout."""
        started = time.perf_counter()
        codes, clamp_messages = check_codes(self.spec, self.codes, self.value_range)
        self.messages = list(messages or []) + clamp_messages
        z = self.noise
        n = int(self.grid_size.value)
        latent = latent_for_codes(self.spec, codes, z)
        on_cpu = all(module_device(getattr(g, "g", g)).type == "cpu" for g in self.generators)
        with cpu_render_settings(self.threads, self.onednn) if on_cpu else nullcontext():
            pictures = [
                grid_png(generate(g, self.spec, latent), nrow=n, scale=self.scale) for g in self.generators
            ]
        for image, picture in zip(self.images, pictures, strict=True):
            image.value = picture
        self.latent = latent
        self.readout.value = self._readout_html(codes)
        self.render_seconds.append(time.perf_counter() - started)

    def _readout_html(self, codes: Codes) -> str:
        parts = []
        for code in self.spec.codes:
            text = f"{code.name} = {format_value(self.spec, code.name, codes[code.name])}"
            if code.kind == "continuous" and not CONTINUOUS_LOW <= codes[code.name] <= CONTINUOUS_HIGH:
                text += " <i>(beyond the training range [-1, 1])</i>"
            parts.append(text)
        n = int(self.grid_size.value)
        line = " · ".join(parts) + f" · noise seed {int(self.seed.value)} · {n}×{n} samples"
        for message in self.messages:
            line += f"<br><span style='color:#b00'>{html.escape(message)}</span>"
        return f"<span class='explorer-codes'>{line}</span>"

    # --------------------------------------------------------------------------- display
    def _repr_mimebundle_(self, **kwargs: object) -> dict | None:
        """The widget view, with a short, stable text form (stored notebook outputs stay comparable)."""
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if bundle is not None:
            bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self) -> str:
        mode = f"compare {self.labels}" if len(self.generators) == 2 else "single"
        return f"TraversalExplorer({format_codes(self.spec, self.codes)}; seed {self.seed.value}; {mode})"
