"""infogan_edu.mi against hand-computed and closed-form values."""

import math

import pytest
import torch

from infogan_edu import mi
from infogan_edu.losses import categorical_nll, gaussian_nll


def random_joint(c: int, x: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    t = torch.rand(c, x, generator=g, dtype=torch.float64) ** 3  # skewed, so the channel is informative
    return t / t.sum()


def random_q(c: int, x: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.softmax(torch.randn(c, x, generator=g, dtype=torch.float64) * 2, dim=0)  # columns sum to 1


def test_entropy_by_hand() -> None:
    assert float(mi.entropy(torch.tensor([0.5, 0.5]))) == pytest.approx(math.log(2))
    assert float(mi.entropy(torch.tensor([1.0, 0.0, 0.0]))) == 0.0  # 0 log 0 = 0
    assert float(mi.entropy(torch.full((10,), 0.1))) == pytest.approx(math.log(10))
    # p = (1/2, 1/4, 1/4): 1/2 ln 2 + 2 * 1/4 ln 4 = 1.5 ln 2
    assert float(mi.entropy(torch.tensor([0.5, 0.25, 0.25]))) == pytest.approx(1.5 * math.log(2))
    assert mi.binary_entropy(0.5) == pytest.approx(math.log(2))


def test_mutual_information_by_hand() -> None:
    # independent: I = 0; a noiseless copy of a fair bit: I = ln 2
    assert mi.mutual_information(torch.full((2, 2), 0.25)) == pytest.approx(0.0, abs=1e-12)
    assert mi.mutual_information(torch.tensor([[0.5, 0.0], [0.0, 0.5]])) == pytest.approx(math.log(2))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mutual_information_two_ways(seed: int) -> None:
    joint = random_joint(4, 6, seed)
    assert mi.mutual_information(joint) == pytest.approx(mi.mutual_information_entropies(joint), abs=1e-12)
    assert mi.mutual_information(joint) > 0


@pytest.mark.parametrize(("k", "eps"), [(2, 0.1), (10, 0.3), (5, 0.0), (4, 0.75)])
def test_symmetric_channel_closed_form(k: int, eps: float) -> None:
    joint = mi.joint_table(torch.full((k,), 1.0 / k, dtype=torch.float64), mi.symmetric_channel(k, eps))
    assert mi.mutual_information(joint) == pytest.approx(mi.symmetric_channel_mi(k, eps), abs=1e-9)
    if eps == 0.0:
        assert mi.symmetric_channel_mi(k, eps) == pytest.approx(math.log(k))
    if eps == (k - 1) / k:  # the output is uniform whatever the input: no information
        assert mi.symmetric_channel_mi(k, eps) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_bound_below_mi_with_kl_gap(seed: int) -> None:
    joint, q = random_joint(5, 7, seed), random_q(5, 7, seed + 100)
    true = mi.mutual_information(joint)
    bound = mi.bound_from_table(joint, q)
    assert bound <= true
    assert true - bound == pytest.approx(mi.bound_gap(joint, q), abs=1e-10)  # gap = E_x KL(p(c|x) || q(c|x))


@pytest.mark.parametrize("seed", range(3))
def test_bound_equals_mi_at_true_posterior(seed: int) -> None:
    joint = random_joint(5, 7, seed)
    post = mi.posterior(joint)
    assert torch.allclose(post.sum(0), torch.ones(7, dtype=torch.float64))
    assert mi.bound_from_table(joint, post) == pytest.approx(mi.mutual_information(joint), abs=1e-12)
    assert mi.bound_gap(joint, post) == pytest.approx(0.0, abs=1e-12)


def test_gaussian_closed_forms() -> None:
    assert mi.gaussian_entropy(1.0) == pytest.approx(0.5 * math.log(2 * math.pi * math.e))
    assert mi.gaussian_channel_mi(3.0) == pytest.approx(math.log(2))  # 1/2 log 4
    snr = 3.0
    a, var = snr / (1 + snr), 1 / (1 + snr)
    assert mi.gaussian_linear_bound(snr, a, 0.0, math.sqrt(var)) == pytest.approx(mi.gaussian_channel_mi(snr))
    for a2, b2, s2 in [(0.5, 0.0, 0.5), (a, 0.2, math.sqrt(var)), (a, 0.0, 1.0), (1.0, 0.0, 0.6)]:
        assert mi.gaussian_linear_bound(snr, a2, b2, s2) < mi.gaussian_channel_mi(snr)


def test_monte_carlo_bound_of_true_gaussian_posterior() -> None:
    snr = 3.0
    c, x = mi.gaussian_channel_sampler(snr)(200_000, torch.Generator().manual_seed(0))
    mean, var = mi.gaussian_channel_posterior(x[:, 0], snr)
    log_q = -0.5 * math.log(2 * math.pi * var) - (c - mean) ** 2 / (2 * var)
    est = mi.ba_bound(log_q, mi.gaussian_entropy(1.0))
    assert abs(est.value - mi.gaussian_channel_mi(snr)) < 4 * est.stderr
    # the same number through the library's loss (sigma inside its clamp range)
    nll = gaussian_nll(mean[:, None], torch.full_like(x, 0.5 * math.log(var)), c[:, None])
    assert float(-nll) == pytest.approx(float(log_q.mean()), abs=1e-5)


def test_monte_carlo_bound_matches_exact_discrete() -> None:
    k, eps = 4, 0.2
    c, x = mi.symmetric_channel_sampler(k, eps)(100_000, torch.Generator().manual_seed(1))
    logits = torch.log(mi.symmetric_channel(k, eps)).float()  # uniform prior: posterior rows = channel rows
    log_q = torch.log_softmax(logits[x.argmax(1)], dim=1).gather(1, c[:, None]).squeeze(1)
    est = mi.ba_bound(log_q, math.log(k))
    assert abs(est.value - mi.symmetric_channel_mi(k, eps)) < 4 * est.stderr
    assert float(categorical_nll(logits[x.argmax(1)], c)) == pytest.approx(-float(log_q.mean()), abs=1e-5)


def test_sampler_shapes_and_noise_rate() -> None:
    c, x = mi.symmetric_channel_sampler(5, 0.3)(20_000, torch.Generator().manual_seed(2))
    assert c.shape == (20_000,) and x.shape == (20_000, 5)
    assert float((x.argmax(1) != c).float().mean()) == pytest.approx(0.3, abs=0.02)
    c, x = mi.gaussian_channel_sampler(4.0)(20_000, torch.Generator().manual_seed(3))
    assert x.shape == (20_000, 1)
    assert float((x[:, 0] - c).var()) == pytest.approx(0.25, rel=0.05)


def test_train_q_climbs_to_the_true_value_without_crossing() -> None:
    torch.manual_seed(0)
    k, eps = 4, 0.2
    true = mi.symmetric_channel_mi(k, eps)
    hist = mi.train_q(mi.CategoricalQ(k, k, hidden=0), mi.symmetric_channel_sampler(k, eps), math.log(k),
                      steps=150, lr=0.05, eval_every=50, n_eval=20_000)
    assert hist.step == [0, 50, 100, 150]
    assert hist.bound[-1] > hist.bound[0] + 0.3
    assert all(b <= true + 3 * s for b, s in zip(hist.bound, hist.stderr, strict=True))
    assert hist.final.value > true - 0.05 and hist.final.n == 20_000


def test_input_validation() -> None:
    with pytest.raises(ValueError, match="sum to 1"):
        mi.mutual_information(torch.ones(2, 2))
    with pytest.raises(ValueError, match="2-D"):
        mi.mutual_information(torch.ones(4) / 4)
    with pytest.raises(ValueError, match="K >= 2"):
        mi.symmetric_channel(1, 0.1)
    with pytest.raises(ValueError, match="at least 2"):
        mi.ba_bound(torch.zeros(1), 0.0)
