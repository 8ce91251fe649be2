# infogan-edu: the commands a newcomer needs.
#   make lab    set up (first time only), then open JupyterLab at notebooks/00_setup.ipynb (exercises/ beside it)
#   make test   set up (first time only), then lint, unit tests, and nbval over every notebook
#   make site   set up (first time only), then build the course as a static web site in site/_build/html
#   make test-other-cpu   nbval again under another numeric path, as another CPU would run it (CONTRIBUTING.md)
VENV     ?= .venv
BIN      := $(VENV)/bin
STAMP    := $(VENV)/.installed
LAB_ARGS ?=
NBVAL    := --nbval --nbval-current-env --nbval-sanitize-with nbval_sanitize.cfg -p no:cacheprovider

.PHONY: setup lab test test-fast test-other-cpu site clean-venv

setup: $(STAMP)

# Re-run the installer only when the package's requirements change.
$(STAMP): pyproject.toml scripts/setup.sh
	bash scripts/setup.sh $(VENV)
	@touch $@

# JupyterLab will not start as root without --allow-root; Docker images and classroom servers often run as root.
AS_ROOT = $(filter 0,$(shell id -u))

lab: setup
	@$(if $(AS_ROOT),echo "[lab] running as root: starting JupyterLab with --allow-root")
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=. \
		--LabApp.default_url=/lab/tree/notebooks/00_setup.ipynb $(if $(AS_ROOT),--allow-root) $(LAB_ARGS)

test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest tests
	$(BIN)/python -m pytest $(NBVAL) notebooks exercises/solutions

# The notebooks once more, on another numeric path: PyTorch's non-vectorised kernels, oneDNN limited to SSE4.1
# and one thread change the last bits of every float reduction, as another learner's CPU does. A compared
# output that differs here depends on the machine: exclude it from comparison and check its claim by tolerance.
OTHER_CPU := ATEN_CPU_CAPABILITY=default ONEDNN_MAX_CPU_ISA=SSE41 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

test-other-cpu: setup
	$(OTHER_CPU) $(BIN)/python -m pytest $(NBVAL) notebooks exercises/solutions

# For developers between edits: lint and the unit tests not marked slow. `make test` stays the full suite.
test-fast: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest tests -m "not slow"

# The lessons and exercises from their stored outputs (nothing is executed), with the kernel-free traversal
# explorer; every page loads only files from the site itself. Publish site/_build/html on any static host.
site: setup
	OMP_NUM_THREADS=1 $(BIN)/python site/build.py --out site/_build

clean-venv:
	rm -rf $(VENV)
