"""What runs inside a student's kernel: small, and fast to import.

A hidden test cell is one line, ``from from_memory.kernel import check_forward;
check_forward(forward)``: ``check_<step>`` names are made on demand for every graded
step, plot and capstone property. The check runs the student's function on the
judge's inputs and hands the outcomes over as plain data (:mod:`.probe`); the judge
compares them with the reference. Under the grading engine the judge is in the
grader's process, reached through :mod:`.channel`, and the reference is never in
this one; without it (stock ``nbgrader autograde``), the judge runs here
(:mod:`from_memory.judge.local`).
"""

from __future__ import annotations

CHECK_PREFIX = "check_"


def check(step: str, function) -> None:
    """Grade ``function`` as ``step``: print one line when it passes, raise StepFailed when not.

    Returns None on purpose: a value would become the test cell's output, which
    nbgrader tries to read as a partial score.
    """
    from from_memory.kernel import channel, probe
    from from_memory.kernel.compare import StepFailed

    transport = channel.transport()
    if transport is None:
        from from_memory.judge.local import LocalTransport  # stock nbgrader: the judge runs here

        transport = LocalTransport()
    probe.run(step, function, transport)
    verdict = transport.verdict
    passed, message = (verdict["passed"], verdict["message"]) if isinstance(verdict, dict) else (
        verdict.passed, verdict.message)
    if not passed:
        raise StepFailed(message)
    print(message)


def __getattr__(name: str):
    if not name.startswith(CHECK_PREFIX):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    step = name[len(CHECK_PREFIX) :]

    def check_step(function):
        return check(step, function)

    check_step.__name__ = check_step.__qualname__ = name
    check_step.__doc__ = f"Hidden test of `{step}`: compare it with the reference; raise StepFailed if it differs."
    return check_step
