r"""The traversal explorer without a kernel: precomputed frames, and a page that flips between them.

:class:`~infogan_edu.widgets.TraversalExplorer` runs G(z, c) in the kernel each time a slider
moves, so a notebook rendered to a web page shows it as an empty box. This module computes the
pictures once, ahead of time, for every point of a grid of codes, and writes a small piece of
HTML whose controls only choose which stored picture to show:

    frames[i] = PNG of G(z_s, c) for the noise seed s and codes c of grid point i

* c1 (the categorical code): all of its K values (10 for MNIST);
* c2, c3 (continuous codes): the values in `values`, by default -1, -0.5, 0, 0.5 and 1: the
  training range [-1, 1], which is where the model draws well (the live explorer goes to +-2 and
  shows it fall apart; a static page is for the part that works);
* the noise: a few seeds, each giving `grid` x `grid` noise vectors drawn by
  :func:`~infogan_edu.frames.noise_for_seed`, the same z as the live explorer's `grid` x `grid`
  picture for that seed.

A frame is the `grid` x `grid` picture made by :func:`~infogan_edu.plots.images_to_grid` (the same
tiling and padding as the live explorer, at scale 1), so the static page and the live widget show
the same pixels for the same seed and codes. The number of frames is
``len(seeds) * prod(len(values of each code))``: 3 * 10 * 5 * 5 = 750 with the defaults.

Why our own HTML and not ipywidgets: ipywidgets can link a slider to a ``Stack`` of ``Image``
widgets in the browser (``jslink``), but a static page then needs the widget manager's JavaScript,
which comes from npm or a CDN, not from PyPI, and a page must load nothing from another host. The
output of :meth:`StaticExplorer.html` is self-contained instead: buttons for a categorical code,
``<input type="range">`` for a continuous one, the frames as base64 PNG strings in a JSON block,
and about forty lines of plain JavaScript that put the chosen frame into one ``<img>`` (no library,
no request: a ``data:`` URL is decoded by the browser itself). It works

* on any static page (Sphinx with myst-nb copies a cell's ``text/html`` output verbatim);
* in JupyterLab, when the kernel produced the output in this session (a notebook's own outputs are
  trusted, so its script runs). A stored notebook opened later is not trusted until you trust it
  (or re-run the cell); until then JupyterLab shows the first frame without the controls working.
  Every control carries ``data-lm-suppress-shortcuts``: without it, JupyterLab's command-mode
  shortcuts (which match any focused element that is not a text field) take the arrow keys away
  from the sliders.

Size (the cpu model, 28 x 28 images, 2 x 2 samples per frame, 62 x 62 pixels with padding): about
1.1 kB of PNG per frame, 1.4 kB as base64; 750 frames are about 1 MB in the page
(:attr:`StaticExplorer.page_bytes` measures it). The page shows each frame enlarged `zoom` times
with square pixels (CSS ``image-rendering: pixelated``), so no larger file is needed.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
from PIL import Image

from .frames import cpu_render_settings, default_codes, latent_for_codes, noise_for_seed
from .latent import Latent, LatentSpec
from .plots import format_value, generate, images_to_grid

__all__ = ["DEFAULT_SEEDS", "DEFAULT_VALUES", "StaticExplorer", "static_explorer"]

DEFAULT_VALUES = (-1.0, -0.5, 0.0, 0.5, 1.0)  # continuous codes: the training range, in steps of 0.5
DEFAULT_SEEDS = (0, 1, 2)
_OWN_KEYS = 'data-lm-suppress-shortcuts="true"'  # JupyterLab: keys pressed on this control are its own
_BATCH_POINTS = 25  # grid points per call of G: 100 images for a 2 x 2 grid


@dataclass(frozen=True)
class StaticExplorer:
    """Precomputed traversal frames and the HTML that shows them (see the module docstring).

    `axes` lists, for each code in the spec's order, its name and its values; `seeds` the noise
    seeds; `frames` the PNG bytes of every grid point, seed first, then the codes in `axes` order
    (row-major: the last code varies fastest). Display it as the last line of a notebook cell, or
    write :meth:`html` into any page.
    """

    spec: LatentSpec
    axes: tuple[tuple[str, tuple[float, ...]], ...]
    seeds: tuple[int, ...]
    grid: int
    frames: tuple[bytes, ...]
    zoom: int = 4

    def index(self, seed: int, codes: Mapping[str, float]) -> int:
        """Position in `frames` of the picture for `seed` and `codes` (every code named, on the grid)."""
        if seed not in self.seeds:
            raise ValueError(f"seed {seed} has no frames; this explorer has seeds {list(self.seeds)}")
        i = self.seeds.index(seed)
        for name, values in self.axes:
            if name not in codes:
                names = ", ".join(n for n, _ in self.axes)
                raise ValueError(f"codes must name every code ({names}); {name} is missing")
            matches = [k for k, v in enumerate(values) if abs(v - float(codes[name])) < 1e-9]
            if not matches:
                raise ValueError(f"{name} = {codes[name]!r} is not on the grid; its values are {list(values)}")
            i = i * len(values) + matches[0]
        return i

    def frame(self, seed: int, codes: Mapping[str, float]) -> bytes:
        """The PNG bytes shown for `seed` and `codes`."""
        return self.frames[self.index(seed, codes)]

    @property
    def frame_bytes(self) -> int:
        """All frames' PNG bytes together (before base64, which adds a third)."""
        return sum(len(f) for f in self.frames)

    @property
    def page_bytes(self) -> int:
        """Bytes of :meth:`html` in UTF-8: what the explorer adds to a page."""
        return len(self.html().encode("utf-8"))

    def html(self) -> str:
        """Self-contained HTML: controls, one <img>, the frames as JSON, and the script linking them."""
        size = Image.open(io.BytesIO(self.frames[0])).size  # (width, height) of every frame
        labels = {name: [format_value(self.spec, name, v) for v in values] for name, values in self.axes}
        start = {name: _start_position(values) for name, values in self.axes}
        rows = [_control_row(self.spec.code(name).kind, name, labels[name], start[name]) for name, _ in self.axes]
        rows.append(_control_row("categorical", "seed", [str(seed) for seed in self.seeds], 0, "noise seed"))
        data = {
            "axes": [{"name": "seed", "labels": [str(s) for s in self.seeds], "start": 0}]
            + [{"name": n, "labels": labels[n], "start": start[n]} for n, _ in self.axes],
            "frames": [base64.b64encode(f).decode("ascii") for f in self.frames],
        }
        payload = json.dumps(data, separators=(",", ":"))
        uid = "ise-" + hashlib.sha256(payload.encode("ascii")).hexdigest()[:12]  # stable: outputs reproduce
        first = data["frames"][self._start_index()]  # shown before the script runs, and without it
        readout = " · ".join(f"{n} = {labels[n][start[n]]}" for n, _ in self.axes) + f" · noise seed {self.seeds[0]}"
        return (
            f'<div class="infogan-static-explorer" id="{uid}">{_STYLE}'
            + "".join(rows).replace("{uid}", uid)  # a range's <label for=...> needs a page-wide id
            + f'<img class="ise-image" alt="generated digits for {html.escape(readout)}" width="{size[0] * self.zoom}" '
            f'height="{size[1] * self.zoom}" src="data:image/png;base64,{first}">'
            f'<div class="ise-readout">{html.escape(readout)}</div>'
            f'<script type="application/json" class="ise-data">{payload}</script>'
            f"<script>{_SCRIPT}</script></div>"
        )

    def _start_index(self) -> int:
        return self.index(self.seeds[0], {n: v[_start_position(v)] for n, v in self.axes})

    def _repr_html_(self) -> str:
        return self.html()

    def __repr__(self) -> str:
        shape = " x ".join(f"{n} ({len(v)})" for n, v in self.axes)
        return (f"StaticExplorer({len(self.frames)} frames: {len(self.seeds)} seeds x {shape}; "
                f"{self.frame_bytes:,} bytes of PNG)")


