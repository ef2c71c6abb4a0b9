"""Whether a process has exited, for tests that check what a kernel or a worker leaves behind."""

from __future__ import annotations

import contextlib
import os


def exited(pid: int) -> bool:
    """Whether ``pid`` has exited: no such process, or a zombie (exited, not reaped yet).

    Who reaps an orphan is whichever ancestor is a Linux subreaper, and a process that once
    started a warm template is one for the rest of its life: a zombie that is this process's
    own child is reaped here.
    """
    try:
        with open(f"/proc/{pid}/stat") as handle:
            state = handle.read().rpartition(")")[2].split()[0]
    except OSError:
        return True
    if state != "Z":
        return False
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    return True
