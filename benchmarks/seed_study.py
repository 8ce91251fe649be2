"""The seed study: many runs of one preset, every seed reported, and how well label-free criteria choose.

    python benchmarks/seed_study.py --train 0-15 --jobs 2 --runs runs/seed-study          # CPU: train, then report
    python benchmarks/seed_study.py --runs runs/seed-study --json infogan_edu/results/seed-study-cpu.json
    python benchmarks/seed_study.py --train 0-15 --set lambda_invariance=1 --runs runs/invariance   # an option on

`--set FIELD=VALUE` (repeatable) passes a TrainConfig override to every run it trains, as the CLI's `--set` does;
keep one folder of runs per setting.

`--train SEEDS` trains the runs that are missing under --runs with the CLI (`python -m infogan_edu train --preset
cpu --seed S --out RUNS/cpu-sS`), `--jobs` at a time, each with `--threads` threads (a run's numbers depend on its
thread count, so the study fixes it). Runs already there are reused. Then, for every run:

- labels, only to score: test accuracy of c1 (Hungarian matching) and NMI with the digits;
- from the training history: the final L_I of c1 (nats; ln 10 = 2.303) and the test accuracy at each evaluation
  (in the JSON: `acc_curve`, [step, accuracy] pairs);
- with no labels: every criterion of `infogan_edu.selection` on the test images, their labels withheld.

It prints three Markdown tables: every run; the Spearman correlation of each criterion with accuracy; and, over
every group of K runs (all C(R, K) groups), the accuracy of each criterion's pick against the group's best and
median. Agreement is recomputed inside each group, as a user who trained only those K runs would.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import git_commit, markdown_table  # noqa: E402

from infogan_edu.checkpoint import load_file  # noqa: E402
from infogan_edu.config import machine_summary  # noqa: E402
from infogan_edu.data import load_dataset  # noqa: E402
from infogan_edu.metrics import evaluate  # noqa: E402
from infogan_edu.multiseed import parse_seeds  # noqa: E402
from infogan_edu.pretrained import model_from_checkpoint  # noqa: E402
from infogan_edu.selection import CRITERIA, DEFAULT_RULE, label_free_scores, pick  # noqa: E402


def train_missing(
    runs: Path,
    preset: str,
    seeds: list[int],
    jobs: int,
    threads: int,
    steps: int | None,
    overrides: list[str] | None = None,
) -> None:
    """Train each seed whose RUNS/<preset>-s<seed>/summary.json is missing, through the CLI (`overrides`: its
    `--set FIELD=VALUE` items)."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}

    def one(seed: int) -> None:
        out = runs / f"{preset}-s{seed}"
        if (out / "summary.json").exists():
            return
        cmd = [sys.executable, "-m", "infogan_edu", "train", "--preset", preset, "--seed", str(seed), "--out", str(out)]
        cmd += ["--no-progress"] + (["--steps", str(steps)] if steps else [])
        cmd += [arg for item in overrides or [] for arg in ("--set", item)]
        cmd += ["--resume"] if (out / "checkpoint.pt").exists() else []
        proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if proc.returncode:
            raise SystemExit(f"seed {seed} failed: {proc.stderr.strip().splitlines()[-1]}")
        print(f"trained {out}", file=sys.stderr)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(one, seeds))


