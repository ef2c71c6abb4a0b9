"""The judge inside the kernel: for notebooks graded without the grading engine.

Stock ``nbgrader autograde`` and ``nbgrader validate`` run hidden tests in the
student's kernel with no grader process beside it, so there the check judges in the
kernel itself (the reference imported next to the student's code; see the README for
what that path protects). The flow is the engine's, with the session in this process.
"""

from __future__ import annotations

from from_memory.judge.session import Session
from from_memory.kernel import wire

SESSION = Session()  # one per kernel: it remembers which steps failed in this notebook


class LocalTransport:
    """The probe's transport when the judge runs in the same process."""

    def __init__(self, session: Session = SESSION):
        self.session = session
        self.running: str | None = None
        self.verdict = None

    def spec(self, name: str) -> dict:
        self.running = name
        return self.session.spec(name)

    def helper_stub(self, helper: str):
        session, name = self.session, self.running

        def reference_helper(*args, **kwargs):
            return session.helper(name, helper, [wire.plain(a) for a in args],
                                  {k: wire.plain(v) for k, v in kwargs.items()})

        reference_helper.__name__ = helper
        return reference_helper

    def record(self, name: str, record: dict):
        self.verdict = self.session.record(name, record)
        return self.verdict
