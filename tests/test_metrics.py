"""Cluster scores against brute force and the textbook formulas; Q's read-outs against heads set by hand."""

import itertools
import math

import numpy as np
import pytest
import torch

from infogan_edu.latent import LatentSpec, QOutput
from infogan_edu.metrics import (
    category_probabilities,
    cluster_scores,
    hungarian_accuracy,
    predict_categories,
)
from infogan_edu.models import InfoGAN


def test_permuted_labels_score_perfectly() -> None:
    labels = np.repeat(np.arange(10), 5)
    perm = np.array([3, 7, 0, 9, 1, 8, 2, 6, 4, 5])
    acc, mapping = hungarian_accuracy(perm[labels], labels)
    assert acc == 1.0
    assert all(mapping[perm[k]] == k for k in range(10))


def test_hand_computed_matching() -> None:
    # categories 0,1 ; labels 0,1 ; best matching 0->1, 1->0 gets 3 of 4
    pred, labels = np.array([0, 0, 1, 0]), np.array([1, 1, 0, 0])
    acc, mapping = hungarian_accuracy(pred, labels)
    assert acc == pytest.approx(0.75) and mapping == {0: 1, 1: 0}


def test_one_to_one_not_many_to_one() -> None:
    # everything in one category: a many-to-one map would score 0.5, one-to-one scores 0.5 too, but
    # two labels cannot share category 0
    pred, labels = np.zeros(4, dtype=int), np.array([0, 0, 1, 1])
    assert hungarian_accuracy(pred, labels)[0] == pytest.approx(0.5)
    pred = np.array([0, 0, 0, 1])
    assert hungarian_accuracy(pred, np.array([0, 1, 2, 3]))[0] == pytest.approx(0.5)


def test_cluster_scores_confusion_and_nmi() -> None:
    labels = np.repeat(np.arange(3), 4)
    pred = np.array([2, 2, 2, 2, 0, 0, 0, 1, 1, 1, 1, 1])
    s = cluster_scores(pred, labels)
    assert s.accuracy == pytest.approx(11 / 12)
    assert s.confusion.shape == (3, 3) and s.confusion.trace() == 11  # columns ordered by matched label
    assert 0 < s.nmi < 1 and 0 < s.ari < 1
    with pytest.raises(ValueError):
        hungarian_accuracy(np.array([]), np.array([]))


def brute_force_accuracy(pred: np.ndarray, labels: np.ndarray) -> float:
    """The best one-to-one matching by trying every assignment of categories to labels (no scipy)."""
    n = int(max(pred.max(), labels.max())) + 1
    return max(float(np.mean(np.asarray(perm)[pred] == labels)) for perm in itertools.permutations(range(n)))


@pytest.mark.parametrize("seed", range(6))
def test_hungarian_accuracy_equals_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_cat, n_lab = (5, 5) if seed % 2 else (6, 4)  # more categories than labels on even seeds
    labels = rng.integers(0, n_lab, 40)
    pred = np.where(rng.random(40) < 0.6, (labels * 2 + 1) % n_cat, rng.integers(0, n_cat, 40))  # a noisy relabelling
    acc, mapping = hungarian_accuracy(pred, labels)
    assert acc == pytest.approx(brute_force_accuracy(pred, labels))
    assert len(set(mapping.values())) == len(mapping)  # one-to-one
    # the mapping it returns scores the accuracy it reports
    assert acc == pytest.approx(np.mean([mapping.get(int(p), -1) == t for p, t in zip(pred, labels, strict=True)]))


