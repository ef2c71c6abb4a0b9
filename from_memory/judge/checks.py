"""The judge's public face: every graded check, and running one in this process.

A hidden test cell calls ``check_<name>(function)`` from :mod:`from_memory.kernel`;
the kit's own tools (mutation testing, the demo class, the tests) grade a function in
this very process with :func:`run_step`, through the same probe, session and verdicts:

    run_step("hidden_delta", my_hidden_delta)                 # -> Verdict
    run_step("train", my_train, failed={"forward"})           # as if `forward` failed earlier

The checks are of three kinds: steps compared with the reference on fresh inputs
(:mod:`.steps`), plots judged through the figure's data (:mod:`.plots`), and the
capstone's properties (:mod:`.capstone`).
"""

from __future__ import annotations

import re

from from_memory.judge.capstone import PROPERTIES
from from_memory.judge.local import LocalTransport
from from_memory.judge.plots import PLOTS
from from_memory.judge.session import Session
from from_memory.judge.steps import STEPS
from from_memory.judge.verdicts import CHECKS, Verdict
from from_memory.kernel import probe

__all__ = ["CHECKS", "PLOTS", "PROPERTIES", "STEPS", "Verdict", "called", "function_of", "run_step"]

CHECK_CALL = re.compile(r"\bcheck_(\w+)\((\w+)\)")


def run_step(name: str, function, failed=()) -> Verdict:
    """Grade ``function`` as the check ``name``, here; ``failed``: steps taken to have failed earlier."""
    session = Session()
    session.verdicts = {step: Verdict(step, False) for step in failed}
    transport = LocalTransport(session)
    probe.run(name, function, transport)
    return transport.verdict


def function_of(name: str) -> str:
    """The name of the student's function that the check ``name`` grades (any other name: itself)."""
    check = CHECKS.get(name)
    return name if check is None else check.function


def called(source: str) -> list[tuple[str, str]]:
    """``[(check, function name)]`` for each graded check a test cell's source calls."""
    return [(name, function) for name, function in CHECK_CALL.findall(source) if name in CHECKS]


def test_cell_checks(cell) -> list[str]:
    """The checks a notebook cell calls, if it is a graded test cell (nbgrader ``grade``, code)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if cell.get("cell_type") != "code" or not meta.get("grade") or meta.get("solution"):
        return []
    return list(dict.fromkeys(name for name, _ in called(cell.get("source", ""))))
