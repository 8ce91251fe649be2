"""Where does a run lose accuracy: in G (categories that draw more than one digit) or in Q (misreading real digits)?

    python benchmarks/category_purity.py infogan_edu/checkpoints/mnist_cpu.pt runs/seed4/checkpoint.pt

Trains a small supervised digit classifier on the MNIST training set (an MLP, 784-512-10, fixed seed). It is the
reference that labels G's samples, and its mistakes count against G, so its own test accuracy is printed. Then, per
checkpoint: Q's test accuracy on real digits, G's category purity (`metrics.generated_category_purity`: how often
each value of c1 draws one digit, Hungarian-matched) and how often Q reads c1 back from G's samples.
"""

from __future__ import annotations

import argparse

import torch

from infogan_edu.checkpoint import load_file
from infogan_edu.data import load_mnist, to_float_images
from infogan_edu.metrics import evaluate, generated_category_purity, train_digit_classifier
from infogan_edu.pretrained import model_from_checkpoint


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoints", nargs="+", help="training checkpoints or exported .pt files")
    p.add_argument("--epochs", type=int, default=4, help="epochs of the reference classifier (default 4)")
    p.add_argument("--per-category", type=int, default=1000, help="G's samples per value of c1 (default 1000)")
    p.add_argument("--train-limit", type=int, default=None, help="train the classifier on the first N images only")
    args = p.parse_args(argv)
    x, y = load_mnist("train")
    x_test, y_test = load_mnist("test")
    if args.train_limit is not None:
        x, y = x[: args.train_limit], y[: args.train_limit]
    reference = train_digit_classifier(x, y, args.epochs)
    with torch.no_grad():
        ref_acc = float((reference(to_float_images(x_test)).argmax(1).numpy() == y_test).mean())
    print(f"reference classifier (MLP, {args.epochs} epochs on {len(x)} images): test accuracy {ref_acc:.3f}\n")
    print("| checkpoint | Q on real test digits | G's category purity | Q reads c1 from G's samples |")
    print("|---|---|---|---|")
    for path in args.checkpoints:
        model = model_from_checkpoint(load_file(path), path)
        src = generated_category_purity(model, reference, per_category=args.per_category)
        q_real = evaluate(model, x_test, y_test).accuracy
        print(f"| {path} | {q_real:.3f} | {src.generator_purity.accuracy:.3f} | {src.q_reads_c:.3f} |", flush=True)


if __name__ == "__main__":
    main()
