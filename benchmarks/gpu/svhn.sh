#!/usr/bin/env bash
# The paper's Figure 4 on a GPU: train the `svhn` preset (Appendix C.2, the networks of Table 2), then draw
# one picture per code (each row one draw of the noise, the columns the code's values) and 10 x 10 samples
# (benchmarks/colour_figures.py).
#
#   mkdir -p data/svhn && cp /path/to/train_32x32.mat /path/to/test_32x32.mat data/svhn/
#   OUT=results bash benchmarks/gpu/svhn.sh      # on the GPU machine, from the repository root
#
# Results land in $OUT (default runs/gpu-svhn): svhn.json, svhn-c1.png ... svhn-c8.png, svhn-samples.png and svhn.log;
# the checkpoint in runs/gpu/svhn/. The budget is BUDGET_S seconds (default 540).
# A dry run on a CPU, without the data (random images, a few steps, the tiny width):
#   SYNTHETIC=256 STEPS=4 SET="--set width=0.0625 --set batch_size=16" OUT=/tmp/svhn bash benchmarks/gpu/svhn.sh
set -u
OUT=${OUT:-runs/gpu-svhn}
BUDGET_S=${BUDGET_S:-540}
# shellcheck source=benchmarks/gpu/common.sh
source "$(dirname "$0")/common.sh"
SET=${SET:-}
SYNTHETIC_ARG=${SYNTHETIC:+--synthetic $SYNTHETIC}

rm -rf runs/gpu/svhn
# shellcheck disable=SC2086
timeout "$(left)" "$PY" benchmarks/colour_figures.py --preset svhn --out "$OUT" --run runs/gpu/svhn $STEPS_ARG \
  $SET $SYNTHETIC_ARG --no-progress 2>&1 | tee "$OUT/svhn.log"
ls -l "$OUT"
echo "done in $(($(date +%s) - start)) s"
