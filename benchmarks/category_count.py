"""Exercise 9's experiment: the `cpu` preset on MNIST with K = 5, 10 or 20 values of the categorical code c1.

    OMP_NUM_THREADS=1 python benchmarks/category_count.py --ks 10 --steps 2000 \
        --json infogan_edu/results/category-count-cpu-k10.json

(the same with --ks 5 and --ks 20: one process and one JSON per K, as the shipped results were made; exercise 09
reads them from infogan_edu/results/, see benchmarks/results/category-count.md).

One run per K, everything else the `cpu` preset (seed 0, 1 thread, so each run is deterministic). For each run it
records, on the 10,000 MNIST test images:

- Q's categories against the digit labels: the contingency table N[label, category] (10 x K), the one-to-one
  (Hungarian) accuracy, the many-to-one accuracy (each category takes its majority label) and the NMI;
- L_I of c1 over training (nats; its ceiling is H(c1) = ln K), and the accuracy every 500 steps;
- G's images for each value of c1 under 4 fixed noise vectors, as uint8 (base64), so that a notebook can show what
  each category draws without the model.

The JSON also stores the command, the machine, the date, the torch version and each run's wall time. Exercise 9
(`exercises/ex09_category_count.ipynb`) reads it; `--steps 5` makes a smoke run of the script in seconds.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import json
import math
import shlex
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import markdown_table  # noqa: E402

from infogan_edu import __version__  # noqa: E402
from infogan_edu.config import get_preset, machine_summary  # noqa: E402
from infogan_edu.data import load_mnist  # noqa: E402
from infogan_edu.metrics import contingency, evaluate, predict_categories  # noqa: E402
from infogan_edu.models import evaluating  # noqa: E402
from infogan_edu.train import Trainer  # noqa: E402

N_NOISE = 4  # noise vectors per category in the stored images
HEADERS = ["K", "steps", "ln K", "L_I end", "one-to-one accuracy", "many-to-one accuracy", "NMI", "wall (s)"]


def generated_images(trainer: Trainer, seed: int = 123) -> str:
    """G's images for every value of c1 (rows) under N_NOISE fixed noise vectors (columns), base64 of uint8
    (K, N_NOISE, 28, 28) in 0..255."""
    spec, k = trainer.spec, trainer.spec.categorical[0]
    base = spec.sample(N_NOISE, torch.Generator().manual_seed(seed))  # one latent per column
    rows = []
    with torch.no_grad(), evaluating(trainer.model):
        for value in range(k):
            cat = base.cat.clone()
            cat[:, 0] = value
            latent = type(base)(base.z, cat, torch.zeros_like(base.cont))  # continuous codes at 0
            images = trainer.model.g(spec.to_input(latent))  # (N_NOISE, 1, 28, 28) in [-1, 1]
            rows.append(((images[:, 0] + 1) * 127.5).round().clamp(0, 255).to(torch.uint8))
    array = torch.stack(rows).numpy()  # (K, N_NOISE, 28, 28)
    return base64.b64encode(array.tobytes()).decode("ascii")


def run_one(k: int, steps: int, seed: int, data: tuple) -> dict:
    x, x_test, y_test = data
    config = get_preset("cpu", categorical=(k,), steps=steps, seed=seed, device="cpu")
    trainer = Trainer(config, x, test_images=x_test, test_labels=y_test, progress=False)
    started = time.perf_counter()
    history = trainer.train()
    wall = time.perf_counter() - started
    pred = predict_categories(trainer.model, x_test)
    table = contingency(pred, y_test, k, 10)  # (10 labels, K categories)
    scores = evaluate(trainer.model, x_test, y_test)
    return {
        "k": k,
        "steps": steps,
        "seed": seed,
        "wall_s": round(wall, 1),
        "h_c1_nats": math.log(k),
        "li_cat_end": history.li_cat[-1],
        "li_step": history.step,
        "li_cat": history.li_cat,
        "eval_step": history.eval_step,
        "accuracy_curve": history.accuracy,
        "accuracy": scores.accuracy,
        "many_to_one_accuracy": float(table.max(axis=0).sum() / table.sum()),
        "nmi": scores.nmi,
        "contingency": table.tolist(),
        "images_shape": [k, N_NOISE, 28, 28],
        "images_uint8_b64": generated_images(trainer),
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ks", type=int, nargs="+", default=[5, 10, 20], help="values of K to train (default 5 10 20)")
    p.add_argument("--steps", type=int, default=2500, help="training steps per run (default 2500)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1: deterministic runs)")
    p.add_argument("--json", type=Path, default=None, help="write the results here")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    x, _ = load_mnist("train")
    x_test, y_test = load_mnist("test")
    out = {
        "command": "python benchmarks/category_count.py " + shlex.join(sys.argv[1:] if argv is None else argv),
        "machine": machine_summary(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "torch": torch.__version__,
        "infogan_edu": __version__,
        "preset": "cpu",
        "runs": [],
    }
    print(f"{out['machine']}; torch {out['torch']}", flush=True)
    table = []
    for k in args.ks:
        row = run_one(k, args.steps, args.seed, (x, x_test, y_test))
        out["runs"].append(row)
        table.append(
            [
                k,
                row["steps"],
                f"{row['h_c1_nats']:.3f}",
                f"{row['li_cat_end']:.3f}",
                f"{row['accuracy']:.3f}",
                f"{row['many_to_one_accuracy']:.3f}",
                f"{row['nmi']:.3f}",
                row["wall_s"],
            ]
        )
        print(f"K = {k} done: " + ", ".join(map(str, table[-1])), file=sys.stderr, flush=True)  # the table: at the end
        if args.json is not None:  # written after every run, so a stopped study keeps what it finished
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(out, indent=1) + "\n")
    print(markdown_table(table, HEADERS))


if __name__ == "__main__":
    main()
