"""What each bug that public InfoGAN code shipped does to training: the correct step and each planted bug
(`infogan_edu.bugs`), on the same seeds, the same batches and, where the bug allows, the same latent codes.

    OMP_NUM_THREADS=1 python benchmarks/wild_bugs.py --bug none softmax-twice no-zero-grad --seeds 0 1 2 \\
        --steps 3600 --json benchmarks/results/wild-bugs.json --resume

For every (bug, seed) run: the test accuracy of c1 (Hungarian matching) and its NMI every 500 steps, the L_I(cat)
and L_I(cont) curves, D(x) and D(G(z)), and the bug's own symptom (`bugs.symptoms`: e.g. softmax-twice's ceiling
on L_I(cat) and the highest value reached). The `cpu` preset (width 0.25 unless --width), one run after another:
about 9 CPU minutes per run at 3,600 steps on one thread. With --json the raw numbers are written after every run,
so an interrupted study keeps what it finished, and --resume skips the runs already in that file (same bug, seed,
steps, width and training-set size). --train-size and --test-size take the first N images of MNIST's splits, for a
quick try; the study uses all of them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import markdown_table, write_json  # noqa: E402

from infogan_edu.bugs import BUGS, make_trainer, symptoms  # noqa: E402
from infogan_edu.config import get_preset  # noqa: E402
from infogan_edu.data import load_mnist  # noqa: E402

SCRIPT = "benchmarks/wild_bugs.py"
KEY = ("bug", "seed", "steps", "width", "train_size")  # what makes two runs the same run


def key(run: dict) -> tuple:
    return tuple(run[k] for k in KEY)


def earlier_runs(path: Path | None, resume: bool) -> list[dict]:
    """The runs already in `path` when resuming (none otherwise); an unreadable file is one clear error."""
    if not resume or path is None or not path.exists():
        return []
    try:
        return list(json.loads(path.read_text())["runs"])
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        raise SystemExit(
            f"--resume: {path} is not a wild_bugs.py result ({e}); move it away or drop --resume"
        ) from None


def one_run(bug: str, seed: int, args: argparse.Namespace, data: tuple) -> dict:
    """Train `bug` on `seed` and return its record."""
    x_train, x_test, y_test = data
    cfg = get_preset("cpu", seed=seed, steps=args.steps, width=args.width, eval_every=500)
    trainer = make_trainer(bug, cfg, x_train, x_test, y_test)
    start = time.perf_counter()
    h = trainer.train()
    return {
        "bug": bug,
        "seed": seed,
        "steps": args.steps,
        "width": args.width,
        "train_size": len(x_train),
        "test_size": len(x_test),
        "wall_s": round(time.perf_counter() - start, 1),
        "eval_steps": list(h.eval_step),
        "test_accuracy": [round(a, 4) for a in h.accuracy],
        "nmi": [round(a, 4) for a in h.nmi],
        "log_steps": list(h.step),
        **{name: [round(v, 4) for v in getattr(h, name)] for name in ("li_cat", "li_cont", "d_real", "d_fake")},
        **{name: [round(v, 4) for v in getattr(h, name)] for name in ("loss_d", "loss_g")},
        "symptom": symptoms(trainer),
    }


def row(run: dict) -> list[str]:
    """One table row: the accuracy curve, the ends of the other curves, the symptom."""
    symptom = ", ".join(f"{k} {v:g}" for k, v in run["symptom"].items())
    return [
        run["bug"],
        str(run["seed"]),
        ", ".join(f"{a:.3f}" for a in run["test_accuracy"]),
        f"{run['nmi'][-1]:.3f}" if run["nmi"] else "",
        f"{run['li_cat'][-1]:.3f}",
        f"{run['li_cont'][-1]:.3f}",
        f"{run['d_real'][-1]:.2f} / {run['d_fake'][-1]:.2f}",
        symptom,
    ]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bug", nargs="+", default=list(BUGS), metavar="NAME", help=f"default all: {', '.join(BUGS)}")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--steps", type=int, default=3600)
    p.add_argument("--width", type=float, default=get_preset("cpu").width)
    p.add_argument("--train-size", type=int, default=None, help="the first N training images (default all)")
    p.add_argument("--test-size", type=int, default=None, help="the first N test images (default all)")
    p.add_argument("--json", type=Path, default=None, help="write the raw numbers here, after every run")
    p.add_argument("--resume", action="store_true", help="skip the runs already in --json")
    args = p.parse_args(argv)
    unknown = [b for b in args.bug if b not in BUGS]
    if unknown:  # before the data: a wrong name fails at once
        raise SystemExit(f"unknown bug(s) {', '.join(unknown)}; choose from: {', '.join(BUGS)}")
    if any(n is not None and n < 1 for n in (args.train_size, args.test_size)) or args.steps < 1:
        raise SystemExit("--steps, --train-size and --test-size must be positive")
    x_train, _ = load_mnist("train")
    x_test, y_test = load_mnist("test")
    data = (x_train[: args.train_size], x_test[: args.test_size], y_test[: args.test_size])
    runs = earlier_runs(args.json, args.resume)
    done = {key(r) for r in runs}
    for bug in args.bug:
        for seed in args.seeds:
            wanted = (bug, seed, args.steps, args.width, len(data[0]))
            if wanted in done:
                print(f"{bug}, seed {seed}: already in {args.json}, skipped", file=sys.stderr, flush=True)
                continue
            runs.append(one_run(bug, seed, args, data))
            done.add(wanted)
            print(f"{bug}, seed {seed}: {', '.join(row(runs[-1])[2:5])}", file=sys.stderr, flush=True)  # progress
            if args.json is not None:  # after every run: an interrupted study keeps what it finished
                write_json(args.json, {"runs": runs}, SCRIPT, argv)
    mine = [r for r in runs if key(r)[2:] == (args.steps, args.width, len(data[0])) and r["bug"] in args.bug]
    headers = ["bug", "seed", "test accuracy every 500 steps", "NMI end", "L_I(cat) end", "L_I(cont) end"]
    print(markdown_table([row(r) for r in mine], [*headers, "D(x) / D(G(z)) end", "symptom"]))


if __name__ == "__main__":
    main()