def _control_row(kind: str, name: str, labels: list[str], start: int, title: str | None = None) -> str:
    """One row of controls: a button per value (categorical) or a range over the value positions."""
    head = html.escape(title or name)
    if kind == "categorical":
        buttons = "".join(
            f'<button type="button" {_OWN_KEYS} data-pos="{k}" aria-pressed="{"true" if k == start else "false"}">'
            f"{html.escape(label)}</button>" for k, label in enumerate(labels)
        )
        return (f'<div class="ise-row" data-code="{name}"><span class="ise-name">{head}</span>'
                f'<span class="ise-buttons" role="group" aria-label="{head}">{buttons}</span></div>')
    low, high, now = (html.escape(labels[k]) for k in (0, -1, start))
    return (f'<div class="ise-row" data-code="{name}"><label class="ise-name" for="{{uid}}-{name}">{head}</label>'
            f'<input id="{{uid}}-{name}" {_OWN_KEYS} type="range" min="0" max="{len(labels) - 1}" step="1" '
            f'value="{start}" aria-label="{head}"><output>{now}</output>'
            f'<span class="ise-range">{low} to {high}</span></div>')


def _start_position(values: Sequence[float]) -> int:
    """The control's starting position: the value nearest 0 (category 0 for a categorical code)."""
    return min(range(len(values)), key=lambda k: (abs(values[k]), k))


