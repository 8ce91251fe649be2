r"""Automatic checks for the exercise notebooks in `exercises/`, one module per notebook.

    ex01_gan_losses          check_discriminator_loss, check_generator_loss (both: check_gan_losses)
    ex02_entropy_and_bound   check_categorical_entropy, check_categorical_lower_bound (both: check_categorical_bound)
    ex03_gaussian_nll        check_gaussian_nll
    ex04_monte_carlo_bound   check_mc_lower_bound, on an `infogan_edu.mi.DiscreteChannel`
    ex05_traversal_batch     check_traversal
    ex06_hungarian_accuracy  check_hungarian_accuracy
    ex08_training_step       check_optimizers, check_training_step, against `infogan_edu.train.Trainer`
    ex09_category_count      check_predictions, then the precomputed runs of `benchmarks/category_count.py`
    ex10_find_the_bug        check_diagnosis, of three steps that each carry a bug of `infogan_edu.bugs`
    _checks                  what they share: CheckResult, ExerciseCheckFailed, and the reporting helpers

Each check runs a learner's function on several inputs, edge cases included (a one-hot posterior,
a uniform posterior, a batch of one, confident logits, a tiny log-std), and compares the answers with
the library's reference implementation (`infogan_edu.losses`, `infogan_edu.latent`,
`infogan_edu.metrics`) or with a value known in closed form. A pass prints one line,

    ✓ Exercise 1 passed: ...

and a failure raises `ExerciseCheckFailed` (an `AssertionError`) whose message says what differed,

    ✗ Exercise 1: for <the input>, generator_loss(...) returned <got>, expected <value>
    What to look at: <the known mistake that explains it, or the rule it broke>
    Hint 1: <the task's first hint>
    More hints: open "Hint 2" (and on) in the collapsed cell below this check.

so that a notebook run stops where the mistake is. When a known mistake explains the wrong number (a
flipped sign, log base 2 instead of nats, a softmax before the cross-entropy, ...) "What to look at"
names it. Hints appear only after a failure: each module declares them in `HINTS` (see `_checks`).

A `NotImplementedError` from an unfinished exercise stub is let through unchanged: the learner sees the
stub's neutral "Exercise N: write your answer here". Any other exception from the learner's function
becomes a failed check that says which input caused it.

Tests call the same functions with `verbose=False, raise_on_failure=False` and read the returned
`CheckResult` (with `raise_on_failure=False` and `verbose=True` a failure is printed instead).
Every check is importable from here as well as from its exercise's module.
"""

import importlib as _importlib
import pkgutil as _pkgutil
import re as _re

from ._checks import CheckResult, ExerciseCheckFailed

__all__ = ["CheckResult", "ExerciseCheckFailed"]

# Every `check_*` function of every exercise module (`exNN_<topic>.py`) is exported here too, so that a new
# exercise's checks are importable from `infogan_edu.exercises` as soon as its module exists.
for _info in sorted(_pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _re.fullmatch(r"ex\d\d_\w+", _info.name):
        _module = _importlib.import_module(f"{__name__}.{_info.name}")
        for _name, _obj in vars(_module).items():
            if _name.startswith("check_") and callable(_obj) and getattr(_obj, "__module__", "") == _module.__name__:
                globals()[_name] = _obj
                __all__.append(_name)
