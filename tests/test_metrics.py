import numpy as np
import pytest
import torch

from infogan_edu.latent import LatentSpec
from infogan_edu.metrics import (
    category_probabilities,
    cluster_scores,
    hungarian_accuracy,
    predict_categories,
    q_confidence,
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


def test_predict_categories_restores_mode() -> None:
    m = InfoGAN(LatentSpec(), width=0.125).train()
    pred = predict_categories(m, np.zeros((5, 28, 28), dtype=np.uint8), batch_size=2)
    assert pred.shape == (5,) and m.training
    assert torch.is_tensor(torch.as_tensor(pred))


def _bar(width: int, lean: float) -> torch.Tensor:
    img = -torch.ones(1, 1, 28, 28)
    for row in range(4, 24):
        centre = 14 + lean * (14 - row)  # the top (small row index) moves right when lean > 0
        lo = int(round(centre - width / 2))
        img[0, 0, row, lo : lo + width] = 1.0
    return img


def test_slant_and_ink_read_lean_and_thickness() -> None:
    from infogan_edu.metrics import slant_and_ink

    upright, right, left, thick = _bar(2, 0.0), _bar(2, 0.4), _bar(2, -0.4), _bar(5, 0.0)
    s, ink = slant_and_ink(torch.cat([upright, right, left, thick]))
    assert abs(s[0]) < 0.05 and s[1] > 0.3 and s[2] < -0.3
    assert ink[3] > 2 * ink[0]


def test_continuous_code_effects_finds_a_planted_effect() -> None:
    from infogan_edu.metrics import continuous_code_effects

    spec = LatentSpec(noise=4, categorical=(10,), continuous=2)

    class Planted(torch.nn.Module):  # c2 sets the lean, c3 the thickness
        def forward(self, g_in: torch.Tensor) -> torch.Tensor:
            cont = g_in[:, spec.layout()["cont"]]
            return torch.cat([_bar(3 + int(2 * c3), 0.4 * float(c2)) for c2, c3 in cont.tolist()])

    fx = continuous_code_effects(Planted(), spec, n=16)
    assert fx["c2"]["slant"] > 1.0 and abs(fx["c2"]["ink"]) < 0.5
    assert fx["c3"]["ink"] > 1.0 and abs(fx["c3"]["slant"]) < 0.5


def test_category_probabilities_and_confidence() -> None:
    torch.manual_seed(0)
    m = InfoGAN(LatentSpec(4, (3,), 1), width=0.125)
    images = np.random.default_rng(0).integers(0, 256, size=(7, 28, 28), dtype=np.uint8)
    probs = category_probabilities(m, images, batch_size=3)
    assert probs.shape == (7, 3) and torch.allclose(probs.sum(1), torch.ones(7))
    assert np.array_equal(predict_categories(m, images, batch_size=3), probs.argmax(1).numpy())
    conf = q_confidence(m, images, batch_size=3)
    assert conf == pytest.approx(float(probs.max(1).values.mean())) and 1 / 3 <= conf <= 1
    # a head whose logits favour one category by a wide margin is confident
    with torch.no_grad():
        last = m.q_head.net[-1]
        last.weight.zero_()
        last.bias.zero_()
        last.bias[0] = 20.0
    assert q_confidence(m, images) > 0.99 and m.training


class _CategoryPainter(torch.nn.Module):
    """A stand-in G that paints c1 into the image: every pixel is k / 10 for category k."""

    def __init__(self, spec: LatentSpec):
        super().__init__()
        self.spec = spec

    def forward(self, g_input: torch.Tensor) -> torch.Tensor:
        k = g_input[:, self.spec.noise : self.spec.noise + 10].argmax(1).float()  # (B,): the one-hot block of c1
        return (k / 10).view(-1, 1, 1, 1).expand(-1, 1, 28, 28)  # (B, 1, 28, 28)


def test_generated_category_purity_finds_a_category_that_draws_another_ones_digit() -> None:
    from infogan_edu.metrics import generated_category_purity

    spec = LatentSpec(noise=4, categorical=(10,), continuous=1)
    model = InfoGAN(spec, width=0.125)
    model.g = _CategoryPainter(spec)
    digit_of = torch.tensor([7, 2, 9, 5, 0, 5, 1, 3, 8, 6])  # categories 3 and 5 both draw a 5; no category draws 4

    def classify(x: torch.Tensor) -> torch.Tensor:
        k = (x[:, 0, 0, 0] * 10).round().long()  # (B,)
        return torch.nn.functional.one_hot(digit_of[k], 10).float()  # (B, 10) logits

    model.train()
    src = generated_category_purity(model, classify, per_category=7, batch_size=16)
    assert model.training  # evaluated in eval mode, then the caller's mode is restored
    assert src.generator_purity.accuracy == pytest.approx(0.9)  # one of the two 5-drawing categories is unmatched
    assert src.generator_purity.mapping[2] == 9 and src.generator_purity.mapping[0] == 7
    model.eval()
    x = model.g(spec.to_input(spec.sample(70)))  # any latents: Q's read-back is its own argmax on the painted images
    drawn = torch.arange(10).repeat_interleave(7)
    painted = (drawn.float() / 10).view(-1, 1, 1, 1).expand(-1, 1, 28, 28)
    expected = (model.q(painted).cat_logits[0].argmax(1) == drawn).float().mean().item()
    assert x.shape == (70, 1, 28, 28) and src.q_reads_c == pytest.approx(expected)
