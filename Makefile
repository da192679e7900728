# The two commands: `make run` (set up, run the nightly pipeline on a demo LA) and `make test`.
# Everything is installed into .venv from uv.lock; all local state lives in .csc/ (both ignored by git).

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
PYTEST_ARGS ?=
# The suite runs on every core (pytest-xdist), a test file per worker at a time: a file's module fixtures (a warehouse
# built once, an Airflow install) stay on one worker. (Running the heaviest files first was tried: two real Airflow
# runs side by side slowed each other, 34 min became 40; see benchmarks/RESULTS.md.)
# PYTEST_WORKERS=0 runs it in this process; so does an existing server (CSC_TEST_WAREHOUSE_URL), whose roles the
# workers would share.
PYTEST_WORKERS ?= $(if $(CSC_TEST_WAREHOUSE_URL),0,auto)
XDIST = -n $(PYTEST_WORKERS) $(if $(filter 0,$(PYTEST_WORKERS)),,--dist loadfile)
# Headless Chromium and its WebDriver render report.html in the tests (Debian packages, installed when missing).
CHROMIUM_PACKAGES := chromium chromium-driver
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: run test test-extended setup validators browser airflow airflow-stop warehouse-stop lint audit clean-state help

help:
	@echo "make run           set up if needed, then run the nightly pipeline end to end on the demo LA"
	@echo "make test          set up if needed, then run the test suite against a real PostgreSQL"
	@echo "make test-extended the test suite plus every combination it samples (each system x dialect on small)"
	@echo "make airflow       start the Airflow UI and scheduler on 127.0.0.1 (make airflow-stop to stop)"
	@echo "make validators    the DfE return validators' own environment (tools/dfe-validators/.venv; make test needs it)"
	@echo "make lint          ruff"
	@echo "make audit         pip-audit of every locked dependency (needs a vulnerability database: PyPI or OSV)"
	@echo "make clean-state   stop the warehouse and delete all local state (.csc/)"

setup: $(VENV)/.synced

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(BIN)/uv pyproject.toml uv.lock
	$(BIN)/uv sync --frozen --python $(BIN)/python
	@touch $@

# The DfE's return validators (csc statutory validate) pin pandas 1.5 and numpy < 2: they get their own locked
# environment, made by the same uv from tools/dfe-validators/uv.lock, never the main one.
VALIDATORS := tools/dfe-validators
validators: $(VALIDATORS)/.venv/.synced

$(VALIDATORS)/.venv/.synced: $(BIN)/uv $(VALIDATORS)/pyproject.toml $(VALIDATORS)/uv.lock
	cd $(VALIDATORS) && env -u UV_PROJECT_ENVIRONMENT -u VIRTUAL_ENV $(CURDIR)/$(BIN)/uv sync --frozen \
		--python $(CURDIR)/$(BIN)/python
	@touch $@

browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		$(SUDO) apt-get update && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends $(CHROMIUM_PACKAGES); \
	fi

run: setup
	$(BIN)/csc run

test: setup validators browser
	$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

# The default suite plus every combination it samples (marker `extended`: each system in each dialect on `small`).
test-extended: setup validators browser
	$(BIN)/python -m pytest $(XDIST) -m "extended or not extended" $(PYTEST_ARGS)

airflow: setup
	$(BIN)/csc airflow start

airflow-stop: setup
	$(BIN)/csc airflow stop

warehouse-stop: setup
	$(BIN)/csc warehouse stop

lint: setup
	$(BIN)/ruff check include dags tests benchmarks

# Not part of `make test`: it needs a vulnerability database (PyPI's JSON API, or OSV with
# AUDIT_ARGS="--vulnerability-service osv"). --strict: a dependency that could not be audited fails the audit.
PIP_AUDIT_VERSION := 2.10.1
AUDIT_ARGS ?=
audit: setup
	@mkdir -p .csc && chmod 700 .csc
	$(BIN)/uv export --frozen --no-emit-project --format requirements-txt --quiet -o .csc/audit-requirements.txt
	$(BIN)/uv tool run --from pip-audit==$(PIP_AUDIT_VERSION) pip-audit --requirement .csc/audit-requirements.txt \
		--disable-pip --strict --progress-spinner off $(AUDIT_ARGS)

clean-state: setup
	-$(BIN)/csc airflow stop
	-$(BIN)/csc warehouse stop
	rm -rf .csc
