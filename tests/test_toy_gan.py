"""infogan_edu.toy_gan: the 2-D GAN loop of lesson 01, on tiny networks so that it runs in seconds."""

import numpy as np
import pytest
import torch

from infogan_edu import toy_gan
from infogan_edu.losses import generator_loss_minimax, generator_loss_nonsaturating

TINY = {"hidden": 16, "depth": 2, "batch_size": 64, "n_snapshot": 50, "grid_size": 11}


@pytest.mark.parametrize(("name", "fn"), [("minimax", generator_loss_minimax),
                                          ("nonsaturating", generator_loss_nonsaturating)])
def test_logit_gradient_matches_autograd(name: str, fn) -> None:  # noqa: ANN001
    logits = torch.linspace(-8, 8, 33, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(fn(logits), logits)
    per_sample = grad.abs() * logits.numel()  # the loss is a batch mean
    assert torch.allclose(per_sample, toy_gan.logit_gradient(torch.sigmoid(logits.detach()), name))


def test_logit_gradient_saturation_by_hand() -> None:
    # D(G(z)) = 0.01: the fakes are confidently rejected
    assert float(toy_gan.logit_gradient(0.01, "minimax")) == pytest.approx(0.01)
    assert float(toy_gan.logit_gradient(0.01, "nonsaturating")) == pytest.approx(0.99)
    with pytest.raises(ValueError, match="g_loss"):
        toy_gan.logit_gradient(0.5, "wasserstein")


def test_grid_and_surface_orientation() -> None:
    pts = toy_gan.grid_points(2.0, 5)
    assert pts.shape == (25, 2)
    assert pts[0].tolist() == [-2.0, -2.0] and pts[1].tolist() == [-1.0, -2.0]  # x varies fastest

    class XIsReal(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return 10 * x[:, 0]  # logit grows with x: real on the right

    surf = toy_gan.decision_surface(XIsReal(), 2.0, 5)
    assert surf.shape == (5, 5)
    assert (surf[:, -1] > 0.99).all() and (surf[:, 0] < 0.01).all()  # columns run along x


def test_short_run_records_everything() -> None:
    cfg = toy_gan.ToyGANConfig(steps=30, snapshot_every=10, **TINY)
    res = toy_gan.train_toy_gan(cfg)
    h = res.history
    assert h.step == list(range(1, 31))
    for name in ("loss_d", "loss_g", "d_real", "d_fake", "grad_logit"):
        assert len(getattr(h, name)) == 30 and np.isfinite(getattr(h, name)).all()
    assert [s.step for s in h.snapshots] == [0, 10, 20, 30]
    assert h.snapshots[-1].samples.shape == (50, 2) and h.snapshots[-1].surface.shape == (11, 11)


@pytest.mark.parametrize("g_loss", ["minimax", "nonsaturating"])
def test_recorded_gradient_is_the_closed_form(g_loss: str) -> None:
    """|dL_G/dl| averaged over the batch is mean D(G(z)) (minimax) or 1 - mean D(G(z)) (non-saturating)."""
    res = toy_gan.train_toy_gan(toy_gan.ToyGANConfig(g_loss=g_loss, steps=20, snapshot_every=20, **TINY))
    h = res.history
    expected = np.array(h.d_fake) if g_loss == "minimax" else 1 - np.array(h.d_fake)
    assert np.allclose(h.grad_logit, expected, atol=1e-5)


def test_deterministic_for_a_seed() -> None:
    cfg = toy_gan.ToyGANConfig(steps=15, snapshot_every=15, seed=3, **TINY)
    a, b = toy_gan.train_toy_gan(cfg), toy_gan.train_toy_gan(cfg)
    assert a.history.loss_d == b.history.loss_d
    assert torch.equal(a.history.snapshots[-1].samples, b.history.snapshots[-1].samples)


@pytest.mark.slow  # 150 warm-up steps of D: about 4 s on 2 busy cores
def test_warm_up_d_saturates_the_minimax_gradient() -> None:
    cfg = toy_gan.ToyGANConfig(steps=1, snapshot_every=1, d_warmup=150, seed=0, lr_d=3e-3,
                               **{**TINY, "hidden": 32})
    res = toy_gan.train_toy_gan(cfg)
    gen = torch.Generator().manual_seed(0)
    d_fake, grad_mm = toy_gan.measure_logit_gradient(res.g, res.d, "minimax", 500, cfg.noise_dim, gen)
    _, grad_ns = toy_gan.measure_logit_gradient(res.g, res.d, "nonsaturating", 500, cfg.noise_dim,
                                                torch.Generator().manual_seed(0))
    assert float(d_fake.mean()) < 0.1  # D rejects the fakes
    assert float(grad_mm.mean()) < 0.1 < 0.9 < float(grad_ns.mean())
    assert torch.allclose(grad_mm, d_fake, atol=1e-6)


@pytest.mark.slow  # four runs of 150 warm-up steps of D
def test_sgd_generator_stalls_on_the_saturated_minimax_loss() -> None:
    """With D ahead, plain SGD moves G by a step proportional to its tiny minimax gradient; Adam does not."""

    def moved(g_loss: str, g_optimizer: str) -> float:
        cfg = toy_gan.ToyGANConfig(g_loss=g_loss, g_optimizer=g_optimizer, steps=1, snapshot_every=1, d_warmup=150,
                                   seed=0, lr_d=3e-3, lr_g=1e-3, **{**TINY, "hidden": 32})
        before, after = (s.samples for s in toy_gan.train_toy_gan(cfg).history.snapshots)
        return float((after - before).norm(dim=1).mean())

    assert moved("minimax", "sgd") < 0.1 * moved("nonsaturating", "sgd")
    assert moved("minimax", "adam") > 0.3 * moved("nonsaturating", "adam")


def test_custom_data_and_validation() -> None:
    def line(n: int, gen: torch.Generator) -> torch.Tensor:
        return torch.stack([torch.rand(n, generator=gen), torch.zeros(n)], dim=1)  # (n, 2)

    res = toy_gan.train_toy_gan(toy_gan.ToyGANConfig(steps=5, snapshot_every=5, **TINY), data=line)
    assert len(res.history.step) == 5
    with pytest.raises(ValueError, match="g_loss"):
        toy_gan.ToyGANConfig(g_loss="hinge")
    with pytest.raises(ValueError, match="g_optimizer"):
        toy_gan.ToyGANConfig(g_optimizer="rmsprop")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="steps"):
        toy_gan.ToyGANConfig(steps=0)


def test_moving_average() -> None:
    assert np.allclose(toy_gan.moving_average([1, 2, 3, 4], window=2), [1, 1.5, 2.5, 3.5])
