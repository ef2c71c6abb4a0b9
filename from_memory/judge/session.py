"""The judge's side of one notebook's execution: specs, reference helpers, records, verdicts.

A :class:`Session` answers the three requests of a hidden test
(:mod:`from_memory.kernel.probe`): the *spec* of a check (the calls to make, the
arguments' order, and which earlier steps may be swapped), a *helper* call (the
reference's answer for a swapped step), and the *record* of outcomes, which it judges
(:func:`from_memory.judge.verdicts.judge`) and remembers, so that a later check knows
which of its helpers failed.

When the grading engine runs the notebook, it tells the session which check the
executing test cell calls (:meth:`Session.expect`, from the instructor's own cell
source); requests for any other check, or made while no test cell runs, are refused.
Helpers are answered only while their check runs, only for steps that check may lean
on, and only when they failed their own check already.
"""

from __future__ import annotations

from from_memory.judge import verdicts
from from_memory.judge.verdicts import CHECKS, Verdict
from from_memory.kernel import probe, wire


class Refused(Exception):
    """A request the judge will not answer; ``str()`` says why, for the student's cell."""


class Session:
    def __init__(self, enforce: bool = False):
        self.enforce = enforce  # only the check named by expect() may ask (the engine's mode)
        self.expected: frozenset = frozenset()
        self.verdicts: dict[str, Verdict] = {}
        self.records: dict[str, dict] = {}
        self.pending: set[str] = set()  # kept records not judged yet (see keep)
        self.swappable: dict[str, list[str]] = {}  # check -> helpers its spec allowed

    # -- the engine's side: which test cell is running ---------------------------------------

    def expect(self, names=()) -> None:
        """The executing test cell calls the checks ``names`` (none: no test cell is executing)."""
        self.expected = frozenset(names)
        for name in self.expected:
            self.records.pop(name, None)
            self.pending.discard(name)

    def recorded(self, name: str) -> bool:
        return name in self.records

    def _allowed(self, name: str) -> None:
        if name not in CHECKS:
            raise Refused(f"there is no graded step called {name!r}")
        if self.enforce and name not in self.expected:
            raise Refused(f"the check of `{name}` can only run in its own test cell")

    # -- the kernel's requests -----------------------------------------------------------------

    def failed(self) -> frozenset:
        """Steps a later check may see swapped for the reference: they are wrong on their own."""
        for name in sorted(self.pending):
            self._judged(name)
        return frozenset(name for name, v in self.verdicts.items() if not v.reliable)

    def spec(self, name: str) -> dict:
        self._allowed(name)
        check = CHECKS[name]
        swap = sorted(check.helpers & self.failed())
        self.swappable[name] = swap
        return {
            "calls": [case.kwargs for case in verdicts.calls_of(check)],
            "order": check.parameters,
            "plot": check.plot,
            "swap": swap,
            "function": check.function,
        }

    def helper(self, name: str, helper: str, args: list, kwargs: dict | None = None):
        """The reference's ``helper(*args, **kwargs)``, for the retry of check ``name``."""
        self._allowed(name)
        if helper not in self.swappable.get(name, ()):
            raise Refused(f"`{helper}` is not one of the steps `{name}` may lean on here")
        reference = verdicts.STEPS[helper].oracle
        with probe.silenced():
            try:
                result = reference(*args, **(kwargs or {}))  # validates its arguments
            except (TypeError, ValueError) as error:
                raise Refused(f"the reference `{helper}` refused its arguments: {error}") from None
        return wire.plain(result)

    def keep(self, name: str, record: dict) -> None:
        """Keep ``record`` for check ``name``, unjudged; the first record of a test cell counts.

        The engine judges it once its cell has executed (:meth:`verdict_of_cell`): the judge's
        time (the reference, a diagnosis running the catalog's mutants) is the grader's, never
        part of the cell's time limit, so a slow machine cannot turn a verdict into a timeout.
        """
        self._allowed(name)
        if self.enforce and name in self.records:
            return
        self.records[name] = record
        self.verdicts.pop(name, None)
        self.pending.add(name)

    def record(self, name: str, record: dict) -> Verdict:
        """Judge ``record`` for check ``name`` now (the judge in the kernel, with stock nbgrader)."""
        self.keep(name, record)
        return self._judged(name)

    def _judged(self, name: str) -> Verdict:
        if name in self.pending:
            self.pending.discard(name)
            leaning = self.failed() & frozenset(self.swappable.get(name, ()))
            self.verdicts[name] = verdicts.judge(name, self.records[name], leaning)
        return self.verdicts[name]

    def verdict_of_cell(self, name: str) -> Verdict:
        """The verdict of the test cell that calls check ``name``, once it has executed."""
        if name in self.records:
            return self._judged(name)
        verdict = verdicts.judge(name, None)
        self.verdicts[name] = verdict
        return verdict
