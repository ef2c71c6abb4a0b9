"""What runs inside a student's kernel: small, and fast to import.

A hidden test cell is one line, ``from from_memory.kernel import check_forward;
check_forward(forward)``: ``check_<step>`` names are made on demand for every graded
step, plot and capstone property.
"""

from __future__ import annotations

CHECK_PREFIX = "check_"


def check(step: str, function) -> None:
    """Grade ``function`` as ``step``: print one line when it passes, raise StepFailed when not."""
    from from_memory.judge.checks import check as judged

    judged(step, function)


def __getattr__(name: str):
    if not name.startswith(CHECK_PREFIX):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    step = name[len(CHECK_PREFIX) :]

    def check_step(function):
        return check(step, function)

    check_step.__name__ = check_step.__qualname__ = name
    check_step.__doc__ = f"Hidden test of `{step}`: compare it with the reference; raise StepFailed if it differs."
    return check_step
