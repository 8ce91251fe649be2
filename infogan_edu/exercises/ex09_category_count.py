r"""Checks for exercise 9 (`exercises/ex09_category_count.ipynb`): predict, then look: 5, 10 or 20 categories for c1.

    check_predictions    the learner's four predictions are recorded (one letter each); until they are written,
                         it stops with the stub's neutral NotImplementedError
    load_results         the precomputed runs of `benchmarks/category_count.py` (K = 5, 10, 20), refused until the
                         predictions are written
    outcomes             the letter each question's result corresponds to, computed from the runs
    compare              prints, per question, the prediction, the outcome and why

The runs are the `cpu` preset on MNIST with c1 uniform over K values, 2,000 steps each, seed 0, one thread; their raw
output (command, machine, date) is `infogan_edu/results/category-count-cpu-k{5,10,20}.json` and the summary
`benchmarks/results/category-count.md`.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..results import FOLDER
from ._checks import CheckResult, _finish, _Mismatch

KS = (5, 10, 20)
RESULTS = FOLDER  # the measured runs, shipped with the package
STUB = "Exercise 9: write your answer here"

# question -> (the question, its options)
QUESTIONS: dict[str, tuple[str, dict[str, str]]] = {
    "li_k20": (
        "At the end of training, where is L_I of c1 for K = 20?",
        {"A": "about ln 10 = 2.30 nats, as for K = 10", "B": "about ln 20 = 3.00 nats", "C": "below 1 nat"},
    ),
    "accuracy_k20": (
        "The one-to-one (Hungarian) test accuracy of c1 for K = 20, against K = 10's:",
        {"A": "higher", "B": "about the same (within 0.05)", "C": "lower"},
    ),
    "accuracy_k5": (
        "The one-to-one test accuracy of c1 for K = 5:",
        {"A": "above 0.6", "B": "between 0.3 and 0.6", "C": "below 0.3"},
    ),
    "many_to_one_best": (
        "Which K gives the highest many-to-one accuracy (each category takes its majority digit)?",
        {"A": "K = 5", "B": "K = 10", "C": "K = 20"},
    ),
}


@dataclass(frozen=True)
class Run:
    """One precomputed run: K, its scores on the MNIST test set, its L_I curve and G's images per category."""

    k: int
    steps: int
    accuracy: float  # one-to-one (Hungarian)
    many_to_one: float
    nmi: float
    li_end: float  # nats
    li_step: list[int]
    li_cat: list[float]
    contingency: np.ndarray  # (10 labels, K categories)
    images: np.ndarray  # (K, 4, 28, 28) uint8
    wall_s: float
    machine: str
    date: str
    command: str


def check_predictions(
    predictions: dict[str, Any],
    *,
    verbose: bool = True,
    raise_on_failure: bool = True,
) -> CheckResult:
    """Exercise 9: every question has one of its letters. An unanswered one (None) stops with the stub's message."""
    _require(predictions)

    def run() -> str:
        for q, value in predictions.items():
            if q not in QUESTIONS:
                raise _Mismatch(f"{q!r} is not one of the questions ({', '.join(QUESTIONS)})")
            options = QUESTIONS[q][1]
            if not isinstance(value, str) or value.strip().upper() not in options:
                raise _Mismatch(
                    f"the prediction for {q} is {value!r}\nWhat to look at: write one of the letters "
                    f"{', '.join(repr(o) for o in options)}"
                )
        missing = [q for q in QUESTIONS if q not in predictions]
        if missing:
            raise _Mismatch(f"no prediction for {', '.join(missing)}")
        chosen = ", ".join(f"{q} = {str(v).strip().upper()}" for q, v in predictions.items())
        return f"predictions recorded ({chosen}). Now load the results."

    return _finish(9, run, verbose, raise_on_failure)


def _require(predictions: dict[str, Any]) -> None:
    """The stub's neutral NotImplementedError while a prediction is still None."""
    if any(v is None for v in predictions.values()):
        raise NotImplementedError(STUB)


