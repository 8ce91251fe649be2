#!/usr/bin/env bash
# The paper's Figure 5 on a GPU: train the `celeba` preset (Appendix C.3, the networks of Table 3), then draw
# one picture per code (each row one draw of the noise, the columns the code's values) and 10 x 10 samples
# (benchmarks/colour_figures.py).
#
#   mkdir -p data/celeba && cp /path/to/{img_align_celeba.zip,list_attr_celeba.txt,list_eval_partition.txt} data/celeba/
#   OUT=results bash benchmarks/gpu/celeba.sh      # on the GPU machine, from the repository root
#
# Results land in $OUT (default runs/gpu-celeba): celeba.json, celeba-c1.png ... celeba-c10.png, celeba-samples.png
# and celeba.log; the checkpoint in runs/gpu/celeba/. The budget is BUDGET_S seconds (default 540).
# The first load decodes the 202,599 JPEGs of the zip (a few minutes on one core) and caches the 32x32 images in
# the user cache (622 MB); later loads read that cache in seconds.
# A dry run on a CPU, without the data (random images, a few steps, the tiny width):
#   SYNTHETIC=256 STEPS=4 SET="--set width=0.0625 --set batch_size=16" OUT=/tmp/celeba bash benchmarks/gpu/celeba.sh
set -u
OUT=${OUT:-runs/gpu-celeba}
BUDGET_S=${BUDGET_S:-540}
# shellcheck source=benchmarks/gpu/common.sh
source "$(dirname "$0")/common.sh"
SET=${SET:-}
SYNTHETIC_ARG=${SYNTHETIC:+--synthetic $SYNTHETIC}

rm -rf runs/gpu/celeba
# shellcheck disable=SC2086
timeout "$(left)" "$PY" benchmarks/colour_figures.py --preset celeba --out "$OUT" --run runs/gpu/celeba $STEPS_ARG \
  $SET $SYNTHETIC_ARG --no-progress 2>&1 | tee "$OUT/celeba.log"
ls -l "$OUT"
echo "done in $(($(date +%s) - start)) s"
