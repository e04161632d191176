# kesu: two commands on a fresh machine with Python 3.11 and make.
#   make run   set up .venv, install, run the main job
#   make test  set up .venv with the test and xlsform extras, lint, run the tests

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint venv bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,xlsform]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/kesu run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mypy survey

# -n auto: one worker per core; --dist loadfile keeps a file's module fixtures in one worker
test: lint
	$(BIN)/python -m pytest -q -n auto --dist loadfile

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .mypy_cache
