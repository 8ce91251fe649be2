#!/usr/bin/env bash
# The invariance study: 16 seeds of the `cpu` preset with lambda_invariance = 1 against 16 without, trained on the
# same machine, one thread per run, two runs at a time, in groups of four seeds per arm so that partial results
# come early. Every run resumes from its checkpoint (a stopped study continues where it was), and a run that
# finished is reused. Then shifts only against the full transformation, on four seeds.
#
#   bash benchmarks/invariance_study.sh          # train what is missing
#   python benchmarks/seed_study.py --runs runs/invariance --json benchmarks/results/invariance-study.json
#   python benchmarks/seed_study.py --runs runs/plain --json benchmarks/results/invariance-study-plain.json
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
RUNS=${RUNS:-runs}
for group in 0-3 4-7 8-11 12-15; do
    "$PY" benchmarks/seed_study.py --train "$group" --jobs 2 --threads 1 --set lambda_invariance=1 \
        --runs "$RUNS/invariance" --train-only
    "$PY" benchmarks/seed_study.py --train "$group" --jobs 2 --threads 1 --runs "$RUNS/plain" --train-only
done
"$PY" benchmarks/seed_study.py --train 0-3 --jobs 2 --threads 1 --set lambda_invariance=1 \
    --set invariance_parts=shift --runs "$RUNS/invariance-shift" --train-only
