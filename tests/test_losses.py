"""Losses against references that do not share their code: values worked out by hand from the equations,
`torch.nn.functional.binary_cross_entropy_with_logits`, and `torch.distributions` (Categorical, Normal, Uniform)."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch.distributions import Categorical, Normal, Uniform

from infogan_edu.latent import Latent, LatentSpec, QOutput
from infogan_edu.losses import (
    categorical_nll,
    discriminator_loss,
    gaussian_nll,
    generator_loss_minimax,
    generator_loss_nonsaturating,
    info_terms,
)

TOL = {"rtol": 1e-5, "atol": 1e-6}


def sig(v: float) -> float:
    return 1 / (1 + math.exp(-v))


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    """The reference: PyTorch's own binary cross-entropy on logits, against a constant target."""
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


# ------------------------------------------------------------------------------------------ GAN losses
def test_gan_losses_by_hand() -> None:
    real, fake = torch.tensor([2.0, -1.0]), torch.tensor([0.5, -3.0])
    # -V = -(mean log D(x) + mean log(1 - D(G(z))))
    v = (math.log(sig(2)) + math.log(sig(-1))) / 2 + (math.log(1 - sig(0.5)) + math.log(1 - sig(-3))) / 2
    assert discriminator_loss(real, fake).item() == pytest.approx(-v, rel=1e-6)
    mm = (math.log(1 - sig(0.5)) + math.log(1 - sig(-3))) / 2
    assert generator_loss_minimax(fake).item() == pytest.approx(mm, rel=1e-6)
    ns = -(math.log(sig(0.5)) + math.log(sig(-3))) / 2
    assert generator_loss_nonsaturating(fake).item() == pytest.approx(ns, rel=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gan_losses_match_binary_cross_entropy_with_logits(seed: int) -> None:
    """L_D is the BCE of the real batch against 1 plus that of the fake batch against 0, each averaged over its
    own batch (the batches differ in size here); L_G^NS is BCE against 1; L_G^minimax is minus BCE against 0.
    Values and gradients, with logits out to +-40 where a naive log(sigmoid) would overflow."""
    g = gen(seed)
    real = (torch.randn(37, generator=g) * 15).clamp(-40, 40).requires_grad_()
    fake = (torch.randn(23, generator=g) * 15).clamp(-40, 40).requires_grad_()

    ours, ref = discriminator_loss(real, fake), bce(real, 1.0) + bce(fake, 0.0)
    torch.testing.assert_close(ours, ref, **TOL)
    for a, b in zip(torch.autograd.grad(ours, (real, fake)), torch.autograd.grad(ref, (real, fake)), strict=True):
        torch.testing.assert_close(a, b, **TOL)

    for ours_fn, ref_fn in ((generator_loss_nonsaturating, lambda f: bce(f, 1.0)),
                            (generator_loss_minimax, lambda f: -bce(f, 0.0))):
        ours, ref = ours_fn(fake), ref_fn(fake)
        torch.testing.assert_close(ours, ref, **TOL)
        torch.testing.assert_close(torch.autograd.grad(ours, fake)[0], torch.autograd.grad(ref, fake)[0], **TOL)


def test_minimax_saturates_nonsaturating_does_not() -> None:
    fake = torch.tensor([-8.0], requires_grad=True)  # D is sure the fake is fake
    (g_mm,) = torch.autograd.grad(generator_loss_minimax(fake), fake)
    fake2 = torch.tensor([-8.0], requires_grad=True)
    (g_ns,) = torch.autograd.grad(generator_loss_nonsaturating(fake2), fake2)
    # d/dl log(1 - sigmoid(l)) = -sigmoid(l);  d/dl -log sigmoid(l) = -(1 - sigmoid(l))
    assert g_mm.item() == pytest.approx(-sig(-8.0), rel=1e-5)
    assert g_ns.item() == pytest.approx(-(1 - sig(-8.0)), rel=1e-5)
    assert abs(g_mm.item()) < 1e-3 < 0.99 < abs(g_ns.item())


def test_large_logits_are_stable() -> None:
    # D certain and right: both losses are ~0 (e^-100), not nan or inf from log(0)
    assert discriminator_loss(torch.tensor([100.0]), torch.tensor([-100.0])).item() == pytest.approx(0.0, abs=1e-30)
    # G's fake rejected with logit -100: -log sigmoid(-100) = 100 + log(1 + e^-100)
    assert generator_loss_nonsaturating(torch.tensor([-100.0])).item() == pytest.approx(100.0, rel=1e-6)


# ------------------------------------------------------------------------------------------ categorical
def test_categorical_nll_by_hand() -> None:
    logits = torch.tensor([[1.0, 2.0, 0.0]])
    p1 = math.exp(2) / (math.exp(1) + math.exp(2) + 1)
    assert categorical_nll(logits, torch.tensor([1])).item() == pytest.approx(-math.log(p1), rel=1e-6)


@pytest.mark.parametrize("k", [2, 3, 10])
def test_categorical_nll_matches_torch_distributions(k: int) -> None:
    g = gen(k)
    logits = (torch.randn(64, k, generator=g) * 6).requires_grad_()  # confident and unsure rows alike
    c = torch.randint(k, (64,), generator=g)
    ours = categorical_nll(logits, c)
    ref = -Categorical(logits=logits).log_prob(c).mean()
    torch.testing.assert_close(ours, ref, **TOL)
    torch.testing.assert_close(torch.autograd.grad(ours, logits)[0], torch.autograd.grad(ref, logits)[0], **TOL)


# ------------------------------------------------------------------------------------------ Gaussian
def test_gaussian_nll_by_hand() -> None:
    mean, log_std, c = torch.tensor([[0.5]]), torch.tensor([[math.log(0.5)]]), torch.tensor([[1.0]])
    expected = math.log(0.5) + 0.5 * math.log(2 * math.pi) + (0.5**2) / (2 * 0.25)
    assert gaussian_nll(mean, log_std, c).item() == pytest.approx(expected, rel=1e-6)
    # fixed std = 1: 1/2 (c - mu)^2 + 1/2 log 2 pi
    assert gaussian_nll(mean, log_std, c, fixed_std=True).item() == pytest.approx(
        0.125 + 0.5 * math.log(2 * math.pi), rel=1e-6
    )


def normal_nll(mean: torch.Tensor, std: torch.Tensor | float, c: torch.Tensor) -> torch.Tensor:
    """The reference: -log N(c; mean, std^2) from torch.distributions, summed over codes, averaged over the batch."""
    return -Normal(mean, std).log_prob(c).sum(dim=1).mean()


@pytest.mark.parametrize("n_cont", [1, 3])
def test_gaussian_nll_matches_normal_log_prob(n_cont: int) -> None:
    g = gen(10 + n_cont)
    mean = torch.randn(50, n_cont, generator=g).requires_grad_()
    log_std = (torch.rand(50, n_cont, generator=g) * 4.8 - 2.9).requires_grad_()  # inside the clamp [-3, 2]
    c = torch.rand(50, n_cont, generator=g) * 2 - 1
    ours, ref = gaussian_nll(mean, log_std, c), normal_nll(mean, log_std.exp(), c)
    torch.testing.assert_close(ours, ref, **TOL)
    ours_grads = torch.autograd.grad(ours, (mean, log_std))
    ref_grads = torch.autograd.grad(ref, (mean, log_std))
    for a, b in zip(ours_grads, ref_grads, strict=True):
        torch.testing.assert_close(a, b, **TOL)


def test_gaussian_nll_fixed_std_is_a_unit_normal_whatever_log_std_says() -> None:
    g = gen(20)
    mean = torch.randn(40, 2, generator=g).requires_grad_()
    log_std = (torch.randn(40, 2, generator=g) * 5).requires_grad_()  # ignored with fixed_std
    c = torch.rand(40, 2, generator=g) * 2 - 1
    ours = gaussian_nll(mean, log_std, c, fixed_std=True)
    ref = normal_nll(mean, 1.0, c)
    torch.testing.assert_close(ours, ref, **TOL)
    grad_mean, grad_log_std = torch.autograd.grad(ours, (mean, log_std), allow_unused=True)
    torch.testing.assert_close(grad_mean, torch.autograd.grad(ref, mean)[0], **TOL)
    assert grad_log_std is None or torch.count_nonzero(grad_log_std) == 0  # sigma is not learned


def test_log_std_is_clamped_to_minus_3_and_2_with_no_gradient_beyond() -> None:
    """Below log sigma = -3 the loss is that of sigma = e^-3 (about 0.05), above 2 that of sigma = e^2 (about 7.4),
    and beyond those two values log sigma receives no gradient: Q cannot push sigma further out."""
    mean = torch.tensor([[0.0, 0.3, -0.2, 0.1, 0.0]])
    c = torch.tensor([[0.04, 0.5, 0.9, -0.6, 0.5]])
    log_std = torch.tensor([[-50.0, -3.5, 2.5, 9.0, 0.7]], requires_grad=True)
    std_used = torch.tensor([[math.exp(-3), math.exp(-3), math.exp(2), math.exp(2), math.exp(0.7)]])
    loss = gaussian_nll(mean, log_std, c)
    torch.testing.assert_close(loss, normal_nll(mean, std_used, c), **TOL)
    assert torch.isfinite(loss)
    (grad,) = torch.autograd.grad(loss, log_std)
    assert grad[0, :4].tolist() == [0.0, 0.0, 0.0, 0.0]  # clamped: exactly zero
    # inside the range: d/d(log sigma) of log sigma + (c - mu)^2 / (2 sigma^2) is 1 - (c - mu)^2 / sigma^2
    assert grad[0, 4].item() == pytest.approx(1 - 0.5**2 / math.exp(1.4), rel=1e-6)
    # a collapsing sigma does not drive the loss to -inf: its floor is log(e^-3) + 1/2 log 2 pi per code
    one = gaussian_nll(torch.tensor([[1.0]]), torch.tensor([[-50.0]]), torch.tensor([[1.0]]))
    assert one.item() == pytest.approx(-3.0 + 0.5 * math.log(2 * math.pi), rel=1e-6)


# ------------------------------------------------------------------------------------------ info_terms
def random_q_and_latent(spec: LatentSpec, batch: int, seed: int) -> tuple[QOutput, Latent]:
    g = gen(seed)
    logits = [(torch.randn(batch, k, generator=g) * 3).requires_grad_() for k in spec.categorical]
    mean = torch.randn(batch, spec.continuous, generator=g).requires_grad_()
    log_std = (torch.rand(batch, spec.continuous, generator=g) * 3 - 2).requires_grad_()  # inside the clamp
    latent = spec.sample(batch, g)
    return QOutput(logits, mean, log_std), latent


@pytest.mark.parametrize("fixed_std", [False, True])
@pytest.mark.parametrize("categorical", [(10,), (10, 4, 3)])
def test_info_terms_match_torch_distributions(categorical: tuple[int, ...], fixed_std: bool) -> None:
    """Every field of InfoTerms, for one and for several categorical codes, against torch.distributions:
    -E[log Q(c_i | x)] per categorical code (summed), -E[log N(c_cont; mu, sigma^2)], the prior's entropy
    H(c) = sum_i H(Uniform{K_i}) + n_cont H(Unif(-1, 1)), and the weighted loss."""
    spec = LatentSpec(noise=5, categorical=categorical, continuous=2)
    q, latent = random_q_and_latent(spec, batch=48, seed=len(categorical) + 7 * fixed_std)
    lam_cat, lam_cont = 1.5, 0.3
    t = info_terms(q, latent, spec, lambda_cat=lam_cat, lambda_cont=lam_cont, fixed_std=fixed_std)

    nll_cat = sum(-Categorical(logits=lg).log_prob(latent.cat[:, i]).mean() for i, lg in enumerate(q.cat_logits))
    std = 1.0 if fixed_std else q.log_std.exp()
    nll_cont = -Normal(q.mean, std).log_prob(latent.cont).sum(1).mean()
    h_cat = sum(Categorical(probs=torch.full((k,), 1.0 / k)).entropy() for k in categorical)
    h_cont = Uniform(-1.0, 1.0).entropy() * spec.continuous
    torch.testing.assert_close(t.nll_cat, nll_cat, **TOL)
    torch.testing.assert_close(t.nll_cont, nll_cont, **TOL)
    torch.testing.assert_close(t.li_cat, h_cat - nll_cat.detach(), **TOL)
    torch.testing.assert_close(t.li_cont, h_cont - nll_cont.detach(), **TOL)
    ref_loss = lam_cat * nll_cat + lam_cont * nll_cont
    torch.testing.assert_close(t.loss, ref_loss, **TOL)

    # the gradient reaches every code's logits, and the continuous head, as the reference's does
    params = [*q.cat_logits, q.mean] + ([] if fixed_std else [q.log_std])
    for a, b in zip(torch.autograd.grad(t.loss, params), torch.autograd.grad(ref_loss, params), strict=True):
        torch.testing.assert_close(a, b, **TOL)
    assert not t.li_cat.requires_grad and not t.li_cont.requires_grad  # logged, never optimised


def test_info_terms_perfect_and_uniform_posteriors_by_hand() -> None:
    """A Q that is certain of the right values reaches L_I = H(c) = ln 10 + ln 4 + ln 3; a uniform Q, L_I = 0."""
    spec = LatentSpec(noise=4, categorical=(10, 4, 3), continuous=0)
    cat = torch.tensor([[0, 3, 2], [5, 0, 1], [9, 2, 0]])
    latent = Latent(torch.zeros(3, 4), cat, torch.zeros(3, 0))
    perfect = []
    for i, k in enumerate((10, 4, 3)):
        lg = torch.full((3, k), -1e4)
        lg[torch.arange(3), cat[:, i]] = 0.0
        perfect.append(lg)
    empty = torch.zeros(3, 0)
    t = info_terms(QOutput(perfect, empty, empty), latent, spec)
    assert t.li_cat.item() == pytest.approx(math.log(120), abs=1e-5)
    assert t.nll_cat.item() == pytest.approx(0.0, abs=1e-5)
    assert t.nll_cont.item() == 0.0 and t.li_cont.item() == 0.0  # no continuous codes: no term
    uniform = [torch.zeros(3, k) for k in (10, 4, 3)]
    t = info_terms(QOutput(uniform, empty, empty), latent, spec, lambda_cat=2.0)
    assert t.li_cat.item() == pytest.approx(0.0, abs=1e-5)
    assert t.nll_cat.item() == pytest.approx(math.log(120), rel=1e-6)
    assert t.loss.item() == pytest.approx(2.0 * math.log(120), rel=1e-6)
