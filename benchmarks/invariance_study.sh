#!/usr/bin/env bash
# The invariance study: 16 seeds of the `cpu` preset with lambda_invariance = 1 against 16 without, trained on the
# same machine, one thread per run, two runs at a time, in groups of four seeds per arm so that partial results
# come early; the shifts-only ablation runs after the first eight seeds. Every run resumes from its checkpoint (a
# stopped study continues where it was), and a run that finished is reused.
#
#   bash benchmarks/invariance_study.sh          # train what is missing
#   python benchmarks/seed_study.py --runs runs/invariance --json benchmarks/results/invariance-study.json
#   python benchmarks/seed_study.py --runs runs/plain --json benchmarks/results/invariance-study-plain.json
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
RUNS=${RUNS:-runs}
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
