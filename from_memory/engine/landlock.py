"""Linux Landlock, as the kernel offers it: rights, rule sets and the three system calls.

Landlock (Linux >= 5.13, no privileges needed) lets a process refuse itself, and all
its future children, accesses it has not listed. A *rule set* names the accesses it
handles; rules then allow some of them beneath a folder (or on one file), or on a TCP
port; :meth:`Ruleset.restrict` makes it law for the calling thread, for good. Whatever
a rule set does not handle stays as it was. Each ABI version adds what it can handle:

    1  Linux 5.13  files: execute, read, list, write, create, remove
    2  Linux 5.19  link or rename into another folder (REFER)
    3  Linux 6.2   truncate
    4  Linux 6.7   TCP bind and connect, by port
    5  Linux 6.10  ioctl on devices
    6  Linux 6.12  scopes: signals and abstract Unix sockets, to processes outside
    7  Linux 6.15  audit logs of refused accesses (nothing more is refused)

:mod:`from_memory.engine.sandbox` decides what a grading kernel may do; this module
only speaks to the kernel.
"""

from __future__ import annotations

import ctypes
import os
import platform
import stat

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446  # the same on every Linux architecture
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH, _RULE_NET_PORT = 1, 2
_PR_SET_NO_NEW_PRIVS = 38

# Filesystem rights (linux/landlock.h).
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE = 1 << 4, 1 << 5
MAKE_CHAR, MAKE_DIR, MAKE_REG, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM = (
    1 << n for n in range(6, 13)
)
REFER = 1 << 13  # ABI 2
TRUNCATE = 1 << 14  # ABI 3
WRITES = (
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
READS = EXECUTE | READ_FILE | READ_DIR
# The rights a rule on a file (not a folder) may carry; the others concern folders only.
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE

# Network rights (ABI 4) and scopes (ABI 6).
BIND_TCP, CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class _NetPortAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("port", ctypes.c_uint64)]


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def _fail(what: str) -> OSError:
    errno = ctypes.get_errno()
    return OSError(errno, f"{what}: {os.strerror(errno)}")


def abi_version() -> int:
    """The Landlock ABI this kernel offers; 0 when there is none."""
    if platform.system() != "Linux":
        return 0
    version = _libc().syscall(
        _CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION)
    )
    return max(int(version), 0)


def threads() -> int:
    """How many threads this process has (Landlock confines only the thread that asks)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 1


class Ruleset:
    """One rule set: what it handles, then rules, then :meth:`restrict`. Closes itself."""

    def __init__(self, abi: int, fs: int, net: int = 0, scoped: int = 0):
        self.libc = _libc()
        attr = _RulesetAttr(fs, net, scoped)
        size = 8 if abi < 4 else 16 if abi < 6 else 24  # the structure grew with the ABI
        self.fd = self.libc.syscall(
            _CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0)
        )
        if self.fd < 0:
            raise _fail("landlock_create_ruleset")

    def _add(self, kind: int, rule, what: str) -> None:
        args = (ctypes.c_int(self.fd), ctypes.c_int(kind), ctypes.byref(rule), ctypes.c_uint32(0))
        if self.libc.syscall(_ADD_RULE, *args) < 0:
            raise _fail(f"landlock_add_rule {what}")

    def allow_path(self, path: str, rights: int) -> bool:
        """Allow ``rights`` beneath ``path`` (file rights only, on a file); False if it is gone."""
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except FileNotFoundError:
            return False
        try:
            if not stat.S_ISDIR(os.fstat(fd).st_mode):
                rights &= FILE_RIGHTS
            if rights:
                self._add(_RULE_PATH_BENEATH, _PathBeneathAttr(rights, fd), path)
        finally:
            os.close(fd)
        return True

    def allow_port(self, port: int, rights: int) -> None:
        self._add(_RULE_NET_PORT, _NetPortAttr(rights, port), f"port {port}")

    def restrict(self) -> None:
        """Make the rule set law for this thread and its future children, for good."""
        if self.libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise _fail("prctl(PR_SET_NO_NEW_PRIVS)")
        if self.libc.syscall(_RESTRICT_SELF, ctypes.c_int(self.fd), ctypes.c_uint32(0)) < 0:
            raise _fail("landlock_restrict_self")

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
