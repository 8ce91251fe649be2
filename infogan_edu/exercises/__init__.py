r"""Automatic checks for the exercise notebooks in `exercises/`, one module per notebook.

    ex01_gan_losses          check_discriminator_loss, check_generator_loss (both: check_gan_losses)
    ex02_entropy_and_bound   check_categorical_entropy, check_categorical_lower_bound (both: check_categorical_bound)
    ex03_gaussian_nll        check_gaussian_nll
    ex04_monte_carlo_bound   check_mc_lower_bound, on an `infogan_edu.mi.DiscreteChannel`
    ex05_traversal_batch     check_traversal
    ex06_hungarian_accuracy  check_hungarian_accuracy
    _checks                  what they share: CheckResult, ExerciseCheckFailed, and the reporting helpers

Each check runs a learner's function on several inputs, edge cases included (a one-hot posterior,
a uniform posterior, a batch of one, confident logits, a tiny log-std), and compares the answers with
the library's reference implementation (`infogan_edu.losses`, `infogan_edu.latent`,
`infogan_edu.metrics`) or with a value known in closed form. A pass prints one line,

    ✓ Exercise 1 passed: ...

and a failure raises `ExerciseCheckFailed` (an `AssertionError`) whose message says what differed,

    ✗ Exercise 1: for <the input>, generator_loss(...) returned <got>, expected <value>; hint: <what to fix>

so that a notebook run stops where the mistake is. When a known mistake explains the wrong number (a
flipped sign, log base 2 instead of nats, a softmax before the cross-entropy, ...) the hint names it.

A `NotImplementedError` from an unfinished exercise stub is let through unchanged: the learner sees
"Exercise N: <hint>" from the stub itself. Any other exception from the learner's function becomes a
failed check that says which input caused it.

Tests call the same functions with `verbose=False, raise_on_failure=False` and read the returned
`CheckResult` (with `raise_on_failure=False` and `verbose=True` a failure is printed instead).
Every check is importable from here as well as from its exercise's module.
"""

from ._checks import CheckResult, ExerciseCheckFailed
from .ex01_gan_losses import check_discriminator_loss, check_gan_losses, check_generator_loss
from .ex02_entropy_and_bound import check_categorical_bound, check_categorical_entropy, check_categorical_lower_bound
from .ex03_gaussian_nll import check_gaussian_nll
from .ex04_monte_carlo_bound import check_mc_lower_bound
from .ex05_traversal_batch import check_traversal
from .ex06_hungarian_accuracy import check_hungarian_accuracy

__all__ = [
    "CheckResult",
    "ExerciseCheckFailed",
    "check_categorical_bound",
    "check_categorical_entropy",
    "check_categorical_lower_bound",
    "check_discriminator_loss",
    "check_gan_losses",
    "check_gaussian_nll",
    "check_generator_loss",
    "check_hungarian_accuracy",
    "check_mc_lower_bound",
    "check_traversal",
]
