"""The invariance study's tables, printed from its raw JSON (nothing is recomputed): every seed of every arm, the
label-free pick, G's side and the continuous codes, and the cost per step.

    python benchmarks/invariance_report.py > benchmarks/results/invariance-report.txt

It reads what `bash benchmarks/invariance_study.sh score` wrote to infogan_edu/results/ and, when present,
benchmarks/results/invariance-cost-cpu.json (`benchmarks/invariance_cost.py`).
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import markdown_table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "infogan_edu" / "results"
ARMS = {  # arm (folder of runs) -> its raw JSON
    "plain": "invariance-study-plain",
    "invariance": "invariance-study",
    "invariance-shift": "invariance-study-shift",
    "invariance-shift-rotate": "invariance-study-shift-rotate",
}
LABELS = {
    "plain": "without the term",
    "invariance": "with the term",
    "invariance-shift": "shifts only",
    "invariance-shift-rotate": "shifts and rotations",
}


def clean(effects: dict, moves: str, still: str) -> bool:
    """A code that moves `moves` by more than one spread and `still` by less than half of one."""
    return any(abs(e[moves]) > 1.0 and abs(e[still]) < 0.5 for e in effects.values())


def main() -> None:
    arms = {
        a: json.loads((SHIPPED / f"{n}.json").read_text()) for a, n in ARMS.items() if (SHIPPED / f"{n}.json").exists()
    }
    acc = {a: {r["seed"]: r["accuracy"] for r in d["runs"]} for a, d in arms.items()}
    seeds = sorted(set().union(*acc.values()))
    print("## Every seed: test accuracy of c1 (Hungarian, 10,000 test images)\n")
    print(
        markdown_table(
            [[s, *(f"{acc[a][s]:.3f}" if s in acc[a] else "" for a in arms)] for s in seeds],
            ["seed", *(LABELS[a] for a in arms)],
        )
    )
    summary = []
    for a, d in arms.items():
        v = list(acc[a].values())
        li = [r["li_cat_final"] for r in d["runs"]]
        summary.append(
            [
                LABELS[a],
                len(v),
                f"{statistics.median(v):.3f}",
                f"{min(v):.3f}",
                f"{max(v):.3f}",
                f"{min(li):.3f} to {max(li):.3f}",
            ]
        )
    print("\n" + markdown_table(summary, ["arm", "runs", "median", "worst", "best", "final L_I, range (nats)"]))
    if "plain" in acc and "invariance" in acc:
        both = sorted(set(acc["plain"]) & set(acc["invariance"]))
        better = sum(acc["invariance"][s] > acc["plain"][s] for s in both)
        print(f"\nwith the term above the same seed without it: {better} of {len(both)} seeds")

    print("\n## The label-free pick (agreement, the default rule), within each arm\n")
    picks = []
    for a, d in arms.items():
        r = max(d["runs"], key=lambda r: r["agreement"])
        g = [x for x in d["groups"] if x["k"] == 4 and x["criterion"] == "agreement"]
        gtext = (
            (
                f"{g[0]['pick_mean']:.3f}, {g[0]['median_mean']:.3f}, {g[0]['best_mean']:.3f}, "
                f"{g[0]['within_0.02_of_best']:.1%} of {g[0]['groups']}"
            )
            if g
            else "n/a"
        )
        picks.append([LABELS[a], r["seed"], f"{r['accuracy']:.3f}", f"{max(acc[a].values()):.3f}", gtext])
    groups = "groups of 4: pick's mean, groups' median mean, best mean, within 0.02 of best"
    print(markdown_table(picks, ["arm", "picked seed", "its accuracy", "arm's best", groups]))

    checks_path = SHIPPED / "invariance-generator-checks.json"
    if checks_path.exists():
        checks = json.loads(checks_path.read_text())
        print(f"\n## G's side (reference reader: test accuracy {checks['reference_accuracy']:.3f})\n")
        by_arm: dict[str, list] = {}
        for run in checks["runs"]:
            _, arm, name, _ = run["checkpoint"].split("/")
            by_arm.setdefault(arm, []).append((int(name.split("-s")[1]), run))
        runs_table = []
        for a in arms:
            for seed, run in sorted(by_arm.get(a, []), key=lambda x: x[0]):
                e = run["effects"]
                runs_table.append(
                    [
                        f"{LABELS[a]} s{seed}",
                        f"{run['q_accuracy']:.3f}",
                        f"{run['g_purity']:.3f}",
                        f"{run['q_reads_c']:.3f}",
                        f"{e['c2']['slant']:+.2f}, {e['c2']['ink']:+.2f}",
                        f"{e['c3']['slant']:+.2f}, {e['c3']['ink']:+.2f}",
                    ]
                )
        print(
            markdown_table(
                runs_table,
                [
                    "run",
                    "Q on real digits",
                    "G's category purity",
                    "Q reads c1 back",
                    "c2: slant, ink",
                    "c3: slant, ink",
                ],
            )
        )
        arms_table = []
        for a in arms:
            runs = [r for _, r in by_arm.get(a, [])]
            if runs:
                p = [r["g_purity"] for r in runs]
                slant = sum(clean(r["effects"], "slant", "ink") for r in runs)
                ink = sum(clean(r["effects"], "ink", "slant") for r in runs)
                arms_table.append(
                    [
                        LABELS[a],
                        len(runs),
                        f"{statistics.median(p):.3f}",
                        f"{min(p):.3f}",
                        f"{slant} of {len(runs)}",
                        f"{ink} of {len(runs)}",
                    ]
                )
        headers = ["arm", "runs", "median G purity", "worst", "a clean slant code", "a clean ink code"]
        print("\n" + markdown_table(arms_table, headers))

    cost_path = ROOT / "benchmarks" / "results" / "invariance-cost-cpu.json"
    if cost_path.exists():
        cost = json.loads(cost_path.read_text())
        print(f"\n## Cost per step ({cost['machine']}, {cost['date']}, commit {cost['commit']})\n")
        ms = [(name, f"{v:.1f}") for name, v in cost["ms_per_step"].items()]
        print(markdown_table(ms, ["arm", "ms per step (median of blocks)"]))
        print(f"\nratio: {cost['ratio']:.2f}")


if __name__ == "__main__":
    main()
