"""The traversal explorer and the plotting helpers, without a browser.

Setting a widget's `.value` fires its observers synchronously, so each test drives a control the
way a slider drag would and then inspects what reached the generator: a recording wrapper keeps
every generator input, whose columns are read with `spec.layout()`.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import torch
from matplotlib import pyplot as plt
from PIL import Image

from infogan_edu.frames import (
    EXPLORER_RANGE,
    check_codes,
    default_codes,
    format_codes,
    latent_for_codes,
    noise_for_seed,
    render_codes,
)
from infogan_edu.history import History
from infogan_edu.latent import Latent, LatentSpec
from infogan_edu.metrics import cluster_scores
from infogan_edu.models import InfoGAN
from infogan_edu.plots import (
    confusion_column_order,
    format_value,
    generate,
    grid_png,
    images_to_grid,
    plot_confusion,
    plot_history,
    plot_li_curves,
    plot_points,
    show_samples,
    traversal_grid,
)
from infogan_edu.widgets import TraversalExplorer

SPEC = LatentSpec(62, (10,), 2)  # the paper's MNIST codes: c1 ~ Cat(10), c2, c3 ~ Unif(-1, 1)


class Recorder(torch.nn.Module):
    """A generator wrapper that keeps a copy of every input it is called with."""

    def __init__(self, inner: torch.nn.Module):
        super().__init__()
        self.inner = inner
        self.inputs: list[torch.Tensor] = []

    def forward(self, g_input: torch.Tensor) -> torch.Tensor:
        self.inputs.append(g_input.detach().clone())  # (B, input_dim)
        return self.inner(g_input)

    @property
    def last(self) -> torch.Tensor:
        return self.inputs[-1]


def make_generator(seed: int, spec: LatentSpec = SPEC) -> torch.nn.Module:
    torch.manual_seed(seed)
    return InfoGAN(spec, width=0.25).g.eval()


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def recorder() -> Recorder:
    return Recorder(make_generator(0))


@pytest.fixture
def explorer(recorder: Recorder) -> TraversalExplorer:
    return TraversalExplorer(recorder, SPEC, grid=4)


def decoded_codes(spec: LatentSpec, g_input: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Split a generator input into z, the categorical values (argmax of each one-hot block) and the
    continuous columns, checking on the way that every block is an exact one-hot vector."""
    layout = spec.layout()
    cats = []
    for i in range(spec.n_categorical):
        block = g_input[:, layout[f"cat{i}"]]  # (B, K_i)
        assert torch.all((block == 0) | (block == 1)) and torch.all(block.sum(1) == 1), "not one-hot"
        cats.append(block.argmax(1))
    return g_input[:, layout["z"]], torch.stack(cats, 1), g_input[:, layout["cont"]]


def png_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as picture:
        assert picture.format == "PNG"
        return picture.size  # (width, height)


# ------------------------------------------------------------------------------------ plots: arrays
def test_images_to_grid_layout_and_values() -> None:
    images = torch.full((5, 1, 4, 6), -1.0)
    images[1] = 1.0
    grid = images_to_grid(images, nrow=3, padding=2, pad_value=0.0)
    assert grid.dtype == np.uint8
    assert grid.shape == (2 * (4 + 2) + 2, 3 * (6 + 2) + 2)
    assert grid[2, 2] == 0  # image 0 is all -1: black
    assert grid[2, 2 + 8] == 255  # image 1 is all +1: white
    assert grid[0, 0] == 128  # padding 0.0 -> round(127.5) = 128
    assert grid[2 + 6, 2 + 2 * 8] == 128  # the empty sixth tile is padding


def test_images_to_grid_clips_and_accepts_numpy_and_colour() -> None:
    grid = images_to_grid(np.array([[[[3.0, -7.0]]]]), nrow=1, padding=0)
    assert grid.tolist() == [[255, 0]]
    colour = images_to_grid(torch.zeros(2, 3, 5, 5), nrow=2)
    assert colour.shape == (5 + 4, 2 * 7 + 2, 3)
    with pytest.raises(ValueError, match="shape"):
        images_to_grid(torch.zeros(2, 2, 5, 5))


