"""InfoGAN on the rendered heads and chairs: the faces network of the paper's Table 4 (Table 1's at 32x32), the
heads3d / chairs3d presets against the paper's Appendix C.4-C.5, the data sets in the registry and the CLI, and
`known_factor_scores` against values computed by hand."""

import numpy as np
import pytest
import torch

from infogan_edu.cli import main
from infogan_edu.data import datasets as ds
from infogan_edu.data import download as dl
from infogan_edu.data import has_class_labels, load_dataset
from infogan_edu.latent import LatentSpec
from infogan_edu.models import InfoGAN


def test_faces_network_follows_table_4() -> None:
    # Table 4 (3D faces, 32x32 gray): G FC 1024 BN ReLU - FC 8x8x128 BN ReLU - 4x4 upconv 64 stride 2 BN ReLU -
    # 4x4 upconv 1 stride 2; D 4x4 conv 64 stride 2 lReLU - 4x4 conv 128 stride 2 BN lReLU - FC 1024 BN lReLU
    spec = LatentSpec(noise=128, categorical=(), continuous=5)
    m = InfoGAN(spec, width=1.0, image_size=32)
    x = m.g(spec.to_input(spec.sample(3)))
    assert x.shape == (3, 1, 32, 32) and x.min() >= -1 and x.max() <= 1
    linears = [l for l in m.g.fc if isinstance(l, torch.nn.Linear)]
    assert [(l.in_features, l.out_features) for l in linears] == [(133, 1024), (1024, 8 * 8 * 128)]
    ups = [c for c in m.g.deconv if isinstance(c, torch.nn.ConvTranspose2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.stride) for c in ups] == [
        (128, 64, (4, 4), (2, 2)),
        (64, 1, (4, 4), (2, 2)),
    ]
    convs = [c for c in m.d.conv if isinstance(c, torch.nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.stride) for c in convs] == [
        (1, 64, (4, 4), (2, 2)),
        (64, 128, (4, 4), (2, 2)),
    ]
    assert m.d.fc[0].in_features == 128 * 8 * 8 and m.d.features(x).shape == (3, 1024) and m.d(x).shape == (3,)
    assert m.q(x).mean.shape == (3, 5)


def test_presets_have_the_papers_codes_and_the_cpu_recipe() -> None:
    from infogan_edu.config import get_preset

    heads, chairs = get_preset("heads3d"), get_preset("chairs3d")
    # Appendix C.4: 5 continuous codes + 128 noise -> 133; C.5: 1 continuous + 3 x 20-way + 128 noise -> 189
    assert (heads.noise, heads.categorical, heads.continuous, heads.latent_spec().input_dim) == (128, (), 5, 133)
    assert (chairs.noise, chairs.categorical, chairs.continuous, chairs.latent_spec().input_dim) == (
        128,
        (20,) * 3,
        1,
        189,
    )
    assert (heads.dataset, chairs.dataset, heads.network, chairs.network) == ("heads3d", "chairs3d", "mnist", "mnist")
    for p in (heads, chairs):  # the cpu preset's recipe, written out
        assert (p.width, p.batch_size, p.steps, p.lr_d, p.lr_g, p.noise_prior) == (
            0.25,
            128,
            3600,
            4e-4,
            1e-3,
            "normal",
        )
        assert (p.q_optimizer, p.lambda_cat, p.lambda_cont, p.fixed_std, p.channels_last) == (
            "g",
            1.0,
            0.1,
            False,
            True,
        )


