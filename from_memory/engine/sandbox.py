"""Keep a process from writing files outside the folders it is given (Linux Landlock).

The autograder's kernels run students' code as the grader's own OS user. Without a
sandbox, that code can write anywhere the grader can: the gradebook, other
students' folders, the course's config. :func:`confine` asks the Linux kernel
(Landlock, Linux >= 5.13, no privileges needed) to refuse this process and all
its children every write, file creation, removal or rename outside ``writable``,
and (Linux >= 6.12) every signal to a process outside the sandbox.
Reading is left alone (Python must import its modules); it is one-way: the
process can never undo it.

    from from_memory.engine import sandbox
    sandbox.confine([os.getcwd(), "/dev"])    # True when the kernel enforces it

Where Landlock is missing (another OS, an old or restricted kernel) it returns
False and nothing changes: grading still works, unconfined.
"""

from __future__ import annotations

import ctypes
import os
import platform

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446  # the same on every Linux architecture
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

# Landlock's filesystem rights (linux/landlock.h), by the ABI version that introduced them.
WRITE_FILE = 1 << 1
REMOVE_DIR, REMOVE_FILE = 1 << 4, 1 << 5
MAKE_CHAR, MAKE_DIR, MAKE_REG, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM = (
    1 << n for n in range(6, 13)
)
REFER = 1 << 13  # ABI 2: link or rename across folders
TRUNCATE = 1 << 14  # ABI 3
_WRITES = (
    WRITE_FILE
    | REMOVE_DIR
    | REMOVE_FILE
    | MAKE_CHAR
    | MAKE_DIR
    | MAKE_REG
    | MAKE_SOCK
    | MAKE_FIFO
    | MAKE_BLOCK
    | MAKE_SYM
)
_FILE_ONLY = WRITE_FILE | TRUNCATE  # the rights that make sense on a file (not a folder)


SCOPE_SIGNAL = 1 << 1  # ABI 6: no signals to processes outside the sandbox


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def abi_version() -> int:
    """The Landlock ABI this kernel offers; 0 when there is none."""
    if platform.system() != "Linux":
        return 0
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    version = libc.syscall(
        _CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION)
    )
    return max(int(version), 0)


def confine(writable) -> bool:
    """Refuse, from now on, every write of this process outside the folders in ``writable``.

    Where the kernel supports it (Landlock ABI 6, Linux 6.12), signals to processes
    outside the sandbox are refused too: no killing the grader or another student's kernel.

    Paths that do not exist are skipped. Returns False (and changes nothing) when the
    kernel has no Landlock; raises OSError if Landlock is there but refuses the rules.
    """
    abi = abi_version()
    if abi < 1:
        return False
    handled = _WRITES | (REFER if abi >= 2 else 0) | (TRUNCATE if abi >= 3 else 0)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    attr = _RulesetAttr(handled, 0, SCOPE_SIGNAL if abi >= 6 else 0)
    size = 8 if abi < 4 else 16 if abi < 6 else 24  # the struct grew with the ABI
    ruleset = libc.syscall(
        _CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0)
    )
    if ruleset < 0:
        raise OSError(
            ctypes.get_errno(), "landlock_create_ruleset: " + os.strerror(ctypes.get_errno())
        )
    try:
        for path in writable:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except FileNotFoundError:
                continue
            try:
                allowed = handled if os.path.isdir(path) else handled & _FILE_ONLY
                rule = _PathBeneathAttr(allowed, fd)
                if (
                    libc.syscall(
                        _ADD_RULE,
                        ctypes.c_int(ruleset),
                        ctypes.c_int(_RULE_PATH_BENEATH),
                        ctypes.byref(rule),
                        ctypes.c_uint32(0),
                    )
                    < 0
                ):
                    raise OSError(
                        ctypes.get_errno(),
                        f"landlock_add_rule {path}: {os.strerror(ctypes.get_errno())}",
                    )
            finally:
                os.close(fd)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
        if libc.syscall(_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) < 0:
            raise OSError(
                ctypes.get_errno(), "landlock_restrict_self: " + os.strerror(ctypes.get_errno())
            )
    finally:
        os.close(ruleset)
    return True


def kernel_folders(cwd: str) -> list[str]:
    """What a grading kernel may write: its own folder (the student's autograded copy) and devices."""
    return [cwd, "/dev/null", "/dev/shm", "/dev/pts", "/dev/tty"]


# -- processes a kernel leaves behind ---------------------------------------------------

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
    """The process ids whose parent is ``pid`` (default: this process), from /proc."""
    pid = os.getpid() if pid is None else pid
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
