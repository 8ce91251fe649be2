"""The digit-preserving transformations T(x) and the information between Q's categories of x and T(x).

References are independent of the code: torch.rot90 and slicing for the geometry, and hand-worked joint
distributions for I(c; c')."""

import math

import pytest
import torch

from infogan_edu.data.augment import PARTS, affine, random_affine
from infogan_edu.losses import invariant_information


def one(v: float) -> torch.Tensor:
    return torch.tensor([v])


def dots() -> torch.Tensor:
    x = -torch.ones(1, 1, 8, 8)  # background -1
    x[0, 0, 1, 2], x[0, 0, 5, 6] = 1.0, 0.5
    return x


def test_the_identity_leaves_the_image_as_it_is() -> None:
    x = torch.rand(3, 1, 28, 28) * 2 - 1
    y = affine(x, torch.zeros(3), torch.ones(3), torch.zeros(3), torch.zeros(3))
    torch.testing.assert_close(y, x, atol=1e-5, rtol=0)  # grid_sample at the pixel centres, float32


@pytest.mark.parametrize(("degrees", "k"), [(90.0, -1), (-90.0, 1), (180.0, 2)])
def test_a_quarter_turn_is_rot90(degrees: float, k: int) -> None:
    # positive angles turn clockwise as displayed (y down): +90 degrees is rot90 with k = -1
    x = dots()
    y = affine(x, one(math.radians(degrees)), one(1.0), one(0.0), one(0.0))
    torch.testing.assert_close(y, torch.rot90(x, k=k, dims=(2, 3)), atol=1e-5, rtol=0)


def test_a_whole_pixel_shift_moves_every_pixel_and_fills_with_background() -> None:
    x = dots()
    right_down = affine(x, one(0.0), one(1.0), one(1.0), one(2.0))  # 1 px right, 2 px down
    expected = -torch.ones_like(x)
    expected[..., 2:, 1:] = x[..., :-2, :-1]
    torch.testing.assert_close(right_down, expected, atol=1e-6, rtol=0)


def test_scaling_up_about_the_centre_moves_a_dot_outwards() -> None:
    x = -torch.ones(1, 1, 9, 9)
    x[0, 0, 4, 6] = 1.0  # two pixels right of the centre (4, 4)
    y = affine(x, one(0.0), one(1.5), one(0.0), one(0.0))
    row = y[0, 0, 4]
    assert row.argmax().item() in (6, 7) and y[0, 0, 4, 7] > x[0, 0, 4, 7]  # the dot now reaches 3 px out


def test_random_affine_draws_per_image_reproducibly_and_keeps_the_background() -> None:
    x = torch.rand(16, 1, 28, 28) * 2 - 1
    a = random_affine(x, torch.Generator().manual_seed(3))
    b = random_affine(x, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    assert not torch.allclose(a[0], a[1])  # each image its own transformation
    blank = -torch.ones(4, 1, 28, 28)
    torch.testing.assert_close(random_affine(blank, torch.Generator().manual_seed(0)), blank, atol=1e-6, rtol=0)
    assert a.min() >= -1 - 1e-6 and a.max() <= 1 + 1e-6


def test_parts_switch_off_alone_and_the_other_draws_stay() -> None:
    x = dots().expand(8, 1, 8, 8).contiguous()
    none = random_affine(x, torch.Generator().manual_seed(0), parts=())
    torch.testing.assert_close(none, x, atol=1e-6, rtol=0)
    # shifts only: every image is a shifted copy, so its ink sum is unchanged unless ink leaves the 8 x 8 picture
    shifted = random_affine(x, torch.Generator().manual_seed(0), parts=("shift",), max_shift=1.0)
    torch.testing.assert_close((shifted + 1).sum((1, 2, 3)), (x + 1).sum((1, 2, 3)), atol=1e-4, rtol=0)
    with pytest.raises(ValueError, match="choose from"):
        random_affine(x, torch.Generator(), parts=("shear",))
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        random_affine(x[0], torch.Generator())
    assert PARTS == ("shift", "rotate", "scale")


# ------------------------------------------------------------------------------------------ I(c; c')
def confident(categories: list[int], k: int) -> torch.Tensor:
    """Logits of a Q that is sure of each image's category."""
    logits = torch.full((len(categories), k), -60.0)
    logits[torch.arange(len(categories)), torch.tensor(categories)] = 60.0
    return logits


@pytest.mark.parametrize(
    ("a", "b", "k", "expected"),
    [
        # the same category for x and T(x), all K used equally: I = H(c) = ln K
        ([0, 1, 2, 0, 1, 2], [0, 1, 2, 0, 1, 2], 3, math.log(3)),
        ([0, 1, 0, 1], [0, 1, 0, 1], 2, math.log(2)),
        # every image in one category: consistent, but H(c) = 0, so I = 0
        ([1, 1, 1, 1], [1, 1, 1, 1], 3, 0.0),
        # by hand: P = [[1/2, 1/4], [1/4, 0]], marginals (3/4, 1/4):
        # 1/2 ln((1/2) / (9/16)) + 2 * 1/4 ln((1/4) / (3/16)) = 1/2 ln(8/9) + 1/2 ln(4/3)
        ([0, 1], [0, 0], 2, 0.5 * math.log(8 / 9) + 0.5 * math.log(4 / 3)),
    ],
)
def test_invariant_information_against_hand_worked_joints(a: list[int], b: list[int], k: int, expected: float) -> None:
    got = invariant_information(confident(a, k), confident(b, k)).item()
    assert got == pytest.approx(expected, abs=1e-5)


def test_invariant_information_of_an_undecided_q_is_zero_and_symmetric() -> None:
    assert invariant_information(torch.zeros(5, 4), torch.zeros(5, 4)).item() == pytest.approx(0.0, abs=1e-6)
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(32, 10, generator=g), torch.randn(32, 10, generator=g)
    assert invariant_information(a, b).item() == pytest.approx(invariant_information(b, a).item(), abs=1e-6)
    assert 0 <= invariant_information(a, b).item() <= math.log(10)


def test_invariant_information_gradient_pulls_the_copies_together() -> None:
    # two images, Q barely leaning the right way on the copies: raising I moves each copy's logits towards its
    # original's category (at exactly uniform copies the gradient is zero, a stationary point)
    logits = confident([0, 1], 2)
    moved = torch.tensor([[0.1, 0.0], [0.0, 0.1]], requires_grad=True)
    invariant_information(logits, moved).backward()
    assert moved.grad[0, 0] > 0 > moved.grad[0, 1]  # dI/d logit: up for the first copy's category 0
    assert moved.grad[1, 1] > 0 > moved.grad[1, 0]
