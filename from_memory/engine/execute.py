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

With ``clock="cpu"`` a cell's time limit (nbgrader's ``Execute.timeout``) counts the
CPU time its kernel uses, the kernel's children included, so a busy machine cannot
change a grade: a watcher reads it from /proc a few times a second and, past the
limit, interrupts the kernel as nbclient's own timeout does (the cell ends with a
``CellTimeoutError`` output saying so, and the next cell runs), then kills it if the
cell goes on. nbclient's wall-clock timeout stays as a backstop, at ``wall_factor``
times the limit, for a kernel that waits on nothing.
"""

from __future__ import annotations

import asyncio
import os
import re
import time

from jupyter_core.utils import ensure_async, run_sync
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Any, Enum, Float

from from_memory.engine.processes import children
from from_memory.judge.checks import test_cell_checks
from from_memory.kernel.compare import StepFailed

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TIMEOUT = "CellTimeoutError"  # the ename of nbgrader's output for a cell stopped at its limit
POLL = 0.25  # seconds between two readings of a kernel's CPU time
GRACE = 5.0  # CPU seconds an interrupted cell may still use to stop before its kernel is killed


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
        errors.sort(key=lambda o: o.get("ename") != TIMEOUT)  # a timeout says more than its KeyboardInterrupt
        if errors:  # the visible part failed before the check, or the cell timed out
            return [message_only(errors[0])]
    verdicts = [session.verdict_of_cell(name) for name in names]
    failed = [v for v in verdicts if not v.passed]
    if failed:
        return [failure_output(failed[0].message)]
    return [new_output("stream", name="stdout", text="".join(v.message + "\n" for v in verdicts))]


KERNEL_PARTS = ("start", "setup", "student", "checks")  # where a kernel's CPU goes, to its last cell


def kind_of(cell) -> str:
    """Where a cell's time goes in the breakdown: the instructor's setup, the student's code, or checks."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if meta.get("grade") and not meta.get("solution"):
        return "checks"
    if meta.get("locked"):
        return "setup"
    return "student"


def _ticks(pid: int, waited: bool = False) -> int:
    """Clock ticks a process has used (utime + stime; with ``waited``, its waited-for children's too)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rpartition(")")[2].split()
    except OSError:
        return 0
    return sum(int(f) for f in fields[11:15 if waited else 13])


def process_cpu(pid: int | None) -> float:
    """CPU seconds (user + system) a process has used so far, from /proc; 0 where unknown."""
    return _ticks(pid) / os.sysconf("SC_CLK_TCK") if pid else 0.0


def kernel_cpu(pid: int | None) -> float:
    """CPU seconds a kernel has used: its own and its living descendants', and those of the children they waited for."""
    ticks, todo, seen = 0, [pid] if pid else [], set()
    while todo:
        process = todo.pop()
        if process not in seen:
            seen.add(process)
            ticks += _ticks(process, waited=True)
            todo.extend(children(process))
    return ticks / os.sysconf("SC_CLK_TCK")


def cpu_timeout_output(limit: float):
    """What a cell stopped at its CPU-time limit shows: nbgrader's timeout output, saying which clock."""
    message = f"the cell used more than {limit:g} s of CPU time"
    return new_output("error", ename=TIMEOUT, evalue=message,
                      traceback=[f"\x1b[0;31m{TIMEOUT}\x1b[0m: {message}"])


class JudgedExecute(Execute):
    """Execute a notebook, the judge session (``session``, ``lock``) answering its graded checks.

    ``cpu`` gathers where the kernel's CPU time went: ``start`` (to its first cell), then
    ``setup``, ``student`` and ``checks`` cells (see :func:`kind_of`). With ``clock="cpu"``,
    ``stopped`` says why a kernel was killed at a cell's limit, when it was.
    """

    session = Any(None, allow_none=True)
    lock = Any(None, allow_none=True)
    kernel_pid = Any(None, allow_none=True)
    cpu = Any(None, allow_none=True)
    clock = Enum(("wall", "cpu"), "wall")
    wall_factor = Float(10.0)
    stopped = Any("")

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        if self.cpu is None:
            self.cpu = dict.fromkeys(KERNEL_PARTS, 0.0)
            self.cpu["start"] = process_cpu(self.kernel_pid)
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
            cell = await self._limited_cell(cell, cell_index, execution_count, store_history)
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

    def _get_timeout(self, cell):
        """nbclient's wall-clock timeout of a cell: its limit, or with ``clock="cpu"`` the backstop."""
        limit = super()._get_timeout(cell)
        return limit * self.wall_factor if limit and self.clock == "cpu" else limit

    async def _limited_cell(self, cell, cell_index, execution_count, store_history):
        limit = super()._get_timeout(cell) if self.clock == "cpu" and self.kernel_pid else None
        if not limit or cell.cell_type != "code" or not cell.source.strip():
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        interrupted = asyncio.Event()
        name = cell.metadata.get("nbgrader", {}).get("grade_id") or f"#{cell_index + 1}"
        deadline = kernel_cpu(self.kernel_pid) + limit
        watcher = asyncio.ensure_future(self._watch_cpu(f"cell {name}", limit, deadline, interrupted))
        try:
            cell = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        finally:
            watcher.cancel()
        if interrupted.is_set():
            cell.outputs.append(cpu_timeout_output(limit))
        return cell

    async def _watch_cpu(self, name: str, limit: float, deadline: float, interrupted: asyncio.Event) -> None:
        """Interrupt the kernel once its CPU time passes ``deadline``; kill it :data:`GRACE` seconds later."""
        from from_memory.engine.worker import kill_group

        while True:
            await asyncio.sleep(POLL)
            used = kernel_cpu(self.kernel_pid)
            if not interrupted.is_set() and used > deadline:
                self.log.error("Cell over its CPU time (%gs): interrupting kernel", limit)
                interrupted.set()
                await ensure_async(self.km.interrupt_kernel())
            elif interrupted.is_set() and used > deadline + GRACE:
                self.stopped = f"{name} timed out after {limit:g} s of CPU time and went on when interrupted"
                kill_group(self.kernel_pid)
                return

    # nbclient binds its synchronous twin to the base class's coroutine: bind it to this one
    execute_cell = run_sync(async_execute_cell)