def _png(array) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="png", optimize=True)  # lossless, smallest zlib setting
    return buffer.getvalue()


def static_explorer(
    generator: torch.nn.Module,
    spec: LatentSpec | None = None,
    *,
    values: Sequence[float] = DEFAULT_VALUES,
    seeds: Sequence[int] = DEFAULT_SEEDS,
    grid: int = 2,
    zoom: int = 4,
    max_frames: int = 5000,
    codes: Sequence[str] | None = None,
) -> StaticExplorer:
    """Render every frame of the grid with `generator` (G, or an InfoGAN) and return the explorer.

    Every categorical code takes all its values, every continuous code the `values`; each seed s
    gives the `grid` x `grid` noise vectors ``noise_for_seed(spec, grid * grid, s)``. G runs in eval
    mode on one CPU thread (the same pixels on every run, which a stored notebook needs). Grayscale
    and colour (RGB) generators alike. `codes` names the codes that get a control (default: all); the
    others stay at category 0 or 0.0, which keeps a spec with many codes (SVHN's eight, CelebA's ten)
    within `max_frames`. Raises ValueError for an empty or non-finite `values`, no seeds, an unknown
    or repeated code name, or more than `max_frames` frames.
    """
    spec = spec if spec is not None else getattr(generator, "spec", None)
    if not isinstance(spec, LatentSpec):
        raise ValueError("static_explorer needs a LatentSpec: pass spec=... (e.g. model.spec)")
    values = tuple(float(v) for v in values)
    if not values or not all(v == v and abs(v) != float("inf") for v in values):
        raise ValueError(f"values must be a non-empty list of finite numbers, e.g. {list(DEFAULT_VALUES)}; "
                         f"got {values}")
    seeds = tuple(int(s) for s in seeds)
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be a non-empty list of distinct integers, e.g. {list(DEFAULT_SEEDS)}; "
                         f"got {seeds}")
    if grid < 1:
        raise ValueError(f"grid must be at least 1 (grid x grid samples per frame), got {grid}")
    chosen = [c.name for c in spec.codes] if codes is None else [spec.code(n).name for n in codes]
    if not chosen or len(set(chosen)) != len(chosen):
        raise ValueError(f"codes must name one or more of the spec's codes, each once; got {codes!r}")
    axes = tuple(
        (c.name, tuple(float(k) for k in range(c.size)) if c.kind == "categorical" else values)
        for c in spec.codes
        if c.name in chosen
    )
    names = [name for name, _ in axes]
    fixed = default_codes(spec)  # the codes without a control
    n_frames = len(seeds) * math.prod(len(v) for _, v in axes)
    if n_frames > max_frames:
        raise ValueError(f"{n_frames} frames is more than max_frames={max_frames}: use fewer values or seeds, "
                         "give controls to fewer codes (codes=[...]; each frame is about 1 kB in the page), or raise "
                         "max_frames")
    points = list(itertools.product(*(v for _, v in axes)))  # every grid point, the last code fastest
    frames = []
    with cpu_render_settings(threads=1):
        for seed in seeds:
            z = noise_for_seed(spec, grid * grid, seed)  # (grid^2, noise)
            for start in range(0, len(points), _BATCH_POINTS):
                chunk = points[start:start + _BATCH_POINTS]
                latents = [latent_for_codes(spec, {**fixed, **dict(zip(names, p, strict=True))}, z) for p in chunk]
                latent = Latent(*(torch.cat(parts) for parts in zip(*latents, strict=True)))  # (P * grid^2, ...)
                images = generate(generator, spec, latent)  # (P * grid^2, C, H, W)
                for k in range(len(chunk)):
                    frames.append(_png(images_to_grid(images[k * grid * grid:(k + 1) * grid * grid], nrow=grid)))
    return StaticExplorer(spec, axes, seeds, grid, tuple(frames), zoom)