def test_grid_png_is_a_png_of_the_grid_scaled() -> None:
    images = torch.rand(6, 1, 28, 28) * 2 - 1
    grid = images_to_grid(images, nrow=3)
    data = grid_png(images, nrow=3, scale=2)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert png_size(data) == (grid.shape[1] * 2, grid.shape[0] * 2)
    with Image.open(io.BytesIO(grid_png(images, nrow=3))) as picture:
        assert np.array_equal(np.asarray(picture), grid)  # lossless


def test_generate_runs_in_eval_mode_without_grad_and_restores_mode() -> None:
    g = make_generator(0).train()
    latent = SPEC.sample(3, torch.Generator().manual_seed(1))
    images = generate(g, SPEC, latent)
    assert images.shape == (3, 1, 28, 28) and not images.requires_grad
    assert images.min() >= -1 and images.max() <= 1
    assert g.training, "generate must restore train mode"
    # eval mode: an image depends on its own latent only (no batch statistics)
    alone = generate(g, SPEC, Latent(latent.z[:1], latent.cat[:1], latent.cont[:1]))
    torch.testing.assert_close(alone[0], images[0])


def test_generate_accepts_the_whole_infogan() -> None:
    torch.manual_seed(0)
    model = InfoGAN(SPEC, width=0.25)
    latent = SPEC.sample(2, torch.Generator().manual_seed(0))
    torch.testing.assert_close(generate(model, SPEC, latent), generate(model.g, SPEC, latent))


# ------------------------------------------------------------------------------ widgets: plain layer
def test_check_codes_fills_defaults_clamps_and_refuses() -> None:
    codes, messages = check_codes(SPEC, {"c2": 3.5})
    assert codes == {"c1": 0, "c2": 2.0, "c3": 0.0}
    assert len(messages) == 1 and "c2 = 3.5" in messages[0] and "clamped to 2" in messages[0]
    codes, messages = check_codes(SPEC, {"c1": 9, "c3": -1.25})
    assert codes == {"c1": 9, "c2": 0.0, "c3": -1.25} and messages == []
    with pytest.raises(ValueError, match="c1 is a categorical code with values 0..9; got 10"):
        check_codes(SPEC, {"c1": 10})
    with pytest.raises(ValueError, match="categorical"):
        check_codes(SPEC, {"c1": 2.5})
    with pytest.raises(ValueError, match="no code named 'c4'"):
        check_codes(SPEC, {"c4": 0.0})
    with pytest.raises(ValueError, match="finite"):
        check_codes(SPEC, {"c2": float("nan")})


def test_latent_for_codes_puts_the_same_codes_next_to_every_noise() -> None:
    z = noise_for_seed(SPEC, 5, seed=3)
    assert z.shape == (5, 62)
    torch.testing.assert_close(z, noise_for_seed(SPEC, 5, seed=3))  # a seed is a fixed z
    latent = latent_for_codes(SPEC, {"c1": 4, "c2": -0.5, "c3": 1.75}, z)
    assert latent.cat.tolist() == [[4]] * 5
    assert latent.cont.tolist() == [[-0.5, 1.75]] * 5
    assert latent.z is z


def test_render_codes_and_format_codes() -> None:
    g = make_generator(0)
    codes = default_codes(SPEC)
    data = render_codes(g, SPEC, codes, noise_for_seed(SPEC, 6, 0), nrow=3, scale=1)
    assert png_size(data) == (3 * 30 + 2, 2 * 30 + 2)
    assert format_codes(SPEC, {"c1": 7, "c2": 0.25, "c3": -1.5}) == "c1 = 7 · c2 = +0.25 · c3 = -1.50"
    assert format_value(SPEC, "c1", 3.0) == "3"


