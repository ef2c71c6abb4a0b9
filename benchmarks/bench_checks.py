"""CPU time of every hidden check, graded on the reference's own code.

For each check (the steps, the plots, the capstone's properties) the reference function,
compiled from its source as a student's notebook holds it, is graded in this process
(:func:`from_memory.judge.checks.run_step`) twice:

* ``first``: with the judge's caches emptied, so it includes building the check's inputs
  and the reference's own outcomes (paid once per grading run, shared by every student);
* ``student``: the best of ``REPEATS`` further runs, which only call the student's function
  on every case and compare (paid once per student).

Both are CPU seconds of this single-threaded process (``time.process_time``), so a busy
machine slows them little; the load average is printed with them. The last line reads
``checks: student S ms, first F ms (load L)``, summed over the checks.

Run: ``python benchmarks/bench_checks.py`` (at any commit: it imports the checkout it sits in).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import matplotlib

matplotlib.use("Agg")

from from_memory.judge import capstone, checks, mutants, plots, steps, verdicts

REPEATS = 3


def reference_code(name: str):
    """The reference function the check ``name`` grades, as a student's notebook defines it."""
    function = checks.function_of(name)
    return mutants.compile_function(function, mutants.oracle_source(function), "<notebook>")


def empty_caches() -> None:
    for cached in (steps._cases, plots._cases, verdicts.reference_outcomes, capstone._reference_first_iteration):
        cached.cache_clear()


def cpu_of(name: str, function) -> float:
    start = time.process_time()
    verdict = checks.run_step(name, function)
    spent = time.process_time() - start
    if not verdict.passed:
        raise SystemExit(f"the reference fails its own check {name}: {verdict.message}")
    return spent


def main() -> int:
    rows = []
    for name in checks.CHECKS:
        function = reference_code(name)
        empty_caches()
        first = cpu_of(name, function)
        student = min(cpu_of(name, function) for _ in range(REPEATS))
        rows.append((name, student, first))
        print(f"{name:42s} student {student * 1e3:8.1f} ms   first {first * 1e3:8.1f} ms", flush=True)
    load = os.getloadavg()[0]
    total_student = sum(r[1] for r in rows) * 1e3
    total_first = sum(r[2] for r in rows) * 1e3
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"checks: student {total_student:.0f} ms, first {total_first:.0f} ms (load {load:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
