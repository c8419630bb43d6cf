# Two commands on a fresh machine: `make run` (full replication) and `make test`.
# Both create .venv from the pinned requirements on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CORES ?= all

.PHONY: run smoke test test-cluster lint bench clean compare

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

run: $(STAMP)  ## full replication: figures/ and figures/report.html
	$(BIN)/snakemake --cores $(CORES) --configfile config/config.yaml

smoke: $(STAMP)  ## the whole DAG on the tiny config
	$(BIN)/snakemake --cores $(CORES) --configfile config/smoke.yaml

test: $(STAMP)  ## unit, property and workflow tests, snakemake --lint; then the SLURM test if SLURM can be set up here
	$(BIN)/python -m pytest
	$(BIN)/python tests/cluster/slurm_smoke.py --if-possible

test-cluster: $(STAMP)  ## the smoke config through profiles/slurm on a real one-node SLURM (root, Debian packages)
	$(BIN)/python tests/cluster/slurm_smoke.py

lint: $(STAMP)
	$(BIN)/snakemake --lint

bench: $(STAMP)  ## speed figures, printed as `name: value unit`
	$(BIN)/python benchmarks/bench.py

clean:  ## remove everything the pipeline wrote (keeps .venv)
	rm -rf results logs .snakemake benchmarks/*/ figures/*.png figures/*.pdf figures/*.csv figures/report.html

compare: $(STAMP)  ## compare two runs' tables and verdicts: make compare OLD=dir NEW=dir [TOL="value=1e-12,1e-9"]
	$(BIN)/python -m gandiv.report.compare $(OLD) $(NEW) $(foreach t,$(TOL),--tolerance $(t))
