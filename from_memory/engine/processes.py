"""Processes a kernel leaves behind: adopted by the grading worker, found, and killed.

A kernel's children normally die with it (they share its process group), but one a
student's code starts in a session of its own outlives the kernel. A worker that calls
:func:`adopt_orphans` becomes the parent of every such orphan; :func:`kill_orphans`
then finds and kills them after each notebook. :func:`children` lists a process's
children, for that and for counting the CPU time of a kernel's descendants.
"""

from __future__ import annotations

import ctypes
import os
import platform

_PR_SET_CHILD_SUBREAPER = 36


def adopt_orphans() -> bool:
    """Become the parent of every orphan among this process's descendants (Linux "subreaper").

    A kernel's children normally die with it (they share its process group), but one
    started in a session of its own outlives the kernel; once adopted here,
    :func:`kill_orphans` can find it. Returns False where this is not supported.
    """
    if platform.system() != "Linux":
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def children(pid: int | None = None) -> list[int]:
    """The process ids whose parent is ``pid`` (default: this process), from /proc.

    Linux lists a process's children under each of its threads
    (``/proc/PID/task/TID/children``): a few files, however many processes the machine
    runs. Where the kernel does not provide those files, every process's parent is read.
    """
    pid = os.getpid() if pid is None else pid
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    found, listed = [], False
    for tid in threads:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as handle:
                found.extend(int(child) for child in handle.read().split())
        except OSError:
            continue  # the thread has ended, or there are no such files here
        listed = True
    return found if listed else _children_by_parent(pid)


def _children_by_parent(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        # the name (2nd field) is in parentheses and may hold spaces: the parent is 2 fields after it
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found.append(int(entry))
    return found


def kill_orphans(keep=()) -> list[int]:
    """SIGKILL and reap every child of this process not in ``keep``; return their ids.

    Call it after a kernel is shut down, in a process that called :func:`adopt_orphans`:
    what a student's code left running has become a child of this process. Killing
    one orphans its own children, which are adopted in turn: repeat until none is left.
    """
    import signal

    if not os.path.isdir("/proc"):
        return []
    keep = set(keep)
    killed: list[int] = []
    for _ in range(100):  # a bounded number of generations
        found = [pid for pid in children() if pid not in keep]
        if not found:
            break
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in found:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        killed += found
    return killed
