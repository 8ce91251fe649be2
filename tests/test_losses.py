"""Losses against values computed by hand from their equations."""

import math

import pytest
import torch

from infogan_edu.latent import Latent, LatentSpec
from infogan_edu.losses import (
    categorical_nll,
    discriminator_loss,
    gaussian_nll,
    generator_loss_minimax,
    generator_loss_nonsaturating,
    info_terms,
)
from infogan_edu.models import QOutput


def sig(v: float) -> float:
    return 1 / (1 + math.exp(-v))


def test_gan_losses_by_hand() -> None:
    real, fake = torch.tensor([2.0, -1.0]), torch.tensor([0.5, -3.0])
    # -V = -(mean log D(x) + mean log(1 - D(G(z))))
    v = (math.log(sig(2)) + math.log(sig(-1))) / 2 + (math.log(1 - sig(0.5)) + math.log(1 - sig(-3))) / 2
    assert discriminator_loss(real, fake).item() == pytest.approx(-v, rel=1e-6)
    mm = (math.log(1 - sig(0.5)) + math.log(1 - sig(-3))) / 2
    assert generator_loss_minimax(fake).item() == pytest.approx(mm, rel=1e-6)
    ns = -(math.log(sig(0.5)) + math.log(sig(-3))) / 2
    assert generator_loss_nonsaturating(fake).item() == pytest.approx(ns, rel=1e-6)


def test_minimax_saturates_nonsaturating_does_not() -> None:
    fake = torch.tensor([-8.0], requires_grad=True)  # D is sure the fake is fake
    (g_mm,) = torch.autograd.grad(generator_loss_minimax(fake), fake)
    fake2 = torch.tensor([-8.0], requires_grad=True)
    (g_ns,) = torch.autograd.grad(generator_loss_nonsaturating(fake2), fake2)
    assert abs(g_mm.item()) < 1e-3 < 0.99 < abs(g_ns.item())


def test_large_logits_are_stable() -> None:
    assert torch.isfinite(discriminator_loss(torch.tensor([100.0]), torch.tensor([-100.0])))
    assert torch.isfinite(generator_loss_nonsaturating(torch.tensor([-100.0])))


def test_categorical_nll_by_hand() -> None:
    logits = torch.tensor([[1.0, 2.0, 0.0]])
    p1 = math.exp(2) / (math.exp(1) + math.exp(2) + 1)
    assert categorical_nll(logits, torch.tensor([1])).item() == pytest.approx(-math.log(p1), rel=1e-6)


def test_gaussian_nll_by_hand_and_clamp() -> None:
    mean, log_std, c = torch.tensor([[0.5]]), torch.tensor([[math.log(0.5)]]), torch.tensor([[1.0]])
    expected = math.log(0.5) + 0.5 * math.log(2 * math.pi) + (0.5**2) / (2 * 0.25)
    assert gaussian_nll(mean, log_std, c).item() == pytest.approx(expected, rel=1e-6)
    # fixed std = 1: 1/2 (c - mu)^2 + 1/2 log 2 pi
    assert gaussian_nll(mean, log_std, c, fixed_std=True).item() == pytest.approx(
        0.125 + 0.5 * math.log(2 * math.pi), rel=1e-6
    )
    # a collapsing log-std is clamped: the loss stays finite and bounded below
    tiny = gaussian_nll(torch.tensor([[1.0]]), torch.tensor([[-50.0]]), torch.tensor([[1.0]]))
    assert tiny.item() == pytest.approx(-3.0 + 0.5 * math.log(2 * math.pi), rel=1e-6)


def test_info_terms_l_i_is_entropy_plus_log_q() -> None:
    spec = LatentSpec(noise=4, categorical=(10,), continuous=1)
    latent = Latent(torch.zeros(3, 4), torch.tensor([[0], [5], [9]]), torch.zeros(3, 1))
    # a perfect posterior: L_I = H(c) = ln 10 exactly; a uniform one: L_I = 0
    perfect = torch.full((3, 10), -1e4)
    perfect[torch.arange(3), latent.cat[:, 0]] = 0.0
    q = QOutput([perfect], torch.zeros(3, 1), torch.zeros(3, 1))
    t = info_terms(q, latent, spec)
    assert t.li_cat.item() == pytest.approx(math.log(10), abs=1e-6)
    uniform = QOutput([torch.zeros(3, 10)], torch.zeros(3, 1), torch.zeros(3, 1))
    t = info_terms(uniform, latent, spec, lambda_cat=2.0, lambda_cont=0.5)
    assert t.li_cat.item() == pytest.approx(0.0, abs=1e-6)
    assert t.nll_cat.item() == pytest.approx(math.log(10), rel=1e-6)
    assert t.loss.item() == pytest.approx(2.0 * math.log(10) + 0.5 * t.nll_cont.item(), rel=1e-6)
    assert t.li_cont.item() == pytest.approx(math.log(2) - t.nll_cont.item(), rel=1e-6)
