"""`mi.DiscreteChannel`, the channel exercise 4 estimates the bound on: exact values against closed forms."""

from __future__ import annotations

import math

import pytest
import torch

from infogan_edu.mi import DiscreteChannel


def test_symmetric_channel_is_exact() -> None:
    ch = DiscreteChannel.symmetric(4, 0.2)
    closed = math.log(4) + 0.2 * math.log(0.2) + 0.8 * math.log(0.8) - 0.2 * math.log(3)
    assert math.isclose(ch.prior_entropy(), math.log(4), rel_tol=1e-12)
    assert math.isclose(ch.mutual_information(), closed, rel_tol=1e-12)
    assert math.isclose(ch.expected_bound(ch.posterior_log_probs()), closed, rel_tol=1e-12)
    uniform = torch.full((4, 4), -math.log(4), dtype=torch.float64)
    assert abs(ch.expected_bound(uniform)) < 1e-12 and ch.bound_std(uniform) < 1e-12
    c, x = ch.sample(50_000, torch.Generator().manual_seed(0))
    assert abs(float((c == x).double().mean()) - 0.8) < 0.01


def test_skewed_channel_against_hand_computed_sums() -> None:
    """A 2-input, 3-output channel with a zero in its table, summed term by term in plain Python."""
    prior = [0.75, 0.25]
    trans = [[0.5, 0.5, 0.0], [0.0, 0.2, 0.8]]
    ch = DiscreteChannel(torch.tensor(prior, dtype=torch.float64), torch.tensor(trans, dtype=torch.float64))
    joint = [[prior[c] * trans[c][x] for x in range(3)] for c in range(2)]
    p_x = [joint[0][x] + joint[1][x] for x in range(3)]
    mi = sum(
        joint[c][x] * math.log(joint[c][x] / (prior[c] * p_x[x])) for c in range(2) for x in range(3) if joint[c][x]
    )
    assert math.isclose(ch.mutual_information(), mi, rel_tol=1e-12)
    post = ch.posterior_log_probs().exp()  # (M, K): one distribution over c per row x
    assert post.shape == (3, 2)
    for x in range(3):
        for c in range(2):
            assert math.isclose(float(post[x, c]), joint[c][x] / p_x[x], abs_tol=1e-12)
    # a Q table (M, K): the bound and the spread of log Q over (c, x) ~ p, summed by hand
    q = [[0.6, 0.4], [0.7, 0.3], [0.1, 0.9]]
    log_q = torch.tensor(q, dtype=torch.float64).log()
    e_log_q = sum(joint[c][x] * math.log(q[x][c]) for c in range(2) for x in range(3))
    e_sq = sum(joint[c][x] * math.log(q[x][c]) ** 2 for c in range(2) for x in range(3))
    h = -sum(p * math.log(p) for p in prior)
    assert math.isclose(ch.expected_bound(log_q), h + e_log_q, rel_tol=1e-12)
    assert math.isclose(ch.bound_std(log_q), math.sqrt(e_sq - e_log_q**2), rel_tol=1e-9)
    assert ch.expected_bound(log_q) < ch.mutual_information()


def test_invalid_tables_are_refused() -> None:
    with pytest.raises(ValueError, match="sum to 1"):
        DiscreteChannel(torch.tensor([0.5, 0.6]), torch.eye(2))
    with pytest.raises(ValueError, match=r"prior must be \(K,\)"):
        DiscreteChannel(torch.tensor([0.5, 0.5]), torch.eye(3))
