"""Reproduce the paper's MNIST numbers: test accuracy of c1, NMI, and L_I over training, for several seeds,
plus the lambda = 0 control (Q is trained, G gets no L_I gradient: the paper's "GAN" curve in Figure 1).

    python benchmarks/reproduce_mnist.py --preset cpu --seeds 0 1 2 --control-seeds 0
    python benchmarks/reproduce_mnist.py --preset paper --seeds 0 1 2 3 4 --control-seeds 0   # on a GPU
    python benchmarks/reproduce_mnist.py --preset paper --jobs 6 --set compile=false         # runs side by side

`--jobs N` runs N trainings at once (one GPU has room for several small ones; their wall times then overlap and
are not speed figures: benchmarks/gpu_speed.py measures speed, alone). `--set FIELD=VALUE` passes a TrainConfig
override to every run, and the table says which fast-path switches each run used.

Each run is `python -m infogan_edu train ...` (the CLI), so every checkpoint it leaves in --out can be
evaluated or exported with the CLI. Prints a Markdown table (every seed, not only the best) and the median
accuracy. The paper reports 5% test error on MNIST (Sec. 7.2, Fig. 2a), with no seed count.

The whole label-free procedure, as one command:

    python benchmarks/reproduce_mnist.py --preset paper --select 8 --groups 5      # on a GPU: 40 seeds
    python benchmarks/reproduce_mnist.py --preset cpu --select 2 --groups 2 --steps 50 --set width=0.125  # a check

`--select K` trains K seeds at once (`train --seeds`, one vectorised run) in each of `--groups` disjoint groups
(seeds 0..K-1, K..2K-1, ...), picks one per group with `--rule` (default `selection.DEFAULT_RULE`) from the models
and the unlabelled test images, and prints every seed, each pick, and the median accuracy of the picks. Labels only
score the picks.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import markdown_table  # noqa: E402

from infogan_edu.checkpoint import load_file  # noqa: E402
from infogan_edu.config import machine_summary  # noqa: E402
from infogan_edu.history import History  # noqa: E402


def run(
    preset: str,
    seed: int,
    steps: int | None,
    control: bool,
    out_root: Path,
    sets: tuple[str, ...] | list[str] = (),
    timeout: float | None = None,
) -> dict:
    """One training run through the project's own CLI; its checkpoint stays in `out_root` (it can be exported).

    A run that fails or passes `timeout` seconds gives a row with its `error` and the rest of the table goes on."""
    out = out_root / f"{preset}{'-lambda0' if control else ''}-s{seed}"
    cmd = [sys.executable, "-m", "infogan_edu", "train", "--preset", preset, "--seed", str(seed), "--out", str(out)]
    cmd += ["--no-progress"] + (["--steps", str(steps)] if steps else []) + (["--lambda0-control"] if control else [])
    cmd += [a for item in sets for a in ("--set", item)]
    try:
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=timeout)
        error = proc.stderr.strip().splitlines()[-1] if proc.returncode else ""
    except subprocess.TimeoutExpired:
        error = f"timed out after {timeout:.0f} s"
    if error:
        return {
            "preset": preset,
            "seed": seed,
            "control": control,
            "error": error,
            "command": " ".join(["python", "-m", *cmd[2:]]),
        }
    summary = json.loads((out / "summary.json").read_text())
    history = History.from_dict(load_file(out / "checkpoint.pt")["history"])
    return {
        "preset": preset,
        "seed": seed,
        "control": control,
        "steps": summary["steps"],
        "wall_s": summary["train_seconds"],
        "device": summary["device"],
        "fast_path": ",".join(k for k, on in summary.get("fast_path", {}).items() if on) or "none",
        "accuracy": round(summary["test_accuracy"], 4),
        "nmi": round(summary["nmi"], 4),
        "li_500": round(history.li_at(500), 3),
        "li_1000": round(history.li_at(1000), 3),
        "li_end": round(history.li_cat[-1], 3),
        "acc_curve": list(zip(history.eval_step, [round(a, 4) for a in history.accuracy], strict=True)),
        "command": " ".join(["python", "-m", *cmd[2:]]),
    }


def table(rows: list[dict]) -> str:
    headers = [
        "run",
        "seed",
        "steps",
        "wall (s)",
        "device",
        "fast path",
        "test accuracy",
        "NMI",
        "L_I @500",
        "L_I @1000",
        "L_I end",
    ]
    lines = []
    for r in rows:
        name = "lambda = 0 control" if r["control"] else r["preset"]
        if "error" in r:
            lines.append([name, r["seed"], f"failed: {r['error']}", *[""] * 8])
            continue
        lines.append(
            [
                name,
                r["seed"],
                r["steps"],
                r["wall_s"],
                r["device"],
                r["fast_path"],
                f"{r['accuracy']:.3f}",
                f"{r['nmi']:.3f}",
                f"{r['li_500']:.3f}",
                f"{r['li_1000']:.3f}",
                f"{r['li_end']:.3f}",
            ]
        )
    return markdown_table(lines, headers)


def select(args: argparse.Namespace) -> None:
    """`--select K`: train K seeds per group at once, pick one per group without labels, score the picks."""
    from infogan_edu.data import load_dataset
    from infogan_edu.metrics import evaluate
    from infogan_edu.pretrained import model_from_checkpoint
    from infogan_edu.selection import CRITERIA, label_free_scores, pick

    k = args.select
    if k < 2:
        raise SystemExit("--select K needs K >= 2: a rule can only choose among two or more seeds")
    groups = [list(range(g * k, (g + 1) * k)) for g in range(args.groups)]
    outs = [args.out / f"{args.preset}-k{k}-g{g}" for g in range(args.groups)]
    for out in outs:
        if out.exists():
            raise SystemExit(f"{out} already holds a run; remove it or choose another --out")

    def train(job: tuple[list[int], Path]) -> str:
        seeds, out = job
        cmd = [sys.executable, "-m", "infogan_edu", "train", "--preset", args.preset, "--out", str(out)]
        cmd += ["--seeds", f"{seeds[0]}-{seeds[-1]}", "--no-progress"] + (
            ["--steps", str(args.steps)] if args.steps else []
        )
        cmd += [a for item in args.set for a in ("--set", item)]
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        return proc.stderr.strip().splitlines()[-1] if proc.returncode else ""

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        errors = list(pool.map(train, zip(groups, outs, strict=True)))
    wall = time.perf_counter() - t0
    x_test, y_test = load_dataset("mnist", "test")
    print(
        f"\n{args.preset} preset, {args.groups} groups of {k} seeds, rule {args.rule}; {machine_summary()}; "
        f"torch {torch.__version__}; {time.strftime('%Y-%m-%d')}; all training {wall:.0f} s\n"
    )
    headers = ["group", "seed", "test accuracy", "NMI", "final L_I", *CRITERIA, "picked"]
    picks, rows, lines = [], [], []
    for g, (seeds, out, error) in enumerate(zip(groups, outs, errors, strict=True)):
        if error:
            lines.append([g, f"{seeds[0]}-{seeds[-1]}", f"failed: {error}", *[""] * (3 + len(CRITERIA))])
            continue
        ckpts = [load_file(out / f"seed-{s}" / "checkpoint.pt") for s in seeds]
        models = [model_from_checkpoint(c) for c in ckpts]
        scores = label_free_scores(models, x_test)  # the test images without their labels
        chosen = pick(scores, args.rule)
        accs = []
        for i, (s, c, m) in enumerate(zip(seeds, ckpts, models, strict=True)):
            cs = evaluate(m, x_test, y_test)  # labels: scoring only
            accs.append(cs.accuracy)
            rows.append(
                {
                    "group": g,
                    "seed": s,
                    "accuracy": cs.accuracy,
                    "nmi": cs.nmi,
                    "picked": i == chosen,
                    **{name: float(scores[name][i]) for name in CRITERIA},
                }
            )
            lines.append(
                [
                    g,
                    s,
                    f"{cs.accuracy:.4f}",
                    f"{cs.nmi:.4f}",
                    f"{c['history']['li_cat'][-1]:.3f}",
                    *(f"{scores[name][i]:.4f}" for name in CRITERIA),
                    "**picked**" if i == chosen else "",
                ]
            )
        picks.append((g, seeds[chosen], accs[chosen], max(accs), statistics.median(accs)))
    print(markdown_table(lines, headers))
    best = [(g, s, f"{a:.4f}", f"{best:.4f}", f"{med:.4f}") for g, s, a, best, med in picks]
    print("\n" + markdown_table(best, ["group", "picked seed", "its accuracy", "group best", "group median"]))
    if picks:
        print(
            f"\nmedian accuracy of the {len(picks)} picks: {statistics.median(p[2] for p in picks):.4f}; "
            f"median of every seed: {statistics.median(r['accuracy'] for r in rows):.4f}"
        )
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "picks": picks, "train_seconds": wall}, indent=2) + "\n")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--preset", default="cpu", choices=["cpu", "paper"])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--control-seeds", type=int, nargs="*", default=[0], help="seeds of the lambda = 0 control")
    p.add_argument("--steps", type=int, default=None, help="override the preset's step count")
    p.add_argument("--out", type=Path, default=Path("runs/reproduce"), help="where each run's folder goes")
    p.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    p.add_argument("--jobs", type=int, default=1, help="runs at once (default 1: one after another)")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="TrainConfig override, every run")
    p.add_argument("--run-timeout", type=float, default=None, help="seconds before a run is stopped and reported")
    p.add_argument(
        "--select", type=int, default=None, metavar="K", help="train K seeds per group, pick one without labels"
    )
    p.add_argument("--groups", type=int, default=5, help="disjoint seed groups for --select")
    p.add_argument("--rule", default=None, help="the label-free criterion for --select (default: the library's)")
    args = p.parse_args(argv)
    if args.select is not None:
        from infogan_edu.selection import CRITERIA, DEFAULT_RULE

        args.rule = args.rule or DEFAULT_RULE
        if args.rule not in CRITERIA:
            raise SystemExit(f"--rule must be one of {', '.join(CRITERIA)}, got {args.rule!r}")
        select(args)
        return

    for run_dir in [args.out / f"{args.preset}-s{s}" for s in args.seeds] + [
        args.out / f"{args.preset}-lambda0-s{s}" for s in args.control_seeds
    ]:
        if (run_dir / "checkpoint.pt").exists():
            raise SystemExit(f"{run_dir} already holds a run; remove it or choose another --out")
    todo = [(s, False) for s in args.seeds] + [(s, True) for s in args.control_seeds]

    def one(job: tuple[int, bool]) -> dict:
        row = run(args.preset, job[0], args.steps, job[1], args.out, args.set, args.run_timeout)
        print(json.dumps(row), flush=True)
        return row

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        rows = list(pool.map(one, todo))

    machine = machine_summary()
    print(f"\n{args.preset} preset on {machine}, torch {torch.__version__}, {time.strftime('%Y-%m-%d')}\n")
    print(table(rows))
    accs = [r["accuracy"] for r in rows if not r["control"] and "error" not in r]
    if accs:
        print(
            f"\nmedian test accuracy over {len(accs)} seeds: {statistics.median(accs):.3f} "
            f"(min {min(accs):.3f}, max {max(accs):.3f})"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
