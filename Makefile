# Two commands on a fresh machine: `make run` (full replication) and `make test`.
# Both create .venv from the pinned requirements on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CORES ?= all

.PHONY: run smoke test test-cluster test-browser lint bench clean compare results-table

# GPU=1: TensorFlow's CUDA build (requirements-gpu.txt) in place of tensorflow-cpu; GPU= (empty) goes back.
GPU ?=
FLAVOUR := $(if $(GPU),gpu,cpu)

$(STAMP): requirements.txt requirements-gpu.txt pyproject.toml $(VENV)/.flavour-$(FLAVOUR)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(if $(GPU),$(BIN)/python -m pip uninstall --quiet -y tensorflow-cpu && $(BIN)/python -m pip install --quiet -r requirements-gpu.txt)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

$(VENV)/.flavour-$(FLAVOUR):  # the installed TensorFlow build; switching GPU= reinstalls
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	rm -f $(VENV)/.flavour-*
	$(if $(GPU),,test ! -d $(VENV)/lib || $(BIN)/python -m pip uninstall --quiet -y tensorflow)
	touch $@

run: $(STAMP)  ## full replication: figures/ and figures/report.html (its wall time: benchmarks/make_run.json)
	@start=$$($(BIN)/python -c 'import time; print(time.time())'); \
	$(BIN)/snakemake --cores $(CORES) --configfile config/config.yaml && \
	$(BIN)/python -c 'import json, subprocess, sys, time; commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip() or "unknown"; json.dump({"commit": commit, "wall_s": round(time.time() - float(sys.argv[1]), 1), "finished": time.strftime("%Y-%m-%d %H:%M")}, open("benchmarks/make_run.json", "w"))' "$$start"

smoke: $(STAMP)  ## the whole DAG on the tiny config
	$(BIN)/snakemake --cores $(CORES) --configfile config/smoke.yaml

test: $(STAMP)  ## unit, property and workflow tests, snakemake --lint (changes nothing outside the checkout)
	$(BIN)/python -m pytest

test-browser: $(STAMP)  ## figures/report.html in headless Chromium (installs Debian's chromium and chromium-driver as root)
	tests/browser/install_chromium.sh
	$(BIN)/python -m pytest tests/browser

test-cluster: $(STAMP)  ## the smoke config through profiles/slurm on a real one-node SLURM (root, Debian packages)
	$(BIN)/python tests/cluster/slurm_smoke.py

lint: $(STAMP)  ## snakemake --lint and snakefmt --check (both also run by make test)
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile workflow/

bench: $(STAMP)  ## speed figures, printed as `name: value unit`
	$(BIN)/python benchmarks/bench.py

clean:  ## remove everything the pipeline wrote (keeps .venv)
	rm -rf results logs .snakemake benchmarks/*/ benchmarks/make_run.json figures/*.png figures/*.pdf figures/*.csv figures/report.html

compare: $(STAMP)  ## compare two runs' tables and verdicts: make compare OLD=dir NEW=dir [TOL="value=1e-12,1e-9"]
	$(BIN)/python -m gandiv.report.compare $(OLD) $(NEW) $(foreach t,$(TOL),--tolerance $(t))

results-table: $(STAMP)  ## rewrite README.md's results table from a run's verdicts: make results-table [RUN=.]
	$(BIN)/python -m gandiv.report.results_table $(or $(RUN),.) --readme README.md
