"""nbgrader's own autograde tests pass with ParallelAutograde doing the grading (tests/nbgrader_suite.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.nbgrader]

RUNNER = Path(__file__).with_name("nbgrader_suite.py")
LAST = re.compile(r"nbgrader autograde suite: (\d+)/(\d+) passed")
GRADED = re.compile(r"graded by (\S+) in (\d+) of (\d+) tests(?: \(nothing graded in (.*)\))?")
# nbgrader's tests that run no notebook through autograde: the help, and an assignment with
# nothing submitted (the converter starts and stops at once)
NOTHING_TO_GRADE = {"test_help", "test_missing_assignment"}


def run_suite(*args, env=None) -> tuple[int, list[str]]:
    done = subprocess.run([sys.executable, str(RUNNER), *args], capture_output=True, text=True,
                          env=env, check=False, timeout=3600)
    return done.returncode, done.stdout.splitlines()


def test_every_nbgrader_autograde_test_passes_with_the_engine_grading():
    code, lines = run_suite()
    passed, ran = map(int, LAST.fullmatch(lines[-1]).groups())
    assert ran > 0
    assert passed == ran, "\n".join(line for line in lines if line.startswith("FAILED"))
    assert code == 0
    side, graded, total, ungraded = GRADED.fullmatch(lines[-4]).groups()
    assert (side, int(total)) == ("ParallelAutograde", ran)
    assert set(ungraded.split(", ") if ungraded else ()) <= NOTHING_TO_GRADE
    assert int(graded) == ran - len(ungraded.split(", ") if ungraded else ())


def test_a_run_that_slips_through_to_stock_autograde_fails():
    """Without the Jupyter config folder holding select() (JUPYTER_NO_CONFIG), stock code grades."""
    code, lines = run_suite("-k", "test_missing_files", env={**os.environ, "JUPYTER_NO_CONFIG": "1"})
    assert LAST.fullmatch(lines[-1]).groups() == ("0", "1")
    assert code == 1
    assert any("nbgrader_suite: autograde started Autograde" in line for line in lines)
