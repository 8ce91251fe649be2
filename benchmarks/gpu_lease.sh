#!/usr/bin/env bash
# Everything the project owes a GPU, in one command that fits a 10-minute lease (README, "Results"):
#   1. the `paper` preset for 5 seeds plus the lambda = 0 control (issue 4), side by side on the one GPU,
#      with the preset's fast path except torch.compile (its compile time belongs to step 2), and 3 seeds
#      in plain fp32 eager mode, so that bf16 autocast can be compared with the paper's arithmetic;
#   2. alone on the GPU, the speed table of benchmarks/gpu_speed.py (issue 7), every stage time-limited;
#   3. an fp16 export of the best bf16 run, split into parts small enough to travel back.
#
#   mkdir -p data && cp -r ../shared/data/mnist data/     # on the machine that holds the data
#   OUT=results bash benchmarks/gpu_lease.sh               # on the GPU machine, from the repository root
#
# Every result lands in $OUT (default runs/gpu-lease): env.txt, paper_bf16.json, paper_fp32.json,
# gpu_speed.txt, mnist_paper.pt.part-* and mnist_paper.pt.json. The budget is BUDGET_S seconds (default 540).
# A dry run on a CPU: STEPS=20 SPEED_ARGS=--quick OUT=/tmp/lease bash benchmarks/gpu_lease.sh
set -u
OUT=${OUT:-runs/gpu-lease}
BUDGET_S=${BUDGET_S:-540}
PY=${PYTHON:-python3}
STEPS_ARG=${STEPS:+--steps $STEPS}
mkdir -p "$OUT" runs
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 INFOGAN_EDU_DATA="${INFOGAN_EDU_DATA:-data}"
start=$(date +%s)
left() { echo $((BUDGET_S - ($(date +%s) - start))); }

{
  date -u +"%Y-%m-%d %H:%M UTC"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  echo "CPU cores: $(nproc)"
  "$PY" -c "import sys, torch; print('python', sys.version.split()[0], '| torch', torch.__version__, \
'| cuda', torch.version.cuda, '|', torch.cuda.get_device_name())"
} 2>&1 | tee "$OUT/env.txt"

echo "== 1. paper preset, 5 seeds + control (bf16) and 3 seeds (fp32), side by side; $(left) s left"
OMP_NUM_THREADS=1 timeout 330 "$PY" benchmarks/reproduce_mnist.py --preset paper --seeds 0 1 2 3 4 $STEPS_ARG \
  --control-seeds 0 --jobs 6 --run-timeout 300 --set compile=false --out runs/gpu/bf16 \
  --json "$OUT/paper_bf16.json" >runs/paper_bf16.log 2>&1 &
OMP_NUM_THREADS=1 timeout 330 "$PY" benchmarks/reproduce_mnist.py --preset paper --seeds 0 1 2 $STEPS_ARG \
  --control-seeds --jobs 3 --run-timeout 300 --set compile=false --set bf16=false --set fused_adam=false \
  --set channels_last=false --out runs/gpu/fp32 --json "$OUT/paper_fp32.json" >runs/paper_fp32.log 2>&1 &
wait
tail -n 12 runs/paper_bf16.log runs/paper_fp32.log

echo "== 2. speed table, alone on the GPU; $(left) s left"
timeout $(($(left) - 45)) "$PY" benchmarks/gpu_speed.py --seeds --eager-seeds --stage-timeout 120 ${SPEED_ARGS:-} 2>&1 |
  tee "$OUT/gpu_speed.txt"

echo "== 3. export the best bf16 run; $(left) s left"
best=$("$PY" -c "import json; rows = [r for r in json.load(open('$OUT/paper_bf16.json')) if 'error' not in r \
and not r['control']]; print(max(rows, key=lambda r: r['accuracy'])['seed'])")
"$PY" -m infogan_edu export "runs/gpu/bf16/paper-s$best/checkpoint.pt" --out "runs/gpu/mnist_paper.pt" \
  --train-command "python -m infogan_edu train --preset paper --seed $best --out runs/paper-s$best --set compile=false" \
  >/dev/null && cp runs/gpu/mnist_paper.pt.json "$OUT/" &&
  split -b 15000000 runs/gpu/mnist_paper.pt "$OUT/mnist_paper.pt.part-"
ls -l "$OUT"
echo "done in $(($(date +%s) - start)) s"