def entropy_of_counts(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def test_nmi_and_ari_against_their_formulas() -> None:
    """NMI = I / mean(H(labels), H(pred)) (arithmetic normalisation) and the Hubert-Arabie ARI from pair counts."""
    labels = np.repeat(np.arange(3), 4)
    pred = np.array([2, 2, 2, 2, 0, 0, 0, 1, 1, 1, 1, 1])
    table = np.zeros((3, 3))
    np.add.at(table, (labels, pred), 1)
    h_l, h_p = entropy_of_counts(table.sum(1)), entropy_of_counts(table.sum(0))
    mi = h_l + h_p - entropy_of_counts(table.ravel())
    pairs = lambda v: v * (v - 1) / 2  # noqa: E731
    index, a, b, total = pairs(table).sum(), pairs(table.sum(1)).sum(), pairs(table.sum(0)).sum(), pairs(12)
    expected_index = a * b / total
    ari = (index - expected_index) / ((a + b) / 2 - expected_index)
    s = cluster_scores(pred, labels)
    assert s.nmi == pytest.approx(mi / ((h_l + h_p) / 2), rel=1e-9)
    assert s.ari == pytest.approx(ari, rel=1e-9)
    perfect = cluster_scores((labels + 1) % 3, labels)  # a pure relabelling
    assert (perfect.accuracy, perfect.nmi, perfect.ari) == pytest.approx((1.0, 1.0, 1.0))
    # by hand: H(labels) = ln 3, and only category 1 is mixed (one 1 and four 2s): H(labels | pred) = 5/12 h(1/5)
    assert math.isclose(mi, math.log(3) - 5 / 12 * entropy_of_counts(np.array([1, 4])), rel_tol=1e-12)


def fixed_head(m: InfoGAN, logits: list[float]) -> None:
    """Make Q's last layer output the same categorical logits for every image: zero weights, a chosen bias."""
    last = m.q_head.net[-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.zero_()
        last.bias[: len(logits)] = torch.tensor(logits)


def test_predict_categories_restores_mode() -> None:
    m = InfoGAN(LatentSpec(), width=0.125).train()
    images = np.random.default_rng(0).integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    fixed_head(m, [0.0] * 6 + [3.0] + [0.0] * 3)  # category 6 wins for every image
    pred = predict_categories(m, images, batch_size=2)
    assert pred.tolist() == [6] * 5 and m.training


def _bar(width: int, lean: float) -> torch.Tensor:
    img = -torch.ones(1, 1, 28, 28)
    for row in range(4, 24):
        centre = 14 + lean * (14 - row)  # the top (small row index) moves right when lean > 0
        lo = int(round(centre - width / 2))
        img[0, 0, row, lo : lo + width] = 1.0
    return img


def test_slant_and_ink_read_lean_and_thickness() -> None:
    from infogan_edu.generated import slant_and_ink

    upright, right, left, thick = _bar(2, 0.0), _bar(2, 0.4), _bar(2, -0.4), _bar(5, 0.0)
    s, ink = slant_and_ink(torch.cat([upright, right, left, thick]))
    assert abs(s[0]) < 0.05 and s[1] > 0.3 and s[2] < -0.3
    assert ink[3] > 2 * ink[0]


def test_continuous_code_effects_finds_a_planted_effect() -> None:
    from infogan_edu.generated import continuous_code_effects

    spec = LatentSpec(noise=4, categorical=(10,), continuous=2)

    class Planted(torch.nn.Module):  # c2 sets the lean, c3 the thickness
        def forward(self, g_in: torch.Tensor) -> torch.Tensor:
            cont = g_in[:, spec.layout()["cont"]]
            return torch.cat([_bar(3 + int(2 * c3), 0.4 * float(c2)) for c2, c3 in cont.tolist()])

    fx = continuous_code_effects(Planted(), spec, n=16)
    assert fx["c2"]["slant"] > 1.0 and abs(fx["c2"]["ink"]) < 0.5
    assert fx["c3"]["ink"] > 1.0 and abs(fx["c3"]["slant"]) < 0.5


def test_category_probabilities_from_a_head_set_by_hand() -> None:
    torch.manual_seed(0)
    m = InfoGAN(LatentSpec(4, (3,), 1), width=0.125)
    images = np.random.default_rng(0).integers(0, 256, size=(7, 28, 28), dtype=np.uint8)
    # logits (0, ln 2, ln 7) for every image: Q(c1 | x) = (0.1, 0.2, 0.7)
    fixed_head(m, [0.0, math.log(2), math.log(7)])
    probs = category_probabilities(m, images, batch_size=3)
    torch.testing.assert_close(probs, torch.tensor([[0.1, 0.2, 0.7]]).expand(7, 3))
    assert predict_categories(m, images, batch_size=3).tolist() == [2] * 7
    # a head whose logits favour category 0 by 20 nats: Q(c1 = 0 | x) = 1 / (1 + 2 e^-20)
    fixed_head(m, [20.0, 0.0, 0.0])
    probs = category_probabilities(m, images)
    assert probs[:, 0].tolist() == pytest.approx([1 / (1 + 2 * math.exp(-20))] * 7, rel=1e-6) and m.training


class _CategoryPainter(torch.nn.Module):
    """A stand-in G that paints c1 into the image: every pixel is k / 10 for category k."""

    def __init__(self, spec: LatentSpec):
        super().__init__()
        self.spec = spec

    def forward(self, g_input: torch.Tensor) -> torch.Tensor:
        k = g_input[:, self.spec.noise : self.spec.noise + 10].argmax(1).float()  # (B,): the one-hot block of c1
        return (k / 10).view(-1, 1, 1, 1).expand(-1, 1, 28, 28)  # (B, 1, 28, 28)


def test_generated_category_purity_finds_a_category_that_draws_another_ones_digit() -> None:
    from infogan_edu.generated import generated_category_purity

    spec = LatentSpec(noise=4, categorical=(10,), continuous=1)
    model = InfoGAN(spec, width=0.125)
    model.g = _CategoryPainter(spec)
    digit_of = torch.tensor([7, 2, 9, 5, 0, 5, 1, 3, 8, 6])  # categories 3 and 5 both draw a 5; no category draws 4

    def classify(x: torch.Tensor) -> torch.Tensor:
        k = (x[:, 0, 0, 0] * 10).round().long()  # (B,)
        return torch.nn.functional.one_hot(digit_of[k], 10).float()  # (B, 10) logits

    read_as = torch.tensor([0, 1, 2, 3, 3, 5, 6, 7, 8, 9])  # a stand-in Q that reads category 4 as 3

    def q_reads(x: torch.Tensor) -> QOutput:
        k = (x[:, 0, 0, 0] * 10).round().long()  # (B,): the category G painted
        logits = torch.nn.functional.one_hot(read_as[k], 10).float() * 5  # (B, 10)
        return QOutput([logits], x.new_zeros(len(x), 1), x.new_zeros(len(x), 1))

    model.q = q_reads
    model.train()
    src = generated_category_purity(model, classify, per_category=7, batch_size=16)
    assert model.training  # evaluated in eval mode, then the caller's mode is restored
    assert src.generator_purity.accuracy == pytest.approx(0.9)  # one of the two 5-drawing categories is unmatched
    assert src.generator_purity.mapping[2] == 9 and src.generator_purity.mapping[0] == 7
    assert src.q_reads_c == pytest.approx(0.9)  # 9 of the 10 categories are read back, all 7 samples of each


def test_train_digit_classifier_learns_a_separable_set_and_leaves_the_callers_rng_alone() -> None:
    from infogan_edu.generated import train_digit_classifier

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, size=400)
    images = rng.integers(0, 40, size=(400, 28, 28)).astype(np.uint8)
    for k in range(10):  # class k: a bright bar in row 2k (the classes are linearly separable)
        images[labels == k, 2 * k, :] = 255
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    net = train_digit_classifier(images, labels, epochs=25, hidden=32)
    assert torch.equal(torch.rand(3), expected_next), "the caller's random stream must be left as it was"
    x = torch.as_tensor(images, dtype=torch.float32).div(127.5).sub(1).unsqueeze(1)  # (400, 1, 28, 28)
    with torch.no_grad():
        pred = net(x).argmax(1).numpy()
    assert (pred == labels).mean() > 0.98
    again = train_digit_classifier(images, labels, epochs=25, hidden=32)
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), again.state_dict().values(), strict=True))


