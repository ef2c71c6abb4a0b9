"""With ``ParallelAutograde.clock = "cpu"``, do the time limits count the kernel's CPU time, not the wall clock?

The tiny course of ``test_grading`` with a 2 s limit per cell. Each submission defines
``double`` correctly, then spends its time in the same cell: spinning, sleeping,
spinning in a child process, or spinning on through the interrupt. A cell stopped at
its limit scores like any cell that raised; the cells after it are graded.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from test_grading import ASSIGNMENT, copy_course, gradebook_scores, make_course, submit

from from_memory import course
from from_memory.engine.grading import autograde

pytestmark = pytest.mark.nbgrader

DOUBLE = "def double(x):\n    return x + x\n"
SPINS = DOUBLE + "import time\nt = time.process_time()\nwhile time.process_time() - t < 60:\n    pass"
SLEEPS = DOUBLE + "import time\ntime.sleep({seconds})"
CHILD_SPINS = DOUBLE + ("import subprocess, sys\n"
                        "subprocess.run([sys.executable, '-c', 'while True: pass'], timeout=60)")
GOES_ON = DOUBLE + ("while True:\n    try:\n        while True:\n            pass\n"
                    "    except KeyboardInterrupt:\n        pass")
CPU = ["--ParallelAutograde.clock=cpu"]
CPU_MESSAGE = "the cell used more than 2 s of CPU time"
STOCK_MESSAGE = "No reply from kernel before timeout"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return make_course(tmp_path_factory.mktemp("clock") / "course", cell_timeout=2)


def answer_errors(root: Path, student: str) -> list[tuple[str, str]]:
    """(ename, last traceback line) of each error the autograded answer cell shows."""
    nb = nbformat.read(root / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    return [(o.ename, o.traceback[-1]) for o in cell.outputs if o.output_type == "error"]


@pytest.fixture(scope="module")
def cpu_graded(tiny, tmp_path_factory):
    """One run with clock=cpu: (course, {student: outcome})."""
    root = copy_course(tiny, tmp_path_factory.mktemp("cpu") / "course")
    for student, code in (("spins", SPINS), ("sleeps", SLEEPS.format(seconds=3)),
                          ("child-spins", CHILD_SPINS), ("goes-on", GOES_ON)):
        submit(root, student, code)
    outcomes = autograde(root, jobs=2, timeout=60, progress=False, argv=CPU)
    return root, {o.student: o for o in outcomes}


def test_a_cell_spinning_past_its_cpu_limit_is_stopped_and_the_rest_graded(cpu_graded):
    root, outcomes = cpu_graded
    assert (outcomes["spins"].status, outcomes["spins"].score) == ("graded", 3.0), outcomes["spins"].reason
    errors = answer_errors(root, "spins")
    assert [e for e, _ in errors] == ["KeyboardInterrupt", "CellTimeoutError"]  # stock's pair
    assert errors[-1][1].endswith(CPU_MESSAGE)


def test_a_sleeping_cell_uses_no_cpu_and_is_not_stopped(cpu_graded):
    """3 s of sleep against a 2 s limit: the limit is CPU time, whatever the machine's load."""
    root, outcomes = cpu_graded
    assert (outcomes["sleeps"].status, outcomes["sleeps"].score) == ("graded", 3.0), outcomes["sleeps"].reason
    assert answer_errors(root, "sleeps") == []


def test_the_cpu_time_of_the_kernels_children_counts(cpu_graded):
    root, outcomes = cpu_graded
    assert outcomes["child-spins"].status == "graded", outcomes["child-spins"].reason
    assert answer_errors(root, "child-spins")[-1][1].endswith(CPU_MESSAGE)


def test_a_cell_that_goes_on_when_interrupted_has_its_kernel_killed(cpu_graded):
    root, outcomes = cpu_graded
    assert outcomes["goes-on"].failed
    assert outcomes["goes-on"].reason == (
        "cell answer timed out after 2 s of CPU time and went on when interrupted (kernel stopped)")
    assert not (root / "autograded" / "goes-on" / ASSIGNMENT).exists()


def test_the_wall_clock_still_stops_a_cell_waiting_on_nothing(tiny, tmp_path):
    """A cell asleep for 600 s is stopped at wall_factor x its limit (4 s), with stock's timeout output."""
    root = copy_course(tiny, tmp_path / "course")
    submit(root, "sleeps-long", SLEEPS.format(seconds=600))
    # 60 s of CPU per notebook: 120 s of wall clock before the notebook would be failed instead
    (outcome,) = autograde(root, jobs=1, timeout=60, progress=False, argv=[*CPU, "--ParallelAutograde.wall_factor=2"])
    assert (outcome.status, outcome.score) == ("graded", 3.0), outcome.reason
    assert answer_errors(root, "sleeps-long")[-1] == (
        "CellTimeoutError", f"\x1b[0;31mCellTimeoutError\x1b[0m: {STOCK_MESSAGE}")


def test_a_notebooks_limit_counts_cpu_time_too(tiny, tmp_path):
    """3 s per notebook: 60 s of spinning fails it, 5 s of sleep does not."""
    root = copy_course(tiny, tmp_path / "course")
    submit(root, "spins", SPINS)
    submit(root, "sleeps", SLEEPS.format(seconds=5))
    outcomes = autograde(root, jobs=2, timeout=3, progress=False, argv=[*CPU, "--ExecutePreprocessor.timeout=600"])
    by_student = {o.student: o for o in outcomes}
    assert by_student["spins"].failed
    assert by_student["spins"].reason == "timed out after 3 s of CPU time (kernel stopped)"
    assert (by_student["sleeps"].status, by_student["sleeps"].score) == ("graded", 3.0), by_student["sleeps"].reason


def test_the_wall_clock_default_times_out_as_stock_nbgrader_does(tiny, tmp_path):
    """clock=wall (the default): a 3 s sleep against 2 s is stopped, with stock's outputs and scores."""
    stock = copy_course(tiny, tmp_path / "stock")
    ours = copy_course(tiny, tmp_path / "ours")
    for root in (stock, ours):
        submit(root, "sleeps", SLEEPS.format(seconds=3))
    subprocess.run([str(Path(sys.executable).parent / "nbgrader"), "autograde", ASSIGNMENT], cwd=stock,
                   env=course.environment(), capture_output=True, check=True)
    (outcome,) = autograde(ours, jobs=1, progress=False)
    assert outcome.status == "graded", outcome.reason
    assert answer_errors(ours, "sleeps") == answer_errors(stock, "sleeps")
    assert answer_errors(stock, "sleeps")[-1][1].endswith(STOCK_MESSAGE)
    assert gradebook_scores(ours) == gradebook_scores(stock)


def test_a_timed_out_test_cell_shows_the_timeout_not_its_keyboard_interrupt():
    """A test cell's outputs become one message: the limit it ran into, not the interrupt that stopped it."""
    from from_memory.engine.execute import cpu_timeout_output, judged_outputs

    class NothingRecorded:
        def recorded(self, name):
            return False

    interrupted = nbformat.v4.new_output("error", ename="KeyboardInterrupt", evalue="", traceback=["..."])
    cell = nbformat.v4.new_code_cell("check_forward(forward)", outputs=[interrupted, cpu_timeout_output(2)])
    (shown,) = judged_outputs(cell, NothingRecorded(), ["check_forward"])
    assert (shown.ename, shown.evalue, shown.traceback) == ("CellTimeoutError", CPU_MESSAGE, [
        f"CellTimeoutError: {CPU_MESSAGE}"])
