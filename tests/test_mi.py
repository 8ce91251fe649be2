"""infogan_edu.mi against hand-computed and closed-form values."""

import math

import numpy as np
import pytest
import torch
from scipy.spatial.distance import jensenshannon
from torch.distributions import Bernoulli, Categorical, Normal, kl_divergence

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
    mean, var = x[:, 0] * snr / (1 + snr), 1 / (1 + snr)  # the true posterior p(c | x), from Bayes' rule
    log_q = Normal(mean, math.sqrt(var)).log_prob(c)  # the reference density, not the library's
    est = mi.ba_bound(log_q, mi.gaussian_entropy(1.0))
    assert abs(est.value - mi.gaussian_channel_mi(snr)) < 4 * est.stderr
    # the same number through the library's loss (sigma inside its clamp range)
    nll = gaussian_nll(mean[:, None], torch.full_like(x, 0.5 * math.log(var)), c[:, None])
    assert float(-nll) == pytest.approx(float(log_q.mean()), abs=1e-5)


def test_monte_carlo_bound_matches_exact_discrete() -> None:
    k, eps = 4, 0.2
    c, x = mi.symmetric_channel_sampler(k, eps)(100_000, torch.Generator().manual_seed(1))
    logits = torch.log(mi.symmetric_channel(k, eps)).float()  # uniform prior: posterior rows = channel rows
    log_q = Categorical(logits=logits[x.argmax(1)]).log_prob(c)
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


# ------------------------------------------------------------------ against torch.distributions and scipy
def entropy_ref(p: torch.Tensor) -> float:
    """H(p) of a table flattened into one distribution, by torch.distributions."""
    return float(Categorical(probs=p.reshape(-1)).entropy())


