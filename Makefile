# evsynth: two commands do all set-up on a fresh machine with Python >= 3.11 and pip.
#   make report   install into .venv (first time only) and run the whole pipeline
#   make docs     build the documentation site (docs/_build/html)
#   make coding   rebuild every coded table under data/ from the seed texts and coders' sheets (coding/README.md)
#   make test     install into .venv (first time only), install the system packages the tests
#                 need (scripts/system-packages.sh: Chromium, poppler, R + metafor, SLURM), run the tests
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(abspath $(VENV)/bin)
STAMP := $(VENV)/.installed
CORES ?= 2
export PATH := $(BIN):$(PATH)

.PHONY: report test setup dag template validate bench clean docs coding

$(STAMP): pyproject.toml
	@echo "Setting up $(VENV) with $(PYTHON) (first run only)..."
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "evsynth needs Python >= 3.11")'
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

# check-config and every input check run before Snakemake starts; a failed run puts results/ and
# figures/ back as they were (src/evsynth/pipeline/guard.py); the jobs' evsynth commands are forks
# of one warm process that has imported the library once (src/evsynth/pipeline/warm.py)
report: $(STAMP)
	@$(BIN)/evsynth check-config --config config.yaml > /dev/null
	@$(BIN)/python -m evsynth.pipeline.warm -- \
		$(BIN)/python -m evsynth.pipeline.guard --config config.yaml -- \
		$(BIN)/snakemake --cores $(CORES) --quiet rules --rerun-incomplete
	@echo "Report: $(abspath results/report.html)"

# what ruff lints and formats ([tool.ruff] in pyproject.toml); make test fails on a lint or format error
LINT := src coding tests bench scripts docs/conf.py docs/examples notebooks/make_notebooks.py

test: $(STAMP)
	@bash scripts/system-packages.sh
	@$(BIN)/ruff check $(LINT)
	@$(BIN)/ruff format --check $(LINT)
	@$(BIN)/python -m pytest

validate: $(STAMP)
	@$(BIN)/evsynth validate ../shared/golden

template: $(STAMP)
	@$(BIN)/evsynth template --outdir results/templates
	@echo "Templates: $(abspath results/templates)"

dag: $(STAMP)
	@$(BIN)/snakemake --dag | dot -Tsvg > dag.svg && echo "dag.svg"

# the documentation site (Sphinx: docs/*.md, the API reference from the docstrings, the executed
# gallery docs/examples/plot_*.py); warnings are errors; HTML in docs/_build/html
docs: $(STAMP)
	@$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html
	@echo "Docs: $(abspath docs/_build/html/index.html)"

# the coding scripts (coding/, run from the root as python -m coding.<folder>.<script>) in order;
# SEEDS is the folder of the seed texts; the same inputs give byte-identical tables (tests/coding/)
SEEDS ?= ../shared/seeds
coding: $(STAMP)
	@$(BIN)/python -m coding.rebuild --seeds $(SEEDS)

bench: $(STAMP)
	@$(BIN)/python bench/bench_engine.py

clean:
	rm -rf results figures/*/ logs .snakemake docs/_build docs/generated docs/auto_examples