def group_table(acc: np.ndarray, scores: dict, k: int) -> list[dict]:
    """For every group of k runs: each criterion's pick against the group's best and median accuracy."""
    groups = list(itertools.combinations(range(len(acc)), k))
    rows = []
    for criterion in CRITERIA:
        picked, best, median, near = [], [], [], []
        for g in groups:
            a = acc[list(g)]
            p = acc[pick(scores, criterion, members=g)]
            picked.append(p)
            best.append(a.max())
            median.append(float(np.median(a)))
            near.append(a.max() - p <= 0.02)
        rows.append(
            {
                "k": k,
                "criterion": criterion,
                "groups": len(groups),
                "pick_median": float(np.median(picked)),
                "pick_mean": float(np.mean(picked)),
                "within_0.02_of_best": float(np.mean(near)),
                "best_mean": float(np.mean(best)),
                "median_mean": float(np.mean(median)),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=Path, required=True, help="folder of runs (any */checkpoint.pt below it)")
    p.add_argument("--train", default=None, help="seeds to train first if missing, e.g. 0-15")
    p.add_argument("--preset", default="cpu")
    p.add_argument("--steps", type=int, default=None, help="training steps (default: the preset's)")
    p.add_argument("--jobs", type=int, default=2, help="runs trained at once")
    p.add_argument("--threads", type=int, default=1, help="threads per run")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="a TrainConfig override for the runs it trains (repeatable)",
    )
    p.add_argument("--groups", type=int, nargs="+", default=[4, 8], help="group sizes K")
    p.add_argument("--images", type=int, default=10000, help="unlabelled test images the criteria read")
    p.add_argument("--json", type=Path, default=None, help="write every number here")
    p.add_argument("--train-only", action="store_true", help="train what is missing, then stop without scoring")
    args = p.parse_args(argv)
    if args.train:
        train_missing(
            args.runs, args.preset, parse_seeds(args.train), args.jobs, args.threads, args.steps, args.overrides
        )
    if args.train_only:
        return 0
    paths = sorted(args.runs.glob("*/checkpoint.pt"))
    finished = [path for path in paths if (path.parent / "summary.json").exists()]  # the CLI writes it at the end
    if len(finished) < len(paths):
        print(f"left out {len(paths) - len(finished)} unfinished run(s) (no summary.json yet)", file=sys.stderr)
    loaded = [(path, load_file(path)) for path in finished]  # each file read once
    loaded.sort(key=lambda pc: (pc[1]["config"]["seed"], str(pc[0])))
    if len(loaded) < 2:
        raise SystemExit(f"need at least two runs under {args.runs}; found {len(loaded)} (train some with --train)")
    datasets = sorted({ckpt["config"].get("dataset", "mnist") for _, ckpt in loaded})
    if len(datasets) > 1:
        raise SystemExit(
            f"the runs under {args.runs} were trained on different data ({', '.join(datasets)}): keep one "
            "folder of runs per data set"
        )
    dataset = datasets[0]
    x_test, y_test = load_dataset(dataset, "test")
    x_test, y_test = x_test[: args.images], y_test[: args.images]
    runs, models = [], []
    for path, ckpt in loaded:
        model = model_from_checkpoint(ckpt, path)
        scores = evaluate(model, x_test, y_test)  # labels: scoring only
        hist = ckpt["history"]
        summary = path.parent / "summary.json"
        recorded = json.loads(summary.read_text()) if summary.exists() else {}
        trained_on = recorded.get("machine", "")
        runs.append(
            {
                "run": path.parent.name,
                "seed": ckpt["config"]["seed"],
                "steps": ckpt["step"],
                "train_seconds": round(float(ckpt.get("train_seconds", 0.0)), 1),
                "accuracy": round(scores.accuracy, 4),
                "nmi": round(scores.nmi, 4),
                "li_cat_final": round(hist["li_cat"][-1], 4),
                "acc_curve": [[s, round(a, 4)] for s, a in zip(hist["eval_step"], hist["accuracy"], strict=True)],
                "trained_on": trained_on,
                "overrides": recorded.get("overrides", {}),
            }
        )
        models.append(model)
    free = label_free_scores(models, x_test)  # no labels
    for i, r in enumerate(runs):
        r.update({c: round(float(free[c][i]), 4) for c in CRITERIA})
        # the run's category of every test image, one character each: enough to recompute agreement with runs
        # scored later, when this run's checkpoint is no longer at hand
        r["partition"] = "".join("0123456789abcdefghijklmnopqrstuvwxyz"[k] for k in free["partitions"][i])
    acc = np.array([r["accuracy"] for r in runs])
    rho = {c: float(spearmanr(free[c], acc).statistic) for c in CRITERIA}
    groups = [row for k in args.groups if k < len(runs) for row in group_table(acc, free, k)]

    cols = ["run", "seed", "steps", "train_seconds", "accuracy", "nmi", "li_cat_final", *CRITERIA]
    machines = sorted({r["trained_on"] for r in runs if r["trained_on"]}) or ["not recorded"]
    when = time.strftime("%Y-%m-%d")
    print(f"## Every run ({len(runs)} runs on {dataset}, trained on {', '.join(machines)}; scored {when})\n")
    print(markdown_table(runs, cols))
    print(f"\nmedian accuracy {statistics.median(acc):.4f}, min {acc.min():.4f}, max {acc.max():.4f}")
    print("\n## Spearman rho of each criterion with test accuracy\n")
    named = {c: c + (" (the default rule)" if c == DEFAULT_RULE else "") for c in CRITERIA}
    print(markdown_table([[named[c], f"{rho[c]:.3f}"] for c in CRITERIA], ["criterion", "rho"]))
    print("\n## Picks in every group of K runs\n")
    gcols = ["k", "criterion", "groups", "pick_median", "pick_mean", "within_0.02_of_best", "best_mean", "median_mean"]
    picks = [[f"{row[c]:.3f}" if isinstance(row[c], float) else row[c] for c in gcols] for row in groups]
    print(markdown_table(picks, gcols))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": machine_summary(),
                    "commit": git_commit(),
                    "date": time.strftime("%Y-%m-%d"),
                    "command": "python benchmarks/seed_study.py "
                    + " ".join(argv if argv is not None else sys.argv[1:]),
                    "dataset": dataset,
                    "runs": runs,
                    "spearman": rho,
                    "groups": groups,
                    "nmi_matrix": np.round(free["nmi"], 4).tolist(),
                },
                indent=1,
            )
            + "\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
