"""Keep a process from writing files outside the folders it is given (Linux Landlock).

The autograder's kernels run students' code as the grader's own OS user. Without a
sandbox, that code can write anywhere the grader can: the gradebook, other
students' folders, the course's config. :func:`confine` asks the Linux kernel
(Landlock, Linux >= 5.13, no privileges needed) to refuse this process and all
its children every write, file creation, removal or rename outside ``writable``.
Reading is left alone (Python must import its modules); it is one-way: the
process can never undo it.

    from from_memory import sandbox
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
MAKE_CHAR, MAKE_DIR, MAKE_REG, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM = (1 << n for n in range(6, 13))
REFER = 1 << 13  # ABI 2: link or rename across folders
TRUNCATE = 1 << 14  # ABI 3
_WRITES = WRITE_FILE | REMOVE_DIR | REMOVE_FILE | MAKE_CHAR | MAKE_DIR | MAKE_REG | MAKE_SOCK | MAKE_FIFO \
    | MAKE_BLOCK | MAKE_SYM
_FILE_ONLY = WRITE_FILE | TRUNCATE  # the rights that make sense on a file (not a folder)


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def abi_version() -> int:
    """The Landlock ABI this kernel offers; 0 when there is none."""
    if platform.system() != "Linux":
        return 0
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    version = libc.syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION))
    return max(int(version), 0)


def confine(writable) -> bool:
    """Refuse, from now on, every write of this process outside the folders in ``writable``.

    Paths that do not exist are skipped. Returns False (and changes nothing) when the
    kernel has no Landlock; raises OSError if Landlock is there but refuses the rules.
    """
    abi = abi_version()
    if abi < 1:
        return False
    handled = _WRITES | (REFER if abi >= 2 else 0) | (TRUNCATE if abi >= 3 else 0)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    attr = _RulesetAttr(handled)
    ruleset = libc.syscall(_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)),
                           ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset: " + os.strerror(ctypes.get_errno()))
    try:
        for path in writable:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except FileNotFoundError:
                continue
            try:
                allowed = handled if os.path.isdir(path) else handled & _FILE_ONLY
                rule = _PathBeneathAttr(allowed, fd)
                if libc.syscall(_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(_RULE_PATH_BENEATH),
                                ctypes.byref(rule), ctypes.c_uint32(0)) < 0:
                    raise OSError(ctypes.get_errno(), f"landlock_add_rule {path}: {os.strerror(ctypes.get_errno())}")
            finally:
                os.close(fd)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
        if libc.syscall(_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) < 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self: " + os.strerror(ctypes.get_errno()))
    finally:
        os.close(ruleset)
    return True


def kernel_folders(cwd: str) -> list[str]:
    """What a grading kernel may write: its own folder (the student's autograded copy) and devices."""
    return [cwd, "/dev/null", "/dev/shm", "/dev/pts", "/dev/tty"]
