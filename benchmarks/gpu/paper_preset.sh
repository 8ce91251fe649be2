#!/usr/bin/env bash
# The measurements still open on a GPU, in one command that fits a 10-minute session on one GPU:
#   1. side by side on the GPU: the `paper` preset as it is now for 5 seeds plus the lambda = 0 control, and 3
#      seeds with CUDA graphs on (`--set compile=true`, compile_mode "reduce-overhead"), so that the accuracy of
#      the fast path can be set against the eager runs' seed-to-seed spread. Side by side, their wall times
#      overlap and are not speed figures;
#   2. alone on the GPU, the speed table of benchmarks/gpu_speed.py, every stage time-limited. Stage 8
#      (max-autotune) is left out: on 2026-11-29 it compiled for over 120 s without finishing.
#
#   mkdir -p data && cp -r /path/to/mnist data/         # MNIST's four .gz files in data/mnist (git-ignored)
#   OUT=results bash benchmarks/gpu/paper_preset.sh     # on the GPU machine, from the repository root
#
# infogan_edu.data needs pooch only to download or to find the user cache, not when INFOGAN_EDU_DATA (set to
# data/ by common.sh unless already set) holds the files.
# Every result lands in $OUT (default runs/gpu-lease): env.txt, paper.json, paper_cudagraphs.json, gpu_speed.txt.
# The budget is BUDGET_S seconds (default 540).
# A dry run on a CPU: STEPS=20 SPEED_ARGS=--quick OUT=/tmp/lease bash benchmarks/gpu/paper_preset.sh
set -u
OUT=${OUT:-runs/gpu-lease}
BUDGET_S=${BUDGET_S:-540}
# shellcheck source=benchmarks/gpu/common.sh
source "$(dirname "$0")/common.sh"

{
  date -u +"%Y-%m-%d %H:%M UTC"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  echo "CPU cores: $(nproc)"
  "$PY" -c "import sys, torch; print('python', sys.version.split()[0], '| torch', torch.__version__, \
'| cuda', torch.version.cuda, '|', torch.cuda.get_device_name())"
} 2>&1 | tee "$OUT/env.txt"

echo "== 1. paper preset: 5 seeds + control (eager) and 3 seeds (CUDA graphs), side by side; $(left) s left"
# shellcheck disable=SC2086
OMP_NUM_THREADS=1 timeout 330 "$PY" benchmarks/reproduce_mnist.py --preset paper --seeds 0 1 2 3 4 $STEPS_ARG \
  --control-seeds 0 --jobs 6 --run-timeout 300 --out runs/gpu/eager \
  --json "$OUT/paper.json" >runs/paper.log 2>&1 &
# shellcheck disable=SC2086
OMP_NUM_THREADS=1 timeout 330 "$PY" benchmarks/reproduce_mnist.py --preset paper --seeds 0 1 2 $STEPS_ARG \
  --control-seeds --jobs 3 --run-timeout 300 --set compile=true --out runs/gpu/cudagraphs \
  --json "$OUT/paper_cudagraphs.json" >runs/paper_cudagraphs.log 2>&1 &
wait
tail -n 12 runs/paper.log runs/paper_cudagraphs.log

echo "== 2. speed table, alone on the GPU; $(left) s left"
# shellcheck disable=SC2086
timeout $(($(left) - 10)) "$PY" benchmarks/gpu_speed.py --seeds --eager-seeds --only 1 2 3 4 5 6 7 9 \
  --stage-timeout 90 ${SPEED_ARGS:-} 2>&1 | grep -v "AUTOTUNE\|triton_\|strides\|dtypes\|^  mm\|Choices Stats" |
  tee "$OUT/gpu_speed.txt"
ls -l "$OUT"
echo "done in $(($(date +%s) - start)) s"
