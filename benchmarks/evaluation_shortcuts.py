"""How much each evaluation shortcut moves a reported accuracy, on every run of a seed study (every seed listed).

    OMP_NUM_THREADS=1 python benchmarks/evaluation_shortcuts.py \
        --study infogan_edu/results/invariance-study-plain.json --runs runs/plain \
        --json benchmarks/results/evaluation-shortcuts-cpu.json

For every run of the study (its raw JSON from `benchmarks/seed_study.py`: the run's category of each test image,
and its accuracy at each evaluation during training), the test accuracy of c1 as this course reports it (one-to-one
Hungarian matching, the 10,000 test images, the last step), and the same number with one shortcut at a time:

- majority vote: each category takes its most frequent digit, so that two categories may both count as one digit;
- training images: the 60,000 images the run was trained on instead of the test set (needs the checkpoints under
  --runs; skipped for runs whose checkpoint is missing);
- best step: the best of the accuracies measured during training (every `eval_every` steps) instead of the last.

Then, over the runs: the median, the best seed chosen by labels, and the seed the label-free rule (agreement, as
recorded in the study) picks. Labels are used to score only.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import markdown_table, write_json  # noqa: E402

from infogan_edu.checkpoint import load_file  # noqa: E402
from infogan_edu.data import load_dataset  # noqa: E402
from infogan_edu.metrics import contingency, hungarian_accuracy, predict_categories  # noqa: E402
from infogan_edu.pretrained import model_from_checkpoint  # noqa: E402
from infogan_edu.selection import DEFAULT_RULE  # noqa: E402

DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"  # the study's one character per category


def majority_vote_accuracy(pred: np.ndarray, labels: np.ndarray) -> float:
    """Accuracy when every category is read as its most frequent label (many categories may share one label)."""
    table = contingency(pred, labels, int(pred.max()) + 1, int(labels.max()) + 1)  # (labels, categories)
    return float(table.max(axis=0).sum() / len(labels))  # each category's most frequent label


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--study", type=Path, required=True, help="a seed study's raw JSON (benchmarks/seed_study.py)")
    p.add_argument("--runs", type=Path, default=None, help="its runs' folder, for the training-image scores")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    study = json.loads(args.study.read_text())
    _, y_test = load_dataset("mnist", "test")
    y_test = np.asarray(y_test, dtype=np.int64)
    x_train, y_train = load_dataset("mnist", "train") if args.runs else (None, None)
    rows = []
    for run in sorted(study["runs"], key=lambda r: r["seed"]):
        pred = np.array([DIGITS.index(ch) for ch in run["partition"]], dtype=np.int64)  # (10,000,)
        hungarian, _ = hungarian_accuracy(pred, y_test[: len(pred)])
        row = {
            "seed": run["seed"],
            "reported": round(hungarian, 4),
            "majority_vote": round(majority_vote_accuracy(pred, y_test[: len(pred)]), 4),
            "best_step": round(max(a for _, a in run["acc_curve"]), 4) if run["acc_curve"] else None,
            "last_step": round(run["acc_curve"][-1][1], 4) if run["acc_curve"] else None,
            DEFAULT_RULE: run[DEFAULT_RULE],
        }
        ckpt = args.runs / run["run"] / "checkpoint.pt" if args.runs else None
        if ckpt is not None and ckpt.exists():
            model = model_from_checkpoint(load_file(ckpt), ckpt)
            train_pred = predict_categories(model, x_train)
            row["training_images"] = round(hungarian_accuracy(train_pred, np.asarray(y_train, dtype=np.int64))[0], 4)
        rows.append(row)
    reported = [r["reported"] for r in rows]
    picked = max(rows, key=lambda r: r[DEFAULT_RULE])
    summary = {
        "runs": len(rows),
        "median": round(statistics.median(reported), 4),
        "best_by_labels": max(reported),
        "label_free_pick": picked["reported"],
        "label_free_pick_seed": picked["seed"],
        "median_majority_vote": round(statistics.median(r["majority_vote"] for r in rows), 4),
        "median_best_step": round(statistics.median(r["best_step"] for r in rows if r["best_step"] is not None), 4),
    }
    if all("training_images" in r for r in rows):
        summary["median_training_images"] = round(statistics.median(r["training_images"] for r in rows), 4)
    cols = ["seed", "reported", "majority_vote", "training_images", "best_step", DEFAULT_RULE]
    print(markdown_table(rows, cols))
    print("\n" + markdown_table(list(summary.items()), ["summary", "accuracy"]))
    if args.json:
        write_json(
            args.json,
            {"study": str(args.study), "runs": rows, "summary": summary},
            "benchmarks/evaluation_shortcuts.py",
            argv,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