# ------------------------------------------------------------------------------ widgets: controls
def test_controls_match_the_spec(explorer: TraversalExplorer) -> None:
    c1, c2, c3 = (explorer.controls[name] for name in ("c1", "c2", "c3"))
    assert type(c1).__name__ == "ToggleButtons" and [v for _, v in c1.options] == list(range(10))
    for slider in (c2, c3):
        assert type(slider).__name__ == "FloatSlider"
        assert (slider.min, slider.max) == EXPLORER_RANGE == (-2.0, 2.0)
        assert slider.continuous_update, "the render is fast enough to follow the handle"
    assert explorer.image.format == "png" and bytes(explorer.image.value).startswith(b"\x89PNG")
    assert "c1 = 0" in explorer.readout.value and "c2 = +0.00" in explorer.readout.value


@pytest.mark.parametrize(("name", "value"), [("c1", 7), ("c2", 1.25), ("c3", -0.6)])
def test_each_control_change_produces_new_image_bytes(
    explorer: TraversalExplorer, name: str, value: float
) -> None:
    before = explorer.image.value
    explorer.controls[name].value = value
    assert explorer.image.value != before
    assert png_size(explorer.image.value) == png_size(before)


def test_the_generator_receives_exactly_the_codes_shown(
    explorer: TraversalExplorer, recorder: Recorder
) -> None:
    explorer.controls["c1"].value = 7
    explorer.controls["c2"].value = 1.25
    explorer.controls["c3"].value = -0.6
    z, cat, cont = decoded_codes(SPEC, recorder.last)
    assert recorder.last.shape == (16, SPEC.input_dim)  # a 4 x 4 grid
    assert cat[:, 0].tolist() == [7] * 16  # the one-hot block sits in cat0 and marks category 7
    torch.testing.assert_close(cont, torch.tensor([[1.25, -0.6]]).expand(16, 2))  # c2, c3 in order
    torch.testing.assert_close(z, noise_for_seed(SPEC, 16, explorer.seed.value))
    assert explorer.codes == {"c1": 7, "c2": 1.25, "c3": -0.6}
    shown = explorer.readout.value
    assert "c1 = 7" in shown and "c2 = +1.25" in shown and "c3 = -0.60" in shown
    assert "beyond the training range" in shown  # 1.25 > 1
    assert explorer.latent is not None and explorer.latent.cont[0].tolist() == pytest.approx([1.25, -0.6])


def test_out_of_range_values_are_clamped_with_a_message(
    explorer: TraversalExplorer, recorder: Recorder
) -> None:
    explorer.controls["c2"].value = 3.7  # a slider clamps by itself
    assert explorer.controls["c2"].value == 2.0
    assert decoded_codes(SPEC, recorder.last)[2][0, 0].item() == 2.0
    explorer.set(c3=-5)  # the programmatic path clamps and says so
    assert explorer.controls["c3"].value == -2.0
    assert decoded_codes(SPEC, recorder.last)[2][0, 1].item() == -2.0
    assert "c3 = -5 is outside the explorer&#x27;s range [-2, 2]; clamped to -2" in explorer.readout.value
    explorer.controls["c3"].value = 0.5  # the message is gone with the next change
    assert "outside" not in explorer.readout.value


def test_unknown_categories_are_refused_and_nothing_changes(
    explorer: TraversalExplorer, recorder: Recorder
) -> None:
    calls = len(recorder.inputs)
    with pytest.raises(ValueError, match="c1 is a categorical code with values 0..9; got 12"):
        explorer.set(c1=12, c2=1.0)
    assert explorer.codes == {"c1": 0, "c2": 0.0, "c3": 0.0}
    assert len(recorder.inputs) == calls
    with pytest.raises(Exception, match="Invalid selection"):  # the toggle buttons refuse it too
        explorer.controls["c1"].value = 12


def test_set_changes_several_codes_with_one_render(
    explorer: TraversalExplorer, recorder: Recorder
) -> None:
    calls = len(recorder.inputs)
    explorer.set(c1=3, c2=-1.5, c3=0.25)
    assert len(recorder.inputs) == calls + 1
    _, cat, cont = decoded_codes(SPEC, recorder.last)
    assert cat[0, 0].item() == 3 and cont[0].tolist() == [-1.5, 0.25]