@pytest.mark.parametrize("seed", range(3))
def test_entropy_matches_categorical_entropy(seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    p = torch.softmax(torch.randn(4, 7, generator=g, dtype=torch.float64) * 3, dim=1)  # rows are distributions
    p[0] = torch.tensor([0.5, 0.5, 0, 0, 0, 0, 0], dtype=torch.float64)  # zeros: 0 log 0 = 0
    torch.testing.assert_close(mi.entropy(p, dim=1), Categorical(probs=p).entropy())
    torch.testing.assert_close(mi.entropy(p.T, dim=0), Categorical(probs=p).entropy())
    for eps in (0.01, 0.3, 0.5, 0.9):
        ref = Bernoulli(probs=torch.tensor(eps, dtype=torch.float64)).entropy()
        assert mi.binary_entropy(eps) == pytest.approx(float(ref), rel=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_mutual_information_is_h_c_plus_h_x_minus_h_cx(seed: int) -> None:
    """I(c; x) = H(c) + H(x) - H(c, x), each entropy by torch.distributions."""
    joint = random_joint(5, 6, seed)
    ref = entropy_ref(joint.sum(1)) + entropy_ref(joint.sum(0)) - entropy_ref(joint)
    assert mi.mutual_information(joint) == pytest.approx(ref, abs=1e-10)
    assert mi.mutual_information_entropies(joint) == pytest.approx(ref, abs=1e-10)


@pytest.mark.parametrize(("k", "eps"), [(2, 0.1), (10, 0.3), (4, 0.6)])
def test_symmetric_channel_mi_against_entropies(k: int, eps: float) -> None:
    """The closed form against H(c) + H(x) - H(c, x) of the joint table built here, by hand."""
    joint = torch.full((k, k), eps / (k - 1) / k, dtype=torch.float64)
    joint.fill_diagonal_((1 - eps) / k)
    ref = entropy_ref(joint.sum(1)) + entropy_ref(joint.sum(0)) - entropy_ref(joint)
    assert mi.symmetric_channel_mi(k, eps) == pytest.approx(ref, abs=1e-10)


@pytest.mark.parametrize("seed", range(3))
def test_bound_gap_is_the_expected_kl_of_torch_distributions(seed: int) -> None:
    joint, q = random_joint(4, 5, seed), random_q(4, 5, seed + 50)
    p_x = joint.sum(0)
    post = joint / p_x  # columns: p(c | x)
    kl = kl_divergence(Categorical(probs=post.T), Categorical(probs=q.T))  # (X,): one KL per column
    assert mi.bound_gap(joint, q) == pytest.approx(float((p_x * kl).sum()), abs=1e-10)
    torch.testing.assert_close(mi.posterior(joint), post)
    # the bound itself: H(c) + sum p(c, x) log q(c | x), log q from Categorical.log_prob
    c_idx = torch.arange(4)[:, None].expand(4, 5)
    log_q = Categorical(probs=q.T).log_prob(c_idx)  # (C, X): log q(c | x), broadcast over the X columns
    ref = entropy_ref(joint.sum(1)) + float((joint * log_q).sum())
    assert mi.bound_from_table(joint, q) == pytest.approx(ref, abs=1e-10)


@pytest.mark.parametrize("snr", [0.5, 3.0, 20.0])
def test_gaussian_channel_against_normal_entropies(snr: float) -> None:
    """x = c + n: I = h(x) - h(x | c) with both differential entropies from torch.distributions."""
    h_x = float(Normal(0.0, math.sqrt(1 + 1 / snr)).entropy())
    h_noise = float(Normal(0.0, math.sqrt(1 / snr)).entropy())
    assert mi.gaussian_channel_mi(snr) == pytest.approx(h_x - h_noise, rel=1e-6)
    for var in (0.1, 1.0, 1 / (1 + snr)):
        assert mi.gaussian_entropy(var) == pytest.approx(float(Normal(0.0, math.sqrt(var)).entropy()), rel=1e-6)


@pytest.mark.parametrize(("a", "b", "std"), [(0.75, 0.0, 0.5), (0.5, 0.2, 0.8), (1.0, -0.1, 1.3)])
def test_gaussian_linear_bound_against_monte_carlo(a: float, b: float, std: float) -> None:
    """H(c) + E[log N(c; a x + b, std^2)] estimated on 400,000 channel samples, log-densities from torch Normal."""
    snr = 3.0
    g = torch.Generator().manual_seed(4)
    c = torch.randn(400_000, generator=g, dtype=torch.float64)
    x = c + torch.randn(400_000, generator=g, dtype=torch.float64) / math.sqrt(snr)
    log_q = Normal(a * x + b, std).log_prob(c)
    estimate = float(Normal(0.0, 1.0).entropy()) + float(log_q.mean())
    stderr = float(log_q.std()) / math.sqrt(len(log_q))
    assert abs(mi.gaussian_linear_bound(snr, a, b, std) - estimate) < 4 * stderr


def test_q_modules_log_prob_match_torch_distributions() -> None:
    torch.manual_seed(0)
    x = torch.randn(30, 3)
    cat_q, gauss_q = mi.CategoricalQ(3, 5, hidden=8), mi.GaussianQ(3, hidden=8)
    c = torch.randint(5, (30,), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(cat_q.log_prob(x, c), Categorical(logits=cat_q.net(x)).log_prob(c))
        out = gauss_q.net(x)  # (n, 2): mean, log std
        cont = torch.randn(30, generator=torch.Generator().manual_seed(2))
        torch.testing.assert_close(gauss_q.log_prob(x, cont), Normal(out[:, 0], out[:, 1].exp()).log_prob(cont))


def test_normal_pdf_js_divergence_and_gan_value_against_scipy() -> None:
    """On a grid: the density against torch Normal, JS against scipy's Jensen-Shannon distance (squared, in
    nats), and V(D*, G) = 2 JS - log 4 at the optimal D* = p / (p + q), below it for any other D."""
    grid = torch.linspace(-8, 8, 4001, dtype=torch.float64)
    dx = float(grid[1] - grid[0])
    p = mi.normal_pdf(grid, -1.0, 1.0)
    q = mi.normal_pdf(grid, 1.5, 0.7)
    torch.testing.assert_close(q, Normal(1.5, 0.7).log_prob(grid).exp())
    js_ref = jensenshannon((p * dx).numpy(), (q * dx).numpy()) ** 2  # scipy normalises and uses ln
    js = float(mi.js_divergence(p, q, dx))
    assert js == pytest.approx(js_ref, rel=1e-4)
    assert 0 < js < math.log(2)
    d_star = torch.log(p) - torch.log(q)  # logit of p / (p + q)
    assert float(mi.gan_value(d_star, p, q, dx)) == pytest.approx(2 * js_ref - math.log(4), rel=1e-4)
    assert float(mi.gan_value(d_star * 0.5 + 0.3, p, q, dx)) < 2 * js_ref - math.log(4)
    assert float(mi.js_divergence(p, p, dx)) == pytest.approx(0.0, abs=1e-12)
    assert np.isfinite(js_ref)
