"""MIG and the FactorVAE score against hand-worked values and codes whose answer is known in advance."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from infogan_edu.data.batching import to_float_images
from infogan_edu.data.shapes import SHAPES_SIZES, render_shapes, shapes_index
from infogan_edu.disentanglement import (
    discretize,
    factor_vae_score,
    factor_vae_vote,
    generated_with_codes,
    majority_vote_accuracy,
    mig,
    plugin_entropy,
    plugin_mutual_information,
    q_codes,
    q_encoding,
    render_shapes_factors,
    sample_shapes_factors,
    with_population_statistics,
)
from infogan_edu.latent import LatentSpec
from infogan_edu.models import InfoGAN

# Hand-worked: a = [0, 0, 0, 1], b = [0, 0, 1, 1]. H(b) = ln 2; given a = 0 (3 of 4), b is 0 w.p. 2/3, so
# H(b | a) = 3/4 * (ln 3 - 2/3 ln 2) = 0.477386; I = 0.693147 - 0.477386 = 0.215762 nats.
I_HAND = 0.215762


def _shapes_factors(n: int, seed: int = 0) -> torch.Tensor:
    return sample_shapes_factors(n, torch.Generator().manual_seed(seed))


def test_plugin_mi_hand_worked():
    a, b = torch.tensor([0, 0, 0, 1]), torch.tensor([0, 0, 1, 1])
    assert plugin_mutual_information(a, b) == pytest.approx(I_HAND, abs=1e-6)
    assert plugin_mutual_information(b, a) == pytest.approx(I_HAND, abs=1e-6)  # symmetric
    assert plugin_mutual_information(b, b) == pytest.approx(math.log(2), abs=1e-12)  # I(b; b) = H(b)
    assert plugin_entropy(torch.tensor([0, 0, 1, 2])) == pytest.approx(1.5 * math.log(2), abs=1e-12)


def test_discretize_equal_width_bins():
    x = torch.tensor([[0.0, 5.0], [0.5, 5.0], [0.99, 5.0], [1.0, 5.0]])
    # width 1/20 = 0.05: 0 -> bin 0, 0.5 -> bin 10, 0.99 -> bin 19, the max -> the last bin; a constant column -> 0
    assert discretize(x).tolist() == [[0, 0], [10, 0], [19, 0], [19, 0]]
    assert discretize(x, n_bins=2)[:, 0].tolist() == [0, 1, 1, 1]


def test_mig_hand_worked_is_one_half():
    # factors v1 = [0,0,1,1], v2 = [0,1,0,1]; codes z1 = v1 and z2 = v1 AND v2 = [0,0,0,1].
    # I(z1; v1) = ln 2, I(z1; v2) = 0, I(z2; v1) = I(z2; v2) = I_HAND; H(v1) = H(v2) = ln 2.
    # v1: (ln 2 - I_HAND) / ln 2; v2: (I_HAND - 0) / ln 2; the mean is exactly 1/2.
    factors = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]])
    codes = torch.tensor([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [1.0, 1.0]])
    r = mig(codes, factors)
    assert r.mi.numpy() == pytest.approx(np.array([[math.log(2), 0.0], [I_HAND, I_HAND]]), abs=1e-6)
    assert r.per_factor.numpy() == pytest.approx([1 - I_HAND / math.log(2), I_HAND / math.log(2)], abs=1e-6)
    assert r.score == pytest.approx(0.5, abs=1e-12)


def test_mig_of_the_true_factors_matches_the_binning_ceiling():
    """Codes = the true factors: each factor's top MI is H(its 20-bin version), the runner-up only estimation
    bias. The reference is computed another way (numpy histograms); 3 and 6 values survive 20 bins intact, 32 and
    40 values do not, so even the truth scores below 1."""
    f = _shapes_factors(20_000)
    r = mig(f.float(), f)
    ceiling = []
    for k, size in enumerate(SHAPES_SIZES):
        counts_v = np.bincount(f[:, k].numpy(), minlength=size)
        counts_b, _ = np.histogram(f[:, k].numpy(), bins=20)
        h = lambda c: -sum(p * math.log(p) for p in c[c > 0] / c.sum())  # noqa: E731
        ceiling.append(h(counts_b) / h(counts_v))
    assert r.per_factor.numpy() == pytest.approx(ceiling, abs=0.01)
    assert r.per_factor[:2].numpy() == pytest.approx([1.0, 1.0], abs=0.01)
    assert 0.85 < r.score < 0.95


def test_mig_of_rotated_factors_is_low():
    f = _shapes_factors(20_000)
    z = (f.double() - f.double().mean(0)) / f.double().std(0)  # standardised true factors (N, 5)
    truth = mig(z, f).score
    g = torch.Generator().manual_seed(1)
    scores = []
    for _ in range(5):
        rot, _ = torch.linalg.qr(torch.randn(5, 5, generator=g, dtype=torch.float64))  # a random orthogonal matrix
        scores.append(mig(z @ rot, f).score)
    assert truth > 0.85
    assert max(scores) < 0.45 and np.mean(scores) < 0.3, scores  # the same information, mixed across codes


def test_mig_of_noise_is_about_zero():
    f = _shapes_factors(20_000)
    noise = torch.randn(20_000, 8, generator=torch.Generator().manual_seed(2))
    r = mig(noise, f)
    assert abs(r.score) < 0.01
    assert float(r.mi.max()) < 0.05  # only the plug-in bias, about 20 * 40 / (2 N) nats at most


def test_mig_refuses_continuous_factors_and_one_code():
    with pytest.raises(ValueError, match="discretise continuous values first"):
        mig(torch.rand(10, 2), torch.rand(10, 2))
    with pytest.raises(ValueError, match="at least 2 code dimensions"):
        mig(torch.rand(10, 1), torch.randint(2, (10, 2)))


def test_factor_vae_vote_hand_worked():
    codes = torch.tensor([[1.0, 0.0], [2.0, 0.0], [3.0, 4.0]])  # variances 1 and 16/3
    active = torch.tensor([True, True])
    assert factor_vae_vote(codes, torch.tensor([1.0, 1.0]), active) == 0  # 1 < 16/3
    assert factor_vae_vote(codes, torch.tensor([1.0, 4.0]), active) == 1  # 1 > (16/3) / 16 = 1/3
    assert factor_vae_vote(codes, torch.tensor([1.0, 4.0]), torch.tensor([True, False])) == 0  # inactive never wins


def test_majority_vote_hand_worked():
    train = np.array([[0, 0], [0, 0], [0, 1], [1, 1], [1, 1], [2, 0]])  # d0 -> k0 (2:1), d1 -> k1, d2 -> k0
    held_out = np.array([[0, 0], [1, 1], [1, 0], [2, 1]])  # right, right, wrong, wrong
    acc, table = majority_vote_accuracy(train, held_out, n_dims=3, n_factors=2)
    assert acc == 0.5
    assert table.tolist() == [[2, 1], [0, 2], [1, 0]]


def _uniform_factors(sizes: tuple[int, ...]):
    def sample(n: int, g: torch.Generator) -> torch.Tensor:
        return torch.stack([torch.randint(s, (n,), generator=g) for s in sizes], dim=1)  # (n, K)

    return sample


def test_factor_vae_score_perfect_permuted_and_noise_encoders():
    sizes = (3, 6, 10, 8)
    sample = _uniform_factors(sizes)
    kw = {"n_train": 200, "n_eval": 100, "batch": 32, "n_scale": 2000}
    perfect = factor_vae_score(lambda f: f.float(), sample, lambda f: f, **kw)
    assert perfect.score == 1.0
    assert np.diag(perfect.counts).sum() == 200  # every training vote lands on the factor's own dimension
    # a permutation of the dimensions is as disentangled: the majority vote learns the relabelling
    permuted = factor_vae_score(lambda f: f.float()[:, [2, 0, 3, 1]], sample, lambda f: f, **kw)
    assert permuted.score == 1.0
    g = torch.Generator().manual_seed(3)
    noise = factor_vae_score(lambda f: torch.randn(f.shape[0], 4, generator=g), sample, lambda f: f, **kw)
    assert noise.score < 0.45  # chance is 1/4


def test_factor_vae_score_refuses_a_collapsed_encoder():
    with pytest.raises(ValueError, match="collapsed"):
        factor_vae_score(lambda f: torch.zeros(f.shape[0], 3), _uniform_factors((2, 3)), lambda f: f, n_scale=10)


def test_shapes_helpers_and_q_codes():
    f = _shapes_factors(8, seed=4)
    images = render_shapes_factors(f)
    assert torch.equal(images, render_shapes(shapes_index(*f.T.numpy()))[0])
    torch.manual_seed(0)
    model = InfoGAN(LatentSpec(noise=4, categorical=(3,), continuous=2), width=0.125, image_size=64)
    codes = q_codes(model, images)
    assert codes.shape == (8, 3)
    assert set(codes[:, 0].tolist()) <= {0.0, 1.0, 2.0}  # the argmax of the categorical code
    fake, c = generated_with_codes(model, 5, seed=0)
    assert fake.shape == (5, 1, 64, 64) and c.shape == (5, 3)
    assert float(c[:, 1:].abs().max()) <= 1.0  # continuous codes from U(-1, 1)
    assert q_codes(model, fake).shape == (5, 3)


def test_population_statistics_are_the_mean_over_the_images():
    torch.manual_seed(0)
    model = InfoGAN(LatentSpec(noise=4, categorical=(3,), continuous=2), width=0.125, image_size=64)
    images = render_shapes_factors(_shapes_factors(20, seed=5))
    fixed = with_population_statistics(model, images, n=20, batch=10)
    assert not fixed.training and model.training  # a copy in eval mode; the original is untouched
    # the reference: the first BatchNorm of D's trunk sees conv2(lrelu(conv1(x))); its input's mean over
    # (N, H, W) and its variance (unbiased, averaged over the two batches of 10)
    conv = model.d.conv
    with torch.no_grad():
        h = conv[2](conv[1](conv[0](to_float_images(images, 1.0))))  # (20, 2C, 16, 16)
    bn = fixed.d.conv[3]
    assert bn.running_mean.numpy() == pytest.approx(h.mean((0, 2, 3)).numpy(), abs=1e-5)
    var = torch.stack([h[i : i + 10].var((0, 2, 3), unbiased=True) for i in (0, 10)]).mean(0)
    assert bn.running_var.numpy() == pytest.approx(var.numpy(), rel=1e-4)


# ------------------------------------------------------------------ exercise 7's check, against planted mistakes
def _entropy_nats(x: torch.Tensor) -> float:
    p = np.bincount(x.numpy()) / x.numel()
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def _mig_answer(how: str = "right"):
    """A learner's MIG written from entropies with numpy (not the library's code), right or with one mistake."""

    def mutual_information_gap(codes: torch.Tensor, factors: torch.Tensor) -> float:
        terms = []
        for k in range(factors.shape[1]):
            v = factors[:, k]
            mis = []
            for j in range(codes.shape[1]):
                z = codes[:, j]
                mi = _entropy_nats(z) + _entropy_nats(v) - _entropy_nats(z * (int(v.max()) + 1) + v)
                mis.append(mi / math.log(2) if how in ("bits", "all bits") else mi)
            top, second = sorted(mis, reverse=True)[:2]
            h_v = _entropy_nats(v) / (math.log(2) if how == "all bits" else 1.0)
            if how == "top only":
                terms.append(top / h_v)
            elif how == "no normalisation":
                terms.append(top - second)
            elif how == "code entropy":
                terms.append((top - second) / _entropy_nats(codes[:, mis.index(top)]))
            else:
                terms.append((top - second) / h_v)
        return sum(terms) if how == "sum" else sum(terms) / len(terms)

    return mutual_information_gap


@pytest.mark.parametrize("how", ["right", "all bits"])
def test_exercise7_check_passes_right_answers(how):
    from infogan_edu.exercises.ex07_mig import check_mig

    result = check_mig(_mig_answer(how), verbose=False, raise_on_failure=False)
    assert result.passed, result.message  # bits throughout is right too: the base cancels in the ratio


@pytest.mark.parametrize(
    ("how", "says"),
    [
        ("top only", "subtracts the runner-up"),
        ("no normalisation", "did not divide by H(v_k)"),
        ("bits", "in bits (log2) but H(v_k) in nats"),
        ("code entropy", "entropy of the code"),
        ("sum", "MIG is their mean"),
    ],
)
def test_exercise7_check_catches_planted_mistakes(how, says):
    from infogan_edu.exercises.ex07_mig import check_mig

    result = check_mig(_mig_answer(how), verbose=False, raise_on_failure=False)
    assert not result.passed
    assert says in result.message and result.message.startswith("✗ Exercise 7:")
    assert "Hint 1:" in result.message


def test_exercise7_stub_error_passes_through():
    from infogan_edu.exercises.ex07_mig import check_mig

    def stub(codes, factors):
        raise NotImplementedError("Exercise 7: write your answer here")

    with pytest.raises(NotImplementedError, match="Exercise 7"):
        check_mig(stub, verbose=False)


@pytest.mark.slow
def test_shapes_scores_and_the_study_configs_run_tiny():
    import importlib.util
    from pathlib import Path

    from infogan_edu.disentanglement import shapes_scores

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "shapes_study.py"
    spec = importlib.util.spec_from_file_location("shapes_study", path)
    study = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(study)
    infogan, control = study.arm_config("infogan", 0), study.arm_config("control", 0)
    assert infogan.info_to_generator and not control.info_to_generator
    assert infogan.replace(info_to_generator=False) == control  # the control differs in that one switch
    torch.manual_seed(0)
    model = InfoGAN(infogan.latent_spec(), infogan.width, image_size=64)
    s = shapes_scores(model, n=400, votes=(20, 10))
    assert set(s) == {"mig_generated", "mig_real", "mig_real_per_factor", "factor_vae_real", "shape_accuracy"}
    assert all(-0.05 <= s[k] <= 1 for k in ("mig_generated", "mig_real", "factor_vae_real", "shape_accuracy"))


def test_bootstrap_interval_brackets_the_score_and_narrows_with_more_images() -> None:
    from infogan_edu.disentanglement import bootstrap_mig

    gen = torch.Generator().manual_seed(0)
    factors = sample_shapes_factors(4000, gen)  # (N, 5)
    codes = factors.double() + 0.3 * torch.randn(4000, 5, generator=gen, dtype=torch.float64)  # noisy true factors
    point = mig(codes, factors).score
    low, high = bootstrap_mig(codes, factors, n_boot=40)
    assert low < high and low - 0.02 <= point <= high + 0.02
    small_low, small_high = bootstrap_mig(codes[:500], factors[:500], n_boot=40)
    assert small_high - small_low > high - low  # fewer images, a wider interval


def test_random_encoders_score_low_but_not_zero() -> None:
    from infogan_edu.disentanglement import random_encoder_migs

    like = InfoGAN(LatentSpec(4, (3,), 2, "normal"), width=0.0625, image_size=64)
    scores = random_encoder_migs(like, n_encoders=2, n=1500)
    assert len(scores) == 2 and all(0 <= s < 0.3 for s in scores)


def test_q_encoding_is_q_soft_reading() -> None:
    torch.manual_seed(0)
    model = InfoGAN(LatentSpec(noise=4, categorical=(3,), continuous=2), width=0.125, image_size=64).eval()
    images = render_shapes(shapes_index(0, 5, 0, np.arange(8), 16))[0]  # (8, 64, 64) squares along a row
    enc = q_encoding(model, images)
    assert enc.shape == (8, 3 + 2)
    assert torch.allclose(enc[:, :3].sum(1), torch.ones(8))  # the categorical block is a distribution
    with torch.no_grad():
        q = model.q(to_float_images(images, 1.0))
    assert torch.allclose(enc[:, 3:], q.mean) and torch.equal(enc[:, :3].argmax(1), q.cat_logits[0].argmax(1))