def test_noise_control_changes_z_but_not_the_codes(
    explorer: TraversalExplorer, recorder: Recorder
) -> None:
    explorer.set(c1=5, c2=0.75)
    z0, cat0, cont0 = decoded_codes(SPEC, recorder.last)
    image0 = explorer.image.value
    explorer.seed.value = 17
    z1, cat1, cont1 = decoded_codes(SPEC, recorder.last)
    assert not torch.equal(z0, z1) and explorer.image.value != image0
    assert torch.equal(cat0, cat1) and torch.equal(cont0, cont1)
    assert explorer.codes == {"c1": 5, "c2": 0.75, "c3": 0.0}
    explorer.new_noise.click()  # the button moves to the next seed
    assert explorer.seed.value == 18
    z2, cat2, cont2 = decoded_codes(SPEC, recorder.last)
    assert not torch.equal(z1, z2) and torch.equal(cat1, cat2) and torch.equal(cont1, cont2)
    explorer.seed.value = explorer.seed.max
    explorer.new_noise.click()
    assert explorer.seed.value == 0  # wraps around


def test_grid_size_control(explorer: TraversalExplorer, recorder: Recorder) -> None:
    explorer.grid_size.value = 3
    assert recorder.last.shape[0] == 9
    assert png_size(explorer.image.value) == ((3 * 30 + 2) * 2, (3 * 30 + 2) * 2)  # scale 2
    assert "3×3 samples" in explorer.readout.value


def test_compare_mode_drives_both_generators_with_identical_inputs(recorder: Recorder) -> None:
    other = Recorder(make_generator(1))
    labels = ("InfoGAN", "GAN (lambda = 0)")
    explorer = TraversalExplorer(recorder, SPEC, compare=other, labels=labels, grid=3)
    assert len(explorer.images) == 2
    for change in ({"c1": 2}, {"c2": -1.75}, {"c3": 0.4}):
        name, value = next(iter(change.items()))
        explorer.controls[name].value = value
        assert torch.equal(recorder.last, other.last)
    explorer.seed.value = 5
    assert torch.equal(recorder.last, other.last)
    assert len(recorder.inputs) == len(other.inputs)
    assert explorer.images[0].value != explorer.images[1].value  # different weights, different pictures
    assert "GAN (lambda = 0)" in repr(explorer)
    html_labels = [child.children[0].value for child in explorer.widget.children[-1].children]
    assert html_labels == ["<b>InfoGAN</b>", "<b>GAN (lambda = 0)</b>"]


def test_compare_mode_refuses_a_different_latent_spec() -> None:
    torch.manual_seed(0)
    other = InfoGAN(LatentSpec(62, (10,), 3), width=0.25).g
    with pytest.raises(ValueError, match="same latent input"):
        TraversalExplorer(make_generator(0), SPEC, compare=other)
    with pytest.raises(ValueError, match="labels must name the two generators"):
        TraversalExplorer(make_generator(0), SPEC, compare=make_generator(1), labels=("only one",))


def test_explorer_takes_the_spec_from_the_generator_and_displays_as_a_widget() -> None:
    explorer = TraversalExplorer(make_generator(0), grid=2)
    assert explorer.spec == SPEC
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"] == "TraversalExplorer(c1 = 0 · c2 = +0.00 · c3 = +0.00; seed 0; single)"
    assert explorer.render_seconds and all(t > 0 for t in explorer.render_seconds)


# ------------------------------------------------------------------------------ plots: figures
def test_traversal_grid_labels_every_row_and_column() -> None:
    g = Recorder(make_generator(0))
    cols = [-2, -1, 0, 1, 2]
    fig = traversal_grid(g, SPEC, "c1", range(10), "c2", cols, seed=3)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [str(k) for k in range(10)]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["-2", "-1", "0", "1", "2"]
    assert ax.get_ylabel() == "c1 (categorical)" and ax.get_xlabel() == "c2 (continuous)"
    # what reached G: rows c1 = 0..9, columns c2 = -2..2, z fixed, the other code c3 at 0
    z, cat, cont = decoded_codes(SPEC, g.last)
    assert g.last.shape[0] == 50
    assert cat[:, 0].tolist() == [k for k in range(10) for _ in cols]
    assert cont[:, 0].tolist() == cols * 10
    assert torch.all(cont[:, 1] == 0)
    assert torch.equal(z, z[:1].expand(50, -1))
    assert len(ax.images) == 1 and ax.images[0].get_array().shape == (10 * 30 + 2, 5 * 30 + 2)


