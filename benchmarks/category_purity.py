"""Where does a run lose accuracy: in G (categories that draw more than one digit) or in Q (misreading real digits)?

    python benchmarks/category_purity.py infogan_edu/checkpoints/mnist_cpu.pt runs/seed4/checkpoint.pt
    python benchmarks/category_purity.py runs/invariance/*/checkpoint.pt --effects --json out.json

Trains a small supervised digit classifier on the MNIST training set (an MLP, 784-512-10, fixed seed). It is the
reference that labels G's samples, and its mistakes count against G, so its own test accuracy is printed. Then, per
checkpoint: Q's test accuracy on real digits, G's category purity (`generated.generated_category_purity`: how often
each value of c1 draws one digit, Hungarian-matched) and how often Q reads c1 back from G's samples. With
`--effects`, also what each continuous code does to the slant and the ink of G's digits (lesson 04's measure,
`generated.continuous_code_effects`: the change from -1 to +1 in units of the property's spread), so that a run that
gains digit categories by losing its slant or width code shows it. `--json` writes every number with the command,
commit, machine and date.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import markdown_table, write_json  # noqa: E402

from infogan_edu.checkpoint import load_file  # noqa: E402
from infogan_edu.data import load_mnist, to_float_images  # noqa: E402
from infogan_edu.generated import (  # noqa: E402
    continuous_code_effects,
    generated_category_purity,
    train_digit_classifier,
)
from infogan_edu.metrics import evaluate  # noqa: E402
from infogan_edu.pretrained import model_from_checkpoint  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoints", nargs="+", help="training checkpoints or exported .pt files")
    p.add_argument("--epochs", type=int, default=4, help="epochs of the reference classifier (default 4)")
    p.add_argument("--per-category", type=int, default=1000, help="G's samples per value of c1 (default 1000)")
    p.add_argument("--train-limit", type=int, default=None, help="train the classifier on the first N images only")
    p.add_argument("--effects", action="store_true", help="also each continuous code's slant and ink effects")
    p.add_argument("--json", type=Path, default=None, help="write every number here")
    args = p.parse_args(argv)
    x, y = load_mnist("train")
    x_test, y_test = load_mnist("test")
    if args.train_limit is not None:
        x, y = x[: args.train_limit], y[: args.train_limit]
    reference = train_digit_classifier(x, y, args.epochs)
    with torch.no_grad():
        ref_acc = float((reference(to_float_images(x_test)).argmax(1).numpy() == y_test).mean())
    print(f"reference classifier (MLP, {args.epochs} epochs on {len(x)} images): test accuracy {ref_acc:.3f}\n")
    headers = ["checkpoint", "Q on real test digits", "G's category purity", "Q reads c1 from G's samples"]
    headers += ["slant, ink effects per continuous code"] if args.effects else []
    rows, table = [], []
    for path in args.checkpoints:
        model = model_from_checkpoint(load_file(path), path)
        src = generated_category_purity(model, reference, per_category=args.per_category)
        row = {"checkpoint": str(path), "q_accuracy": evaluate(model, x_test, y_test).accuracy,
               "g_purity": src.generator_purity.accuracy, "q_reads_c": src.q_reads_c}  # fmt: skip
        cells = [path, f"{row['q_accuracy']:.3f}", f"{row['g_purity']:.3f}", f"{row['q_reads_c']:.3f}"]
        if args.effects:
            row["effects"] = continuous_code_effects(model.g, model.spec)
            cells.append("; ".join(f"{c}: {e['slant']:+.2f}, {e['ink']:+.2f}" for c, e in row["effects"].items()))
        rows.append(row)
        table.append(cells)
        print(f"{path}: " + ", ".join(cells[1:]), file=sys.stderr, flush=True)  # progress; the table comes at the end
    print(markdown_table(table, headers))
    if args.json:
        payload = {"reference_accuracy": ref_acc, "reference_epochs": args.epochs, "runs": rows}
        write_json(args.json, payload, "benchmarks/category_purity.py", argv)


if __name__ == "__main__":
    main()
