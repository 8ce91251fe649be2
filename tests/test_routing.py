"""Which parameter groups receive gradient from which loss term (the gradient-routing choice)."""

import pytest
import torch

from infogan_edu.train import Trainer

from ._tiny import tiny_config, tiny_data

GROUPS = {
    "G": lambda m: m.g,
    "D trunk": lambda m: torch.nn.ModuleList([m.d.conv, m.d.fc]),
    "D head": lambda m: m.d.head,
    "Q head": lambda m: m.q_head,
}


def grads_from(trainer: Trainer, phase: str, term: str) -> set[str]:
    """Backward one loss term alone and list the groups that got a non-zero gradient."""
    m = trainer.model
    m.zero_grad(set_to_none=True)
    x = trainer.batcher.next()
    latent = trainer.spec.sample(x.shape[0], trainer.latent_rng)
    fake = m.g(trainer.spec.to_input(latent))
    out = trainer.d_phase(x, fake.detach(), latent) if phase == "D" else trainer.g_phase(fake, latent)
    if term not in out:
        return set()
    out[term].backward()
    return {
        name
        for name, get in GROUPS.items()
        if any(p.grad is not None and p.grad.abs().sum() > 0 for p in get(m).parameters())
    }


@pytest.fixture(scope="module")
def data():
    return tiny_data()[0]


def test_paper_default_routing(data) -> None:
    t = Trainer(tiny_config(q_optimizer="d", info_trains_trunk=True), data, progress=False)
    assert grads_from(t, "D", "adv") == {"D trunk", "D head"}
    # the paper's Q is D's trunk + Q's head: L_I trains both (in D's optimiser)
    assert grads_from(t, "D", "info") == {"D trunk", "Q head"}
    # G phase: the adversarial term reaches G through D; L_I reaches G through Q and the trunk
    assert "G" in grads_from(t, "G", "adv")
    assert {"G", "Q head", "D trunk"} <= grads_from(t, "G", "info")


def test_head_only_routing_keeps_the_trunk_out_of_l_i(data) -> None:
    t = Trainer(tiny_config(q_optimizer="d", info_trains_trunk=False), data, progress=False)
    assert grads_from(t, "D", "info") == {"Q head"}


def test_lambda_zero_control_gives_g_no_info_gradient(data) -> None:
    t = Trainer(tiny_config(q_optimizer="g", info_to_generator=False, info_trains_trunk=False), data, progress=False)
    assert grads_from(t, "G", "info") == {"Q head"}  # Q still learns, G gets nothing from L_I
    t = Trainer(tiny_config(q_optimizer="d", info_to_generator=False), data, progress=False)
    assert "info" not in t.g_phase(t.model.g(t.spec.to_input(t.spec.sample(16))), t.spec.sample(16))


@pytest.mark.parametrize("q_opt", ["d", "g"])
def test_q_head_belongs_to_the_named_optimiser(data, q_opt: str) -> None:
    t = Trainer(tiny_config(q_optimizer=q_opt), data, progress=False)
    q_ids = {id(p) for p in t.model.q_head.parameters()}
    in_d = q_ids <= {id(p) for g in t.opt_d.param_groups for p in g["params"]}
    in_g = q_ids <= {id(p) for g in t.opt_g.param_groups for p in g["params"]}
    assert (in_d, in_g) == ((True, False) if q_opt == "d" else (False, True))
    g_ids = {id(p) for p in t.model.g.parameters()}
    assert not g_ids & {id(p) for g in t.opt_d.param_groups for p in g["params"]}


def test_d_sees_real_and_fake_batches_with_separate_batchnorm_statistics(data) -> None:
    """D's verdict on the reals does not depend on the fakes of the same step (as in the original code)."""
    t = Trainer(tiny_config(), data, progress=False)
    x = t.batcher.next()
    latent = t.spec.sample(x.shape[0], t.latent_rng)
    fake = t.model.g(t.spec.to_input(latent)).detach()
    d_real = [t.d_phase(x, f, latent)["d_real"] for f in (fake, -fake)]
    assert torch.equal(*d_real)
    assert not torch.equal(*(t.d_phase(x, f, latent)["d_fake"] for f in (fake, -fake)))


def test_objective_adds_the_info_term_only_when_the_phase_has_one(data) -> None:
    t = Trainer(tiny_config(), data, progress=False)
    assert t.objective({"adv": torch.tensor(2.0), "info": torch.tensor(3.0)}).item() == 5.0  # adv + lambda (-E log Q)
    assert t.objective({"adv": torch.tensor(2.0)}).item() == 2.0  # e.g. D's phase with the head-only routing


def reached(trainer: Trainer, loss: torch.Tensor) -> set[str]:
    m = trainer.model
    m.zero_grad(set_to_none=True)
    loss.backward(retain_graph=True)
    return {
        name
        for name, get in GROUPS.items()
        if any(p.grad is not None and p.grad.abs().sum() > 0 for p in get(m).parameters())
    }


def stepped_by(trainer: Trainer, opt: torch.optim.Optimizer) -> set[str]:
    held = {id(p) for group in opt.param_groups for p in group["params"]}
    return {name for name, get in GROUPS.items() if all(id(p) in held for p in get(trainer.model).parameters())}


@pytest.mark.parametrize("q_opt", ["g", "d"])
def test_invariance_term_reaches_the_trunk_and_q_head_and_is_stepped_where_the_head_lives(data, q_opt: str) -> None:
    t = Trainer(tiny_config(q_optimizer=q_opt, lambda_invariance=1.0), data, progress=False)
    x = t.batcher.next()
    latent = t.spec.sample(x.shape[0], t.latent_rng)
    fake = t.model.g(t.spec.to_input(latent))
    d = t.d_phase(x, fake.detach(), latent)
    # real images only: never G; Q's categories, not D's real/fake output
    assert reached(t, d["invariance"]) == {"D trunk", "Q head"}
    assert {"D trunk", "D head"} <= stepped_by(t, t.opt_d)  # D's Adam steps the trunk it reached
    g = t.g_phase(fake, latent, d["features"])
    if q_opt == "g":
        # the head lives in G's Adam: the G phase repeats the term on the D phase's detached features
        assert reached(t, g["invariance"]) == {"Q head"}
        assert "Q head" in stepped_by(t, t.opt_g) and "Q head" not in stepped_by(t, t.opt_d)
    else:
        assert "invariance" not in g  # D's Adam already stepped the head in the D phase
        assert "Q head" in stepped_by(t, t.opt_d)


def test_invariance_term_is_absent_when_off(data) -> None:
    t = Trainer(tiny_config(), data, progress=False)
    assert t.config.lambda_invariance == 0
    x = t.batcher.next()
    latent = t.spec.sample(x.shape[0], t.latent_rng)
    fake = t.model.g(t.spec.to_input(latent))
    d = t.d_phase(x, fake.detach(), latent)
    assert "invariance" not in d and "features" not in d
    assert "invariance" not in t.g_phase(fake, latent)