# Scoped to the explorer's own class, so that it does not restyle the page around it.
_STYLE = """<style>
.infogan-static-explorer{font-family:sans-serif;font-size:14px;line-height:1.4;margin:0.5em 0}
.infogan-static-explorer .ise-row{display:flex;align-items:center;gap:0.5em;margin:0.2em 0}
.infogan-static-explorer .ise-name{min-width:6.5em;text-align:right;font-weight:bold}
.infogan-static-explorer button{min-width:2.2em;padding:0.15em 0.4em;border:1px solid #888;background:#f4f4f4;
 color:#000;cursor:pointer;font:inherit}
.infogan-static-explorer button[aria-pressed=true]{background:#2a6ebb;color:#fff;border-color:#2a6ebb}
.infogan-static-explorer input[type=range]{width:16em}
.infogan-static-explorer output{min-width:3.5em;font-family:monospace}
.infogan-static-explorer .ise-range{color:#666;font-size:12px}
.infogan-static-explorer .ise-image{image-rendering:pixelated;image-rendering:crisp-edges;display:block;margin:0.4em 0}
.infogan-static-explorer .ise-readout{font-family:monospace}
</style>"""

# Plain JavaScript, no library. Initialises every explorer on the page that is not yet initialised,
# so it does not depend on document.currentScript (which some renderers do not set).
_SCRIPT = """(function () {
  var roots = document.querySelectorAll(".infogan-static-explorer:not([data-ready])");
  Array.prototype.forEach.call(roots, function (root) {
    var dataNode = root.querySelector("script.ise-data");
    if (!dataNode) { return; }
    root.setAttribute("data-ready", "1");
    var data = JSON.parse(dataNode.textContent);
    var pos = data.axes.map(function (a) { return a.start; });
    var img = root.querySelector("img.ise-image");
    var readout = root.querySelector(".ise-readout");
    function show() {
      var i = 0, parts = [];
      data.axes.forEach(function (a, k) { i = i * a.labels.length + pos[k]; });
      img.src = "data:image/png;base64," + data.frames[i];
      data.axes.forEach(function (a, k) { if (k > 0) { parts.push(a.name + " = " + a.labels[pos[k]]); } });
      parts.push("noise seed " + data.axes[0].labels[pos[0]]);
      readout.textContent = parts.join(" \\u00b7 ");
      img.alt = "generated digits for " + readout.textContent;
    }
    data.axes.forEach(function (a, k) {
      var row = root.querySelector('.ise-row[data-code="' + a.name + '"]');
      if (!row) { return; }
      var range = row.querySelector("input[type=range]");
      if (range) {
        var out = row.querySelector("output");
        range.addEventListener("input", function () {
          pos[k] = parseInt(range.value, 10);
          out.textContent = a.labels[pos[k]];
          show();
        });
      }
      Array.prototype.forEach.call(row.querySelectorAll("button"), function (b) {
        b.addEventListener("click", function () {
          pos[k] = parseInt(b.getAttribute("data-pos"), 10);
          Array.prototype.forEach.call(row.querySelectorAll("button"), function (o) {
            o.setAttribute("aria-pressed", o === b ? "true" : "false");
          });
          show();
        });
      });
    });
    show();
  });
})();"""