class _PaintsItsCategory(torch.nn.Module):
    """A stand-in G: draws a bar in row 2 * c1, moved down one row per unit of c2, and all bars at row 0 when c2 < -1.5
    (every category collapses to one shape there)."""

    def __init__(self, spec) -> None:
        super().__init__()
        self.spec = spec
        self.dummy = torch.nn.Parameter(torch.zeros(1))

    def forward(self, g_in: torch.Tensor) -> torch.Tensor:
        lay = self.spec.layout()
        cat = g_in[:, lay["cat0"]].argmax(1)  # (B,)
        c2 = g_in[:, lay["cont"]][:, 0]  # (B,)
        row = (2 * cat + c2.round().long()).clamp(0, 27)
        row = torch.where(c2 < -1.5, torch.zeros_like(row), row)
        x = -torch.ones(len(g_in), 1, 28, 28)
        x[torch.arange(len(g_in)), 0, row, :] = 1.0
        return x


def test_sweep_digits_counts_kept_digits_and_collapse() -> None:
    from infogan_edu.generated import sweep_digits
    from infogan_edu.latent import LatentSpec

    spec = LatentSpec(noise=4, categorical=(10,), continuous=2)
    g = _PaintsItsCategory(spec)

    def classify(x: torch.Tensor) -> torch.Tensor:  # reads the bar's row; rows 2k and 2k + 1 are "digit" k
        row = x[:, 0].amax(2).argmax(1)  # (B,)
        return torch.nn.functional.one_hot((row // 2).clamp(max=9), 10).float()

    out = sweep_digits(g, spec, classify, "c2", [-2.0, -1.0, 0.4, 1.0], n_noise=3)
    # c2 = 0.4 rounds to 0: every digit kept, 10 distinct. c2 = +1 moves each bar one row: k -> row 2k + 1 keeps the
    # digit. c2 = -1: row 2k - 1 reads as digit k - 1 for k >= 1, and category 0 is clamped to row 0 (kept): 1/10
    # kept, and the digits 0, 0, 1, ..., 8 are 9 distinct ones.
    assert out[0.4] == (1.0, 10.0) and out[1.0] == (1.0, 10.0)
    assert out[-1.0].kept == pytest.approx(0.1) and out[-1.0].distinct == 9.0
    assert out[-2.0].kept == pytest.approx(0.1) and out[-2.0].distinct == 1.0  # collapsed: one shape for all
    with pytest.raises(ValueError, match="continuous"):
        sweep_digits(g, spec, classify, "c1", [1.0])