@pytest.fixture
def small_sets(tmp_path, monkeypatch):
    """The rendered splits at a test's size, cached under tmp_path (never in the user's cache)."""
    monkeypatch.setenv(dl.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setitem(ds.RENDERED_SPLITS, "train", (40, 0))
    monkeypatch.setitem(ds.RENDERED_SPLITS, "all", (40, 0))
    monkeypatch.setitem(ds.RENDERED_SPLITS, "test", (24, 1))
    return tmp_path


def test_rendered_sets_are_in_the_registry(small_sets) -> None:
    from infogan_edu.cli_options import dataset_argument
    from infogan_edu.data.render3d import sample_chairs

    images, factors = load_dataset("chairs3d", "train")
    expected, truth = sample_chairs(40, torch.Generator().manual_seed(0))  # the split's (n, seed)
    assert images.dtype == np.uint8 and images.shape == (40, 32, 32) and np.array_equal(images, expected.numpy())
    assert factors.shape == (40, 4) and np.array_equal(factors[:, 2], truth["style"].numpy())
    test_images, _ = load_dataset("chairs3d", "test")
    assert test_images.shape == (24, 32, 32) and not np.array_equal(test_images, images[:24])  # another seed
    assert np.array_equal(load_dataset("chairs3d", "all")[0], images)
    assert not has_class_labels("heads3d") and not has_class_labels("chairs3d")
    assert dataset_argument("heads3d") == "heads3d" and dataset_argument("chairs3d") == "chairs3d"
    with pytest.raises(ValueError, match="unknown split 'valid' of heads3d; valid splits are 'train', 'all', 'test'"):
        load_dataset("heads3d", "valid")


@pytest.mark.parametrize(("preset", "dataset"), [("heads3d", "heads3d"), ("chairs3d", "chairs3d")])
def test_a_rendered_preset_brings_its_own_data(preset: str, dataset: str) -> None:
    from infogan_edu.cli import _config, _parser

    args = _parser().parse_args(["train", "--preset", preset, "--out", "unused"])
    assert _config(args, {}).dataset == dataset


@pytest.mark.slow
def test_cli_trains_on_rendered_heads_and_eval_reads_the_factors(small_sets, capsys) -> None:
    from infogan_edu.checkpoint import load_file

    out = small_sets / "run"
    tiny = ["--steps", "2", "--no-progress", "--set", "width=0.0625", "--set", "batch_size=16", "--set", "log_every=1"]
    assert main(["train", "--preset", "heads3d", *tiny, "--out", str(out)]) == 0
    ckpt = load_file(out / "checkpoint.pt")
    assert ckpt["config"]["dataset"] == "heads3d" and ckpt["step"] == 2
    assert (ckpt["architecture"]["image_size"], ckpt["architecture"]["network"]) == (32, "mnist")
    capsys.readouterr()
    assert main(["eval", str(out / "checkpoint.pt")]) == 0
    text = capsys.readouterr().out
    assert "24 held-out heads3d images" in text and "MIG against the true factors: " in text
    assert [line.split(":")[0].strip() for line in text.splitlines()[-5:]] == [
        "azimuth",
        "elevation",
        "light",
        "width",
        "abs_azimuth",
    ]


def test_known_factor_scores_against_hand_computed_values(monkeypatch) -> None:
    from infogan_edu import disentanglement as dis

    # a full factorial of the four head factors (32 images), so that any two factors are exactly independent
    grid = np.array(np.meshgrid([-90.0, -30.0, 30.0, 90.0], [-30.0, 30.0], [-90.0, 90.0], [0.8, 1.2], indexing="ij"))
    az, el, light, width = grid.reshape(4, -1)
    factors = {"azimuth": az, "elevation": el, "light": light, "width": width}
    # Q's designed read-out: c1 = azimuth, c2 = -light, c3 = |azimuth|, c4 constant, c5 = elevation
    read = torch.tensor(np.stack([az, -light, np.abs(az), np.zeros(32), el], axis=1))
    monkeypatch.setattr(dis, "with_population_statistics", lambda model, *a, **k: model)
    monkeypatch.setattr(dis, "q_codes", lambda model, images, **k: read)
    model = InfoGAN(LatentSpec(noise=2, categorical=(), continuous=5), width=0.0625, image_size=32)
    s = dis.known_factor_scores(model, torch.zeros(32, 32, 32, dtype=torch.uint8), factors, {"abs_azimuth": np.abs(az)})
    assert s["rho"]["azimuth"] == [1.0, 0.0, 0.0, None, 0.0]  # c3 = |azimuth| has no rank order with the sign
    assert s["rho"]["light"] == [0.0, -1.0, 0.0, None, 0.0] and s["rho"]["abs_azimuth"] == [0.0, 0.0, 1.0, None, 0.0]
    assert s["best_abs_rho"] == {"azimuth": 1.0, "elevation": 1.0, "light": 1.0, "width": 0.0, "abs_azimuth": 1.0}
    # MIG: azimuth (4 values) is read fully by c1 (ln 4) and half by c3 (|azimuth|: ln 2): gap (ln 4 - ln 2) / ln 4;
    # light by c2 and elevation by c5 alone: gap 1; width by none: 0
    assert s["mig_per_factor"] == pytest.approx({"azimuth": 0.5, "elevation": 1.0, "light": 1.0, "width": 0.0})
    assert s["mig"] == pytest.approx((0.5 + 1 + 1 + 0) / 4)
