"""nbgrader's ``Execute``, with the judge writing the output of every graded test cell.

Before a graded test cell runs, the judge session learns which checks the cell
calls (from the cell's own source, which nbgrader has restored from the gradebook);
only those may ask for a spec or a reference helper while it runs. Afterwards the
cell's outputs are replaced by the verdicts: one stdout line per passing check, or
one error output carrying the first failure's message (so nbgrader scores the cell
exactly as it would score a check run in the kernel). Whatever the student's code
printed in that cell, or did to the kernel's own display of errors, is gone. A test
cell whose visible part failed keeps that error, with its traceback cut to the
message: feedback never shows the hidden test's source.
"""

from __future__ import annotations

import os
import re
import time

from jupyter_core.utils import run_sync
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Any

from from_memory.judge.checks import test_cell_checks
from from_memory.kernel.compare import StepFailed

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def failure_output(message: str):
    return new_output("error", ename="StepFailed", evalue=message,
                      traceback=StepFailed(message)._render_traceback_())


def message_only(output):
    """An error output with its traceback cut to ``ename: evalue`` (no source lines)."""
    ename = ANSI.sub("", str(output.get("ename", "Error")))
    evalue = ANSI.sub("", str(output.get("evalue", "")))
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}".rstrip(": ")])


def judged_outputs(cell, session, names) -> list:
    """The outputs a graded test cell gets from the judge, once it has executed."""
    if not all(session.recorded(name) for name in names):
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors:  # the visible part failed before the check, or the cell timed out
            return [message_only(errors[0])]
    verdicts = [session.verdict_of_cell(name) for name in names]
    failed = [v for v in verdicts if not v.passed]
    if failed:
        return [failure_output(failed[0].message)]
    return [new_output("stream", name="stdout", text="".join(v.message + "\n" for v in verdicts))]


def kind_of(cell) -> str:
    """Where a cell's time goes in the breakdown: the instructor's setup, the student's code, or checks."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if meta.get("grade") and not meta.get("solution"):
        return "checks"
    if meta.get("locked"):
        return "setup"
    return "student"


def process_cpu(pid: int | None) -> float:
    """CPU seconds (user + system) a process has used so far, from /proc; 0 where unknown."""
    if not pid:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class JudgedExecute(Execute):
    """Execute a notebook, the judge session (``session``, ``lock``) answering its graded checks.

    ``cpu`` gathers where the kernel's CPU time went: ``start`` (to its first cell), then
    ``setup``, ``student`` and ``checks`` cells (see :func:`kind_of`).
    """

    session = Any(None, allow_none=True)
    lock = Any(None, allow_none=True)
    kernel_pid = Any(None, allow_none=True)
    cpu = Any(None, allow_none=True)

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        if self.cpu is None:
            self.cpu = {"start": process_cpu(self.kernel_pid), "setup": 0.0, "student": 0.0, "checks": 0.0}
        before = process_cpu(self.kernel_pid)
        try:
            return await self._judged_cell(cell, cell_index, execution_count, store_history)
        finally:
            self.cpu[kind_of(cell)] += process_cpu(self.kernel_pid) - before

    async def _judged_cell(self, cell, cell_index, execution_count, store_history):
        names = test_cell_checks(cell) if self.session is not None else []
        if names:
            with self.lock:
                self.session.expect(names)
        try:
            cell = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        finally:
            if names:
                with self.lock:
                    self.session.expect(())
        if names:
            started = time.thread_time()
            with self.lock:
                cell.outputs = judged_outputs(cell, self.session, names)
            self.cpu["judge"] = self.cpu.get("judge", 0.0) + time.thread_time() - started
        return cell

    # nbclient binds its synchronous twin to the base class's coroutine: bind it to this one
    execute_cell = run_sync(async_execute_cell)
