#!/usr/bin/env bash
# Create the project's virtual environment and install infogan-edu with its test extras.
#
# Idempotent: the Makefile calls this only when .venv/.installed is older than pyproject.toml,
# and each step below is skipped when its result is already there.
#
# PyTorch: a bare `torch` requirement pulls a CUDA build of several GB. We install the build
# that fits the machine *before* the package, so that the package's `torch>=2.2` range is
# already satisfied and pip installs nothing more:
#   - NVIDIA GPU present (nvidia-smi lists one): the default build from the package index (CUDA).
#   - No GPU: a CPU wheel. A local one offered by pip's configured find-links is used first
#     (offline machines and classrooms often provide one); otherwise PyTorch's CPU-only index.
set -euo pipefail

VENV="${1:-.venv}"
TORCH_VERSION="${INFOGAN_EDU_TORCH:-2.13.0}"
PYTHON="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
    echo "[setup] creating $VENV with $("$PYTHON" --version)"
    "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"

if "$PY" -c "import torch" 2>/dev/null; then
    echo "[setup] torch $("$PY" -c 'import torch; print(torch.__version__)') already installed"
elif command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    echo "[setup] NVIDIA GPU found: installing the CUDA build of torch==$TORCH_VERSION"
    "$PY" -m pip install "torch==$TORCH_VERSION"
else
    echo "[setup] no NVIDIA GPU: installing a CPU build of torch==$TORCH_VERSION"
    if ! "$PY" -m pip install --no-index --no-deps "torch==$TORCH_VERSION" 2>/dev/null; then
        "$PY" -m pip install --no-deps "torch==$TORCH_VERSION" \
            --index-url https://download.pytorch.org/whl/cpu
    fi
fi

echo "[setup] installing infogan-edu (editable) with its test extras"
"$PY" -m pip install -e ".[test]"
"$PY" -c "import torch, infogan_edu; print('[setup] ok: torch', torch.__version__, '| infogan_edu', infogan_edu.__version__)"
