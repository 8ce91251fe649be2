#!/usr/bin/env bash
# The invariance study: 16 seeds of the `cpu` preset with lambda_invariance = 1 against 16 without, trained on the
# same machine, one thread per run, two runs at a time, in groups of four seeds per arm so that partial results
# come early; the shifts-only ablation runs after the first eight seeds. Every run resumes from its checkpoint (a
# stopped study continues where it was), and a run that finished is reused.
#
#   bash benchmarks/invariance_study.sh          # train what is missing
#   bash benchmarks/invariance_study.sh score    # score every finished run: Q's side per arm, G's side, the runs'
#                                                # summaries (raw JSON, and the printed tables in benchmarks/results/)
#   bash benchmarks/invariance_study.sh ship     # export the run with the term that the label-free rule picks
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
RUNS=${RUNS:-runs}
OUT=benchmarks/results  # the printed tables; the raw JSON that lesson 05b reads ships with the package:
SHIPPED=infogan_edu/results
if [ "${1:-train}" = score ]; then
    for arm in invariance plain invariance-shift invariance-shift-rotate; do
        if [ ! -d "$RUNS/$arm" ]; then continue; fi
        name=invariance-study${arm#invariance}
        if [ "$arm" = plain ]; then name=invariance-study-plain; fi
        "$PY" benchmarks/seed_study.py --runs "$RUNS/$arm" --groups 2 4 --json "$SHIPPED/$name.json" > "$OUT/$name.txt"
    done
    # G's side: a reference digit reader labels G's images per category; each continuous code's slant and ink
    finished=$(for f in "$RUNS"/invariance*/cpu-s*/summary.json "$RUNS"/plain/cpu-s*/summary.json; do
        if [ -e "$f" ]; then echo "${f%summary.json}checkpoint.pt"; fi; done)
    # shellcheck disable=SC2086  # one argument per finished run
    "$PY" benchmarks/category_purity.py $finished --effects --per-category 500 \
        --json "$SHIPPED/invariance-generator-checks.json" > "$OUT/invariance-generator-checks.txt"
    # every run's own summary.json (command-line overrides, machine, training time), in one file
    "$PY" -c 'import json, pathlib, sys
runs = sorted(pathlib.Path(sys.argv[1]).glob("*/cpu-s*/summary.json"))
print(json.dumps({f"{p.parent.parent.name}/{p.parent.name}": json.loads(p.read_text()) for p in runs}, indent=1))' \
        "$RUNS" > "$OUT/invariance-study-runs.json"
    exit 0
fi
if [ "${1:-train}" = ship ]; then
    # the shipped model: among the runs with the term, the one the default label-free rule (agreement, computed
    # by `score` from the runs' partitions of the unlabelled test images) ranks first; labels play no part
    seed=$("$PY" -c 'import json, sys
from infogan_edu.selection import DEFAULT_RULE
runs = json.load(open(sys.argv[1]))["runs"]
print(max(runs, key=lambda r: r[DEFAULT_RULE])["seed"])' "$SHIPPED/invariance-study.json")
    "$PY" -m infogan_edu export "$RUNS/invariance/cpu-s$seed/checkpoint.pt" \
        --out infogan_edu/checkpoints/mnist_cpu_invariance.pt --train-command "OMP_NUM_THREADS=1 python -m infogan_edu \
train --preset cpu --seed $seed --out runs/invariance/cpu-s$seed --no-progress --set lambda_invariance=1"
    exit 0
fi
both_arms() {
    "$PY" benchmarks/seed_study.py --train "$1" --jobs 2 --threads 1 --set lambda_invariance=1 \
        --runs "$RUNS/invariance" --train-only
    "$PY" benchmarks/seed_study.py --train "$1" --jobs 2 --threads 1 --runs "$RUNS/plain" --train-only
}
both_arms 0-3
both_arms 4-7
"$PY" benchmarks/seed_study.py --train 0-3 --jobs 2 --threads 1 --set lambda_invariance=1 \
    --set invariance_parts=shift --runs "$RUNS/invariance-shift" --train-only
both_arms 8-11
both_arms 12-15
# which part of T costs the clean stroke-width code: the same four seeds without the scaling
"$PY" benchmarks/seed_study.py --train 0-3 --jobs 2 --threads 1 --set lambda_invariance=1 \
    --set invariance_parts=shift,rotate --runs "$RUNS/invariance-shift-rotate" --train-only