def test_traversal_grid_continuous_rows_and_refusals() -> None:
    g = make_generator(0)
    fig = traversal_grid(g, SPEC, "c3", [-1.5, 0, 1.5], "c1", [0, 9], title="custom")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["-1.5", "0", "1.5"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "9"]
    assert ax.get_title() == "custom"
    with pytest.raises(ValueError, match="must differ"):
        traversal_grid(g, SPEC, "c2", [0], "c2", [1])
    with pytest.raises(ValueError, match="no code named"):
        traversal_grid(g, SPEC, "c9", [0], "c2", [1])


def test_traversal_grid_row_labels_name_each_row() -> None:
    g = make_generator(0)
    labels = ["0 (-> 7)", "1 (-> 3)"]
    fig = traversal_grid(g, SPEC, "c1", [0, 1], "c2", [-1, 1], row_labels=labels)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == labels
    with pytest.raises(ValueError, match="one per row"):
        traversal_grid(g, SPEC, "c1", [0, 1, 2], "c2", [-1, 1], row_labels=labels)


def _history(li: list[float], evaluated: bool = False) -> History:
    h = History()
    for i, v in enumerate(li):
        h.step.append(100 * (i + 1))
        h.loss_d.append(1.0)
        h.loss_g.append(0.7)
        h.li_cat.append(v)
        h.li_cont.append(0.1)
        h.d_real.append(0.6)
        h.d_fake.append(0.4)
    if evaluated:
        h.eval_step, h.accuracy, h.nmi = [200], [0.8], [0.7]
    return h


def test_plot_li_curves_draws_each_run_and_the_entropy() -> None:
    h_c = math.log(10)  # H(c1) of a uniform 10-way code
    fig = plot_li_curves({"InfoGAN": _history([1.0, 2.2, 2.3]), "GAN": _history([0.1, 0.2, 0.2])}, h_c)
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["InfoGAN", "GAN", "H(c) = 2.30 nats"]
    assert ax.get_lines()[2].get_ydata()[0] == pytest.approx(h_c)


def test_plot_history_panels() -> None:
    assert len(plot_history(_history([1.0, 2.0])).axes) == 3
    fig = plot_history(_history([1.0, 2.0], evaluated=True), h_c=2.3, title="run")
    assert len(fig.axes) == 4 and fig.axes[3].get_title() == "c1 vs. test labels"


def test_plot_confusion_names_columns_by_matched_label() -> None:
    labels = np.array([0, 0, 1, 1, 2, 2])
    pred = np.array([2, 2, 0, 0, 1, 1])  # category 2 is digit 0, category 0 is digit 1, ...
    scores = cluster_scores(pred, labels)
    assert confusion_column_order(scores.mapping, 3) == [2, 0, 1]
    fig = plot_confusion(scores.confusion, scores.mapping)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2→0", "0→1", "1→2"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0", "1", "2"]
    assert np.array_equal(np.diag(scores.confusion), [2, 2, 2])
    with pytest.raises(ValueError, match="row_names"):
        plot_confusion(scores.confusion, row_names=["a"])


def test_show_samples_and_plot_points() -> None:
    fig = show_samples(torch.zeros(10, 1, 28, 28), nrow=5, title="samples")
    assert fig.axes[0].get_title() == "samples"
    fig = plot_points(torch.randn(50, 2), torch.randn(40, 2), torch.zeros(8, 2))
    assert [c.get_label() for c in fig.axes[0].collections] == ["real", "generated", "centres"]


def test_rendering_leaves_torch_settings_as_they_were(explorer: TraversalExplorer) -> None:
    threads, onednn = torch.get_num_threads(), torch.backends.mkldnn.enabled
    explorer.controls["c2"].value = 0.5
    explorer.seed.value = 3
    assert (torch.get_num_threads(), torch.backends.mkldnn.enabled) == (threads, onednn)
