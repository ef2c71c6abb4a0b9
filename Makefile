# Two commands for a newcomer: `make demo` (the demo class through the whole
# pipeline) and `make test`. Both create .venv and install the kit if needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# nbgrader runs `alembic` in a subprocess on a fresh gradebook: the venv's bin/ must be on PATH.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install demo test test-slow reference release clean bench-oracle mutation

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/from-memory demo

test: $(STAMP)
	$(BIN)/python -m pytest

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

reference: $(STAMP)
	$(BIN)/python -m solutions.make_reference

mutation: $(STAMP)
	$(BIN)/python -m from_memory.mutation

bench-oracle: $(STAMP)
	$(BIN)/python benchmarks/bench_oracle.py

release: $(STAMP)
	$(BIN)/from-memory release

clean:
	rm -rf $(VENV) gradebook.db feedback reports .pytest_cache
	find autograded -mindepth 1 ! -name README.md -delete
