import pytest
import torch

from infogan_edu.latent import LatentSpec
from infogan_edu.models import InfoGAN, MLPDiscriminator, MLPGenerator, count_parameters, evaluating

SPEC = LatentSpec(noise=62, categorical=(10,), continuous=2)


def test_paper_mnist_shapes_follow_table_1() -> None:
    m = InfoGAN(SPEC, width=1.0)
    g_in = SPEC.to_input(SPEC.sample(4))
    x = m.g(g_in)
    assert x.shape == (4, 1, 28, 28) and x.min() >= -1 and x.max() <= 1
    # G: FC1024 - FC 7x7x128 - upconv 64 - upconv 1
    linears = [l for l in m.g.fc if isinstance(l, torch.nn.Linear)]
    assert [l.out_features for l in linears] == [1024, 7 * 7 * 128]
    convs = [l for l in m.g.deconv if isinstance(l, torch.nn.ConvTranspose2d)]
    assert [c.out_channels for c in convs] == [64, 1]
    # D: conv64 - conv128 - FC1024 ; Q: FC128 - output
    assert [c.out_channels for c in m.d.conv if isinstance(c, torch.nn.Conv2d)] == [64, 128]
    assert m.d.features(x).shape == (4, 1024)
    assert m.d(x).shape == (4,)
    q = m.q(x)
    assert [t.shape for t in q.cat_logits] == [(4, 10)]
    assert q.mean.shape == (4, 2) and q.log_std.shape == (4, 2)
    assert m.q_head.net[0].out_features == 128
    # BatchNorm with the default eps (the `BatchNorm2d(C, 0.8)` mistake sets eps = 0.8)
    assert all(b.eps == 1e-5 for b in m.modules() if isinstance(b, torch.nn.modules.batchnorm._BatchNorm))


def test_width_multiplier_keeps_shape_and_shrinks() -> None:
    small, full = InfoGAN(SPEC, width=0.25), InfoGAN(SPEC, width=1.0)
    assert small.g(SPEC.to_input(SPEC.sample(2))).shape == (2, 1, 28, 28)
    assert count_parameters(small) < count_parameters(full) / 8


def test_64x64_variant() -> None:
    spec = LatentSpec(noise=10, categorical=(3,), continuous=5)
    m = InfoGAN(spec, width=0.25, image_size=64)
    x = m.g(spec.to_input(spec.sample(3)))
    assert x.shape == (3, 1, 64, 64)
    assert m.d(x).shape == (3,)
    assert m.q(x).mean.shape == (3, 5)
    with pytest.raises(ValueError, match="image_size"):
        InfoGAN(spec, image_size=48)  # 32 is Table 4's faces network (test_render3d_train.py)


def test_toy_mlps() -> None:
    g, d = MLPGenerator(in_dim=2), MLPDiscriminator()
    assert g(torch.randn(7, 2)).shape == (7, 2)
    assert d(torch.randn(7, 2)).shape == (7,)


@pytest.mark.parametrize("start_training", [True, False])
def test_evaluating_restores_the_previous_mode_even_after_an_exception(start_training: bool) -> None:
    model = InfoGAN(LatentSpec(4, (3,), 1), width=0.125).train(start_training)
    with evaluating(model) as inside:
        assert inside is model and not model.training and not model.d.fc[1].training
    assert model.training == start_training and model.d.fc[1].training == start_training
    with pytest.raises(RuntimeError, match="inside the block"), evaluating(model):
        assert not model.training
        raise RuntimeError("raised inside the block")
    assert model.training == start_training and model.g.fc[1].training == start_training


def test_svhn_celeba_network_follows_tables_2_and_3() -> None:
    spec = LatentSpec(noise=124, categorical=(10,) * 4, continuous=4)  # SVHN's codes: G's input is 168
    m = InfoGAN(spec, width=1.0, image_size=32, channels=3, network="svhn-celeba")
    x = m.g(spec.to_input(spec.sample(4)))
    assert x.shape == (4, 3, 32, 32) and x.min() >= -1 and x.max() <= 1
    # G: FC 2x2x448 BN ReLU - upconv 256 BN ReLU - upconv 128 ReLU - upconv 64 ReLU - upconv 3 tanh
    assert [l.out_features for l in m.g.fc if isinstance(l, torch.nn.Linear)] == [2 * 2 * 448]
    assert m.g.fc[0].in_features == 168
    kinds = [type(l).__name__ for l in m.g.deconv]
    assert kinds == ["ConvTranspose2d", "BatchNorm2d", "ReLU"] + ["ConvTranspose2d", "ReLU"] * 2 + ["ConvTranspose2d"]
    assert [c.out_channels for c in m.g.deconv if isinstance(c, torch.nn.ConvTranspose2d)] == [256, 128, 64, 3]
    # D: conv 64 lReLU - conv 128 BN lReLU - conv 256 BN lReLU, all 4x4 stride 2, then FC 1; Q: FC 128 BN lReLU - FC
    convs = [c for c in m.d.conv if isinstance(c, torch.nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.stride) for c in convs] == [
        (3, 64, (4, 4), (2, 2)),
        (64, 128, (4, 4), (2, 2)),
        (128, 256, (4, 4), (2, 2)),
    ]
    assert [type(l).__name__ for l in m.d.conv].count("BatchNorm2d") == 2
    assert not any(isinstance(l, torch.nn.Linear) for l in m.d.conv)  # no FC 1024 as in Table 1
    assert m.d.features(x).shape == (4, 256 * 4 * 4) and m.d(x).shape == (4,)
    assert m.d.head.in_features == 4096 and m.q_head.net[0].in_features == 4096 and m.q_head.net[0].out_features == 128
    q = m.q(x)
    assert [t.shape for t in q.cat_logits] == [(4, 10)] * 4 and q.mean.shape == (4, 4)
    assert all(a.negative_slope == 0.1 for a in m.modules() if isinstance(a, torch.nn.LeakyReLU))
    assert m.architecture()["network"] == "svhn-celeba" and InfoGAN(spec).architecture()["network"] == "mnist"
    with pytest.raises(ValueError, match="image_size must be 32"):
        InfoGAN(spec, image_size=28, network="svhn-celeba")
    with pytest.raises(ValueError, match="network must be one of"):
        InfoGAN(spec, image_size=32, network="table2")