def load_results(predictions: dict[str, Any], folder: Path | str | None = None) -> dict[int, Run]:
    """The runs of `benchmarks/category_count.py`, by K; only once every prediction is written."""
    _require(predictions)
    folder = Path(folder) if folder is not None else RESULTS
    runs = {}
    for k in KS:
        path = folder / f"category-count-cpu-k{k}.json"
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} is missing: these results ship with the package (reinstall it), or "
                f"recompute them with `OMP_NUM_THREADS=1 python benchmarks/category_count.py --ks {k} --steps 2000 "
                f"--json {path}` (a few CPU minutes)"
            )
        data = json.loads(path.read_text())
        row = data["runs"][0]
        images = np.frombuffer(base64.b64decode(row["images_uint8_b64"]), dtype=np.uint8).reshape(row["images_shape"])
        runs[k] = Run(
            k=row["k"], steps=row["steps"], accuracy=row["accuracy"], many_to_one=row["many_to_one_accuracy"],
            nmi=row["nmi"], li_end=row["li_cat_end"], li_step=row["li_step"], li_cat=row["li_cat"],
            contingency=np.asarray(row["contingency"]), images=images, wall_s=row["wall_s"],
            machine=data["machine"], date=data["date"], command=data["command"],
        )
    return runs


def outcomes(runs: dict[int, Run]) -> dict[str, str]:
    """The letter of each question that the runs bear out."""
    li = runs[20].li_end
    li_letter = "C" if li < 1.0 else min(("A", math.log(10)), ("B", math.log(20)), key=lambda o: abs(li - o[1]))[0]
    gap = runs[20].accuracy - runs[10].accuracy
    acc5 = runs[5].accuracy
    best = max(KS, key=lambda k: runs[k].many_to_one)
    return {
        "li_k20": li_letter,
        "accuracy_k20": "B" if abs(gap) <= 0.05 else ("A" if gap > 0 else "C"),
        "accuracy_k5": "A" if acc5 > 0.6 else ("B" if acc5 >= 0.3 else "C"),
        "many_to_one_best": {5: "A", 10: "B", 20: "C"}[best],
    }


def one_to_one_ceiling(labels: np.ndarray, k: int) -> float:
    """The best one-to-one accuracy any K categories can reach: the share of the K most frequent labels."""
    counts = np.sort(np.bincount(np.asarray(labels)))[::-1]
    return float(counts[:k].sum() / counts.sum())


def explanations(runs: dict[int, Run], ceiling5: float) -> dict[str, str]:
    """Why each outcome is what it is, with the runs' numbers."""
    r5, r10, r20 = runs[5], runs[10], runs[20]
    return {
        "li_k20": (
            f"L_I = {r20.li_end:.2f} nats for K = 20 (ln 20 = {math.log(20):.2f}), {r10.li_end:.2f} for K = 10 and "
            f"{r5.li_end:.2f} for K = 5 (ln 5 = {math.log(5):.2f}). L_I <= H(c1) = ln K, and G can make any K "
            f"categories legible to Q, digits or not: the bound fills up whatever K is."
        ),
        "accuracy_k20": (
            f"{r20.accuracy:.3f} for K = 20 against {r10.accuracy:.3f} for K = 10. One-to-one matching pairs at most "
            f"10 of the 20 categories with a digit; the images in the other 10 count as wrong, however pure they are."
        ),
        "accuracy_k5": (
            f"{r5.accuracy:.3f}. With 5 categories at most 5 digits can be matched: even a perfect split of 5 digits "
            f"scores only {ceiling5:.3f} on the test set (the share of its 5 most frequent digits)."
        ),
        "many_to_one_best": (
            f"many-to-one: {r5.many_to_one:.3f} (K = 5), {r10.many_to_one:.3f} (K = 10), {r20.many_to_one:.3f} "
            f"(K = 20). With more categories each can be purer, and many-to-one lets every category claim its "
            f"majority digit: splitting is rewarded (one category per image would score 1.0). That is why exercise 6 "
            f"refuses many-to-one matching as a score."
        ),
    }


def compare(predictions: dict[str, Any], runs: dict[int, Run], ceiling5: float) -> dict[str, bool]:
    """Print, for each question, the prediction, what the runs show, and why; return which predictions held."""
    _require(predictions)
    seen, why = outcomes(runs), explanations(runs, ceiling5)
    held = {}
    for q, (question, options) in QUESTIONS.items():
        guess = str(predictions[q]).strip().upper()
        held[q] = guess == seen[q]
        mark = "✓ as you predicted" if held[q] else f"✗ you predicted {guess} ({options.get(guess, '?')})"
        print(f"{question}\n  outcome: {seen[q]} ({options[seen[q]]})  {mark}\n  why: {why[q]}\n")
    print(f"{sum(held.values())} of {len(held)} predictions held.")
    return held
