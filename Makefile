# Two commands for a newcomer: `make demo` (the demo class through the whole
# pipeline) and `make test`. Both create .venv and install the kit if needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# nbgrader runs `alembic` in a subprocess on a fresh gradebook: the venv's bin/ must be on PATH.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install demo test test-slow test-browser bench-load test-under-load bench-kernels test-postgres bench bench-scale reference source release clean bench-oracle mutation adversarial honest bench-fixtures test-nbgrader

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,scale]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/from-memory demo

# The default suite runs on TEST_JOBS processes (pytest-xdist), each test file on one of them, so
# a file's module fixtures are made once; `make test TEST_JOBS=1` runs it in one process.
TEST_JOBS ?= 2
TEST_SPREAD := $(if $(filter-out 1,$(TEST_JOBS)),-n $(TEST_JOBS) --dist loadfile)

test: $(STAMP)
	$(BIN)/python -m pytest $(TEST_SPREAD)

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

# A term played in headless chromium: Playwright from PyPI, Debian's chromium.
test-browser: $(STAMP)
	$(BIN)/python -c "import playwright" 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[test,scale,browser]'
	test -x /usr/bin/chromium || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; }
	$(BIN)/python -m pytest -m browser

# A real PostgreSQL server (Debian's packages) in a temporary folder, as the gradebook.
test-postgres: $(STAMP)
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); $$SUDO apt-get update -q && $$SUDO apt-get install -y -q postgresql; }
	$(BIN)/python -m pytest -m postgres

# nbgrader's own autograde tests, every autograde graded by ParallelAutograde (a test that
# reaches stock Autograde fails); `python tests/nbgrader_suite.py --stock` runs them on stock
# nbgrader. Last line: nbgrader autograde suite: K/N passed
test-nbgrader: $(STAMP)
	$(BIN)/python tests/nbgrader_suite.py

# Stock serial `nbgrader autograde` vs `from-memory autograde` vs bare nbclient vs the floor, one
# class, each measured twice (forward, then backward: about 14 minutes here); BENCH_ARGS=--rounds=1 for once.
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_autograde.py $(BENCH_ARGS)

# Stock `nbgrader autograde` vs `from-memory autograde` on a course of nbgrader's own test
# notebooks (not this kit's); last line: speedup: X.XX  cpu ratio ours/stock: Y.YY
bench-fixtures: $(STAMP)
	$(BIN)/python benchmarks/bench_fixtures.py

bench-scale: $(STAMP)
	$(BIN)/python benchmarks/bench_scale.py

reference: $(STAMP)
	$(BIN)/python -m solutions.make_reference

mutation: $(STAMP)
	$(BIN)/python -m from_memory.judge.mutation

# Hostile and broken submissions through the whole pipeline; last line: adversarial: K/N as expected
adversarial: $(STAMP)
	$(BIN)/python -m from_memory.examples.adversarial

# Grades do not depend on load: the demo class graded 10 times beside stress-ng on every core.
bench-load: $(STAMP)
	command -v stress-ng >/dev/null || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); $$SUDO apt-get install -y -q stress-ng; }
	$(BIN)/python benchmarks/grades_under_load.py

# The default suite 3 times in a row beside stress-ng on every core; each run must pass.
test-under-load: $(STAMP)
	command -v stress-ng >/dev/null || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); $$SUDO apt-get install -y -q stress-ng; }
	stress-ng --cpu $$(nproc) --quiet & hog=$$!; status=0; \
	for run in 1 2 3; do $(BIN)/python -m pytest -q -p no:cacheprovider $(TEST_SPREAD) || status=1; echo "under load, run $$run: load $$(cut -d' ' -f1 /proc/loadavg)"; done; \
	kill $$hog; exit $$status

# Kernel start and a first cell: fresh processes vs forks of the warm template.
bench-kernels: $(STAMP)
	$(BIN)/python benchmarks/bench_kernel_start.py

# Correct notebooks written in many ways, graded in one batch with the hostile corpus;
# last line: honest: K/N full marks, F flagged
honest: $(STAMP)
	$(BIN)/python -m from_memory.examples.honest

bench-oracle: $(STAMP)
	$(BIN)/python benchmarks/bench_oracle.py

# The generated parts of source/*/*.ipynb (drills, tasks, small cases, provided code); then `make release`.
source: $(STAMP)
	$(BIN)/python -m from_memory.course.build

release: $(STAMP)
	$(BIN)/from-memory release

clean:
	rm -rf $(VENV) gradebook.db feedback reports .pytest_cache demo
	find autograded -mindepth 1 ! -name README.md -delete
