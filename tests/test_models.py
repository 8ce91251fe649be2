import pytest
import torch

from infogan_edu.latent import LatentSpec
from infogan_edu.models import (
    InfoGAN,
    MinibatchDiscrimination,
    MLPDiscriminator,
    MLPGenerator,
    count_parameters,
    init_weights,
)

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
        InfoGAN(spec, image_size=32)


def test_toy_mlps() -> None:
    g, d = MLPGenerator(in_dim=2), MLPDiscriminator()
    assert g(torch.randn(7, 2)).shape == (7, 2)
    assert d(torch.randn(7, 2)).shape == (7,)


def test_dcgan_init_draws_small_weights_and_unit_batchnorm_scales() -> None:
    model = InfoGAN(LatentSpec(62, (10,), 2), width=0.5)
    before = model.d.conv[0].weight.std().item()
    init_weights(model, "dcgan", torch.Generator().manual_seed(0))
    weights = torch.cat([m.weight.flatten() for m in model.modules() if isinstance(m, torch.nn.Linear)])
    assert abs(weights.std().item() - 0.02) < 0.002 and abs(weights.mean().item()) < 0.002
    assert before > 0.05  # PyTorch's default for this layer is much wider, so the call changed something
    bn = model.d.fc[1]
    assert abs(bn.weight.mean().item() - 1.0) < 0.01 and torch.all(bn.bias == 0)
    assert all(torch.all(m.bias == 0) for m in model.modules() if isinstance(m, torch.nn.Conv2d))


def test_init_scheme_is_validated() -> None:
    model = InfoGAN(LatentSpec(4, (3,), 1), width=0.125)
    init_weights(model, "pytorch")  # the default leaves the model as built
    with pytest.raises(ValueError, match="'pytorch' or 'dcgan'"):
        init_weights(model, "xavier")


def test_minibatch_discrimination_matches_its_equation_by_hand() -> None:
    layer = MinibatchDiscrimination(in_features=3, kernels=2, dims=2)
    with torch.no_grad():
        layer.T.copy_(torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]]))
    f = torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 2.0]])  # (B=3, A=3)
    m = (f @ layer.T).view(3, 2, 2)  # M_i: (B, K, C)
    expected = torch.zeros(3, 2)
    for i in range(3):
        for k in range(2):
            others = [torch.exp(-(m[i, k] - m[j, k]).abs().sum()) for j in range(3) if j != i]
            expected[i, k] = sum(others) / 2  # the mean over the B - 1 other samples
    assert torch.allclose(layer(f), expected, atol=1e-6)
    # a batch of identical samples: every pair is at distance 0, so every o(x_i)_k = 1
    assert torch.allclose(layer(torch.ones(4, 3)), torch.ones(4, 2))


def test_minibatch_discrimination_is_off_by_default_and_only_d_reads_it() -> None:
    torch.manual_seed(0)
    plain = InfoGAN(SPEC, width=0.25)
    torch.manual_seed(0)
    aided = InfoGAN(SPEC, width=0.25, minibatch_kernels=8)
    assert plain.d.minibatch is None and "minibatch_kernels" not in plain.architecture()
    assert aided.architecture()["minibatch_kernels"] == 8 and aided.d.head.in_features == 256 + 8
    # everything but the new layer is drawn as before, so runs without the aid are unchanged
    assert torch.equal(plain.d.conv[0].weight, aided.d.conv[0].weight)
    x = torch.randn(6, 1, 28, 28)
    aided.train()
    # D(x_0) depends on the rest of the batch, Q(c | x_0) does not
    y = torch.cat([x[:1], torch.randn(5, 1, 28, 28)])
    aided.eval()  # BatchNorm's running statistics, so only the minibatch layer couples the samples
    assert not torch.allclose(aided.d(x)[0], aided.d(y)[0])
    assert torch.allclose(aided.q(x).cat_logits[0][0], aided.q(y).cat_logits[0][0])
