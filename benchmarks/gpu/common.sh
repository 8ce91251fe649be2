# Sourced by the GPU scripts beside it (paper_preset.sh, paper_variants.sh): their shared settings.
# The caller sets OUT and BUDGET_S defaults first; this adds PY, STEPS_ARG, the environment, and `left`, the
# seconds of the budget still unspent.
PY=${PYTHON:-python3}
STEPS_ARG=${STEPS:+--steps $STEPS}
mkdir -p "$OUT" runs
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 INFOGAN_EDU_DATA="${INFOGAN_EDU_DATA:-data}"
start=$(date +%s)
left() { echo $((BUDGET_S - ($(date +%s) - start))); }
