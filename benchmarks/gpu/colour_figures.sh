#!/usr/bin/env bash
# The paper's colour figures on a GPU: train the `svhn` preset (Figure 4; Appendix C.2, the networks of Table 2)
# or the `celeba` preset (Figure 5; Appendix C.3, Table 3), then draw one picture per code (each row one draw of
# the noise, the columns the code's values) and 10 x 10 samples (benchmarks/colour_figures.py).
#
#   mkdir -p data/svhn && cp /path/to/train_32x32.mat /path/to/test_32x32.mat data/svhn/
#   mkdir -p data/celeba && cp /path/to/{img_align_celeba.zip,list_attr_celeba.txt,list_eval_partition.txt} data/celeba/
#   OUT=results bash benchmarks/gpu/colour_figures.sh svhn      # on the GPU machine, from the repository root
#   OUT=results bash benchmarks/gpu/colour_figures.sh celeba
#
# Results land in $OUT (default runs/gpu-NAME): NAME.json, NAME-c1.png ... (one per code: 8 for svhn, 10 for
# celeba), NAME-samples.png and NAME.log; the checkpoint in runs/gpu/NAME/. The budget is BUDGET_S seconds
# (default 540). CelebA's first load decodes the 202,599 JPEGs of the zip (a few minutes on one core) and caches
# the 32x32 images in the user cache (622 MB); later loads read that cache in seconds.
# A dry run on a CPU, without the data (random images, a few steps, the tiny width):
#   SYNTHETIC=256 STEPS=4 SET="--set width=0.0625 --set batch_size=16" OUT=/tmp/svhn bash benchmarks/gpu/colour_figures.sh svhn
set -u
NAME=${1:-}
case "$NAME" in
  svhn|celeba) ;;
  *) echo "usage: bash benchmarks/gpu/colour_figures.sh svhn|celeba" >&2; exit 2 ;;
esac
OUT=${OUT:-runs/gpu-$NAME}
BUDGET_S=${BUDGET_S:-540}
# shellcheck source=benchmarks/gpu/common.sh
source "$(dirname "$0")/common.sh"
SET=${SET:-}
SYNTHETIC_ARG=${SYNTHETIC:+--synthetic $SYNTHETIC}

rm -rf "runs/gpu/$NAME"
# shellcheck disable=SC2086
timeout "$(left)" "$PY" benchmarks/colour_figures.py --preset "$NAME" --out "$OUT" --run "runs/gpu/$NAME" $STEPS_ARG \
  $SET $SYNTHETIC_ARG --no-progress 2>&1 | tee "$OUT/$NAME.log"
ls -l "$OUT"
echo "done in $(($(date +%s) - start)) s"
