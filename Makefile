# Devolved budgets evaluation report. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements.lock
STAMP := $(VENV)/.installed

# Options of `make book` and `make check`: DATA=folder (real data; the book goes to _build/real), MANIFEST=file, JOBS=n.
# DROP_COLUMNS=1 drops (and logs) input columns that are not in the data dictionary instead of refusing them.
BUILD_ARGS := $(if $(DATA),--data "$(DATA)") $(if $(MANIFEST),--manifest "$(MANIFEST)") $(if $(JOBS),--jobs $(JOBS)) \
	$(if $(filter 1,$(DROP_COLUMNS)),--drop-unknown-columns)
CHECK_ARGS := $(if $(DATA),--data "$(DATA)") $(if $(MANIFEST),--manifest "$(MANIFEST)") \
	$(if $(filter 1,$(DROP_COLUMNS)),--drop-unknown-columns)

.DEFAULT_GOAL := help
.PHONY: help book check templates bench simulate test test-fast data lint format lock clean

help: ## List the targets with a one-line description
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): $(LOCK) pyproject.toml
	@echo "==> Setting up $(VENV) from $(LOCK)"
	@rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name devolved-budgets --display-name "Python (devolved budgets)" >/dev/null
	@touch $(STAMP)

book: $(STAMP) ## Build the HTML book in _build/html (DATA=folder: from real data, into _build/real; JOBS=n)
	$(BIN)/python -m analysis_src.pipeline $(BUILD_ARGS)

check: $(STAMP) ## Check a data folder against the contract without building (DATA=folder); lists every problem
	$(BIN)/python -m analysis_src.inputs.check $(CHECK_ARGS)

templates: $(STAMP) ## Write a blank Excel template for each input table into _build/templates (OUT=folder)
	$(BIN)/python -m analysis_src.inputs.workbooks $(if $(OUT),--out "$(OUT)") $(if $(MANIFEST),--manifest "$(MANIFEST)")

bench: $(STAMP) ## Time clean, unchanged and one-authority rebuilds against the sequential run, up to 150 authorities
	$(BIN)/python -m analysis_src.tools.bench $(BENCH_ARGS)

simulate: $(STAMP) ## Bias and coverage of the trial estimators, simulated on Darlington's design (REPS=n)
	$(BIN)/python -m analysis_src.tools.simulate $(if $(REPS),--repetitions $(REPS))

test: lint ## Run the whole test suite: lint, every pytest test, then nbval over the executed notebooks
	$(BIN)/python -m pytest tests
	$(BIN)/python -m pytest --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider book

test-fast: $(STAMP) ## The everyday loop (under a minute): every test that neither builds the book nor runs papermill
	$(BIN)/python -m pytest tests -m "not slow" -q

data: $(STAMP) ## Regenerate the synthetic data in synthetic_data/ (deterministic)
	$(BIN)/python -m analysis_src.tools.generate

lint: $(STAMP) ## Check formatting and lint with ruff
	$(BIN)/ruff format --check analysis_src tests
	$(BIN)/ruff check analysis_src tests

format: $(STAMP) ## Format the code with ruff
	$(BIN)/ruff format analysis_src tests
	$(BIN)/ruff check --fix analysis_src tests

lock: ## Re-resolve the dependencies and rewrite requirements.lock and environment.yml
	bash scripts/lock.sh

clean: ## Remove the built HTML and the virtual environment
	rm -rf _build $(VENV)
