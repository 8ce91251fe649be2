#!/usr/bin/env bash
# Seeds on a GPU, one part per call (each part fits a 10-minute session on one GPU):
#   speed    images/s of K = 1 ... 64 seeds trained at once against the plain Trainer, alone on the GPU
#            (benchmarks/seeds_speed.py; the paper preset at full width)
#   select   the paper preset, 5 disjoint groups of 8 seeds, one vectorised run per group, the groups side by
#            side; one seed picked per group without labels (reproduce_mnist.py --select 8 --groups 5)
#   study    64 seeds of the paper preset in one vectorised run, then every label-free criterion against
#            accuracy, over all groups of 4 and 8 (benchmarks/seed_study.py)
#
#   OUT=results bash benchmarks/gpu/seeds.sh speed      # on the GPU machine, from the repository root
#
# Results land in $OUT (default runs/gpu-seeds): seeds_speed.txt, select.txt and select.json, study.txt and
# study.json. The budget is BUDGET_S seconds (default 540).
# A dry run on a CPU (small K, a few steps, the tiny width):
#   STEPS=4 SPEED_ARGS=--quick SELECT_K=2 GROUPS=2 STUDY_SEEDS=0-2 SET="--set width=0.125" OUT=/tmp/seeds \
#     bash benchmarks/gpu/seeds.sh study
set -u
OUT=${OUT:-runs/gpu-seeds}
BUDGET_S=${BUDGET_S:-540}
# shellcheck source=benchmarks/gpu/common.sh
source "$(dirname "$0")/common.sh"
part=${1:?say which part: speed, select or study}
SET=${SET:-}

case "$part" in
speed)
  # shellcheck disable=SC2086
  timeout "$(left)" "$PY" benchmarks/seeds_speed.py --k ${K_LIST:-1 2 4 8 16 32 64} ${SPEED_ARGS:-} 2>&1 | tee "$OUT/seeds_speed.txt"
  ;;
select)
  rm -rf runs/gpu/select
  # shellcheck disable=SC2086
  timeout "$(left)" "$PY" benchmarks/reproduce_mnist.py --preset paper --select "${SELECT_K:-8}" \
    --groups "${GROUPS:-5}" --jobs "${GROUPS:-5}" $STEPS_ARG $SET --out runs/gpu/select --json "$OUT/select.json" \
    2>&1 | tee "$OUT/select.txt"
  ;;
study)
  rm -rf runs/gpu/study
  # shellcheck disable=SC2086
  timeout "$(($(left) - 60))" "$PY" -m infogan_edu train --preset paper --seeds "${STUDY_SEEDS:-0-63}" $STEPS_ARG \
    $SET --no-progress --out runs/gpu/study 2>&1 | tail -n 80 | tee "$OUT/study_train.txt"
  timeout 60 "$PY" benchmarks/seed_study.py --runs runs/gpu/study --json "$OUT/study.json" 2>&1 |
    tee "$OUT/study.txt"
  ;;
*)
  echo "unknown part '$part': say speed, select or study" >&2
  exit 2
  ;;
esac
echo "done in $(($(date +%s) - start)) s"
