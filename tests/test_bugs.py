"""The planted bugs (infogan_edu/bugs.py): each is the correct step with one piece swapped, and that piece does what
its docstring says, checked against values computed by hand or by an independent route."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.stats import norm

from infogan_edu.bugs import BUGS, make_trainer, softmax_twice_ceiling, symptoms
from infogan_edu.latent import HALF_LOG_2PI
from infogan_edu.losses import gaussian_nll
from infogan_edu.train import Trainer

from ._tiny import tiny_config, tiny_data


@pytest.fixture(scope="module")
def data():
    return tiny_data()[0]


def trained(bug: str, data, steps: int = 4, **overrides) -> Trainer:
    x, y = tiny_data()
    trainer = make_trainer(bug, tiny_config(steps=steps, **overrides), data, x, y)
    trainer.train()
    return trainer


def test_softmax_twice_ceiling_by_hand_and_by_brute_force() -> None:
    # ln K - ln(e + K - 1) + 1: K = 10: 2.302585 - 2.461150 + 1; K = 2: 0.693147 - 1.313262 + 1
    assert softmax_twice_ceiling(10) == pytest.approx(0.841435, abs=1e-6)
    assert softmax_twice_ceiling(2) == pytest.approx(0.379885, abs=1e-6)
    for k in (2, 10):  # the best Q can do: a one-hot probability vector fed to cross_entropy as logits
        one_hot = torch.eye(k, dtype=torch.float64)
        best = math.log(k) - float(F.cross_entropy(one_hot, torch.arange(k)))
        assert best == pytest.approx(softmax_twice_ceiling(k), abs=1e-9)


def test_every_bug_starts_from_the_correct_steps_weights_and_batches(data) -> None:
    correct = make_trainer("none", tiny_config(), data)
    weights = correct.model.state_dict()
    first_batch = correct.batcher.next()
    for bug in BUGS:
        trainer = make_trainer(bug, tiny_config(), data)
        own = {k.replace("q_head.head.", "q_head."): v for k, v in trainer.model.state_dict().items()}
        assert own.keys() == weights.keys(), bug
        assert all(torch.equal(own[k], weights[k]) for k in weights), bug
        assert torch.equal(trainer.batcher.next(), first_batch), bug


def test_make_trainer_refuses_an_unknown_bug(data) -> None:
    with pytest.raises(ValueError, match="unknown bug 'softmax'; choose one of: none, softmax-twice"):
        make_trainer("softmax", tiny_config(), data)


def test_softmax_twice_keeps_l_i_under_its_ceiling(data) -> None:
    trainer = trained("softmax-twice", data, steps=6, lambda_cat=5.0)
    q = trainer.model.q(trainer.batcher.next())
    probs = q.cat_logits[0]  # what the head now outputs: probabilities
    assert torch.allclose(probs.sum(1), torch.ones(len(probs))) and (probs >= 0).all()
    assert max(trainer.history.li_cat) <= softmax_twice_ceiling(10) + 1e-6
    assert symptoms(trainer)["li_cat_ceiling"] == pytest.approx(0.8414)


def test_normal_codes_are_the_correct_uniforms_mapped_to_a_normal(data) -> None:
    correct, bug = make_trainer("none", tiny_config(), data), make_trainer("normal-codes", tiny_config(), data)
    gen_a, gen_b = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    right, wrong = correct.spec.sample(4000, gen_a), bug.spec.sample(4000, gen_b)
    assert torch.equal(right.z, wrong.z) and torch.equal(right.cat, wrong.cat)
    expected = norm.ppf((right.cont.double().numpy() + 1) / 2)  # the normal quantile of the uniform's position
    assert np.allclose(wrong.cont.numpy(), expected, atol=1e-4)
    assert 0.29 < float((wrong.cont.abs() > 1).float().mean()) < 0.345  # P(|N(0,1)| > 1) = 0.317
    # 2 x (H(N(0, 1)) - H(Unif(-1, 1))) = 2 x (1.418939 - 0.693147)
    assert symptoms(bug)["entropy_gap_nats"] == pytest.approx(1.4516, abs=1e-4)


def test_no_zero_grad_applies_the_sum_of_gs_gradients(data) -> None:
    # without L_I in the D phase nothing but the G phase fills G's and Q's .grad, so step 1 is the same in both
    config = tiny_config(info_trains_trunk=False)
    bug, correct = make_trainer("no-zero-grad", config, data), make_trainer("none", config, data)
    grads = []  # the correct step's own gradient of G, step by step
    for _ in range(2):
        bug.train_step()
        correct.train_step()
        grads.append([p.grad.clone() for p in correct.model.g.parameters()])
    for p, g1, g2 in zip(bug.model.g.parameters(), *grads, strict=True):
        assert torch.allclose(p.grad, g1 + g2, atol=1e-6)  # step 2 applied both steps' gradients
    bug.opt_d.zero_grad(set_to_none=True)
    assert all(p.grad is None for p in bug.model.d.parameters())  # D's optimiser still zeroes


def test_info_optimiser_never_moves_ds_real_fake_layer_and_drops_l_i_from_both_phases(data) -> None:
    trainer = make_trainer("info-optimiser", tiny_config(), data)
    x = trainer.batcher.next()
    latent = trainer.spec.sample(x.shape[0], trainer.latent_rng)
    fake = trainer.model.g(trainer.spec.to_input(latent))
    assert "info" not in trainer.d_phase(x, fake.detach(), latent) and "info" not in trainer.g_phase(fake, latent)
    held = {id(p) for group in trainer.opt_info.param_groups for p in group["params"]}
    assert all(id(p) in held for p in trainer.model.d.head.parameters())  # the layer is in the optimiser ...
    trainer.train(4)
    assert symptoms(trainer)["d_head_moved_by_info_step"] == 0.0  # ... and L_I never moves it


@pytest.mark.parametrize(
    ("bug", "field"), [("info-misses-trunk", "info_trains_trunk"), ("info-misses-g", "info_to_generator")]
)
def test_routing_bugs_switch_one_routing_field_of_a_copy(bug: str, field: str, data) -> None:
    config = tiny_config()
    trainer = make_trainer(bug, config, data)
    assert getattr(trainer.config, field) is False and getattr(config, field) is True  # the caller's config kept


def test_batchnorm_eps_sets_eps_where_the_models_test_looks(data) -> None:
    trainer = make_trainer("batchnorm-eps", tiny_config(), data)
    eps = {type(b).__name__ + "@" + owner: b.eps for owner, m in (("g", trainer.model.g), ("d", trainer.model.d))
           for b in m.modules() if isinstance(b, torch.nn.modules.batchnorm._BatchNorm)}  # fmt: skip
    assert {k: v for k, v in eps.items() if k == "BatchNorm2d@g"} == {"BatchNorm2d@g": 0.8}
    assert eps["BatchNorm1d@g"] == 1e-5 and eps["BatchNorm2d@d"] == 1e-5
    # what tests/test_models.py asserts of every model: it fails on this one
    assert not all(
        b.eps == 1e-5 for b in trainer.model.modules() if isinstance(b, torch.nn.modules.batchnorm._BatchNorm)
    )


def test_mse_for_nll_is_the_unit_variance_gaussian_minus_its_constant(data) -> None:
    trainer = make_trainer("mse-for-nll", tiny_config(lambda_cont=1.0), data)
    x = trainer.batcher.next()
    latent = trainer.spec.sample(x.shape[0], trainer.latent_rng)
    with torch.no_grad():
        features = trainer.model.d.features(trainer.model.g(trainer.spec.to_input(latent)))
        terms = trainer._info(features, latent)
        mean = trainer.model.q_head(features).mean
    by_hand = float(((mean - latent.cont) ** 2).mean())  # averaged over the batch and both codes
    assert float(terms.nll_cont) == pytest.approx(by_hand, rel=1e-5)
    sigma_one = float(gaussian_nll(mean, torch.zeros_like(mean), latent.cont, fixed_std=True))
    assert float(terms.nll_cont) == pytest.approx(sigma_one - 2 * HALF_LOG_2PI, rel=1e-5)  # two codes
    assert float(terms.li_cont) == pytest.approx(2 * math.log(2) - by_hand, rel=1e-5)


def test_separate_q_has_a_trunk_of_its_own_in_qs_optimiser(data) -> None:
    trainer = trained("separate-q", data, steps=3, eval_every=3)
    own = list(trainer.q_net.trunk.parameters())
    shared = {id(p) for p in trainer.model.parameters()}
    assert not any(id(p) in shared for p in own)
    held = {id(p) for group in trainer.opt_g.param_groups for p in group["params"]}  # cpu preset: Q's head in G's Adam
    assert all(id(p) in held for n, p in trainer.q_net.trunk.named_parameters() if not n.startswith("head."))
    assert trainer.history.eval_step == [3] and 0 <= trainer.history.accuracy[0] <= 1
    assert symptoms(trainer)["q_trunk_parameters"] == sum(
        p.numel() for n, p in trainer.q_net.trunk.named_parameters() if not n.startswith("head.")
    )


def test_separate_q_refuses_the_invariance_term(data) -> None:
    with pytest.raises(ValueError, match="lambda_invariance=0"):
        make_trainer("separate-q", tiny_config(lambda_invariance=0.5), data)
