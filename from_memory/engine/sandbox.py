"""Confine a grading kernel: what it may write, read, signal and reach (Linux Landlock).

The autograder's kernels run students' code as the grader's own OS user. Without a
sandbox that code can read the reference solution, the hidden tests and the gradebook,
and write anywhere the grader can. :func:`confine` asks the Linux kernel (Landlock,
:mod:`from_memory.engine.landlock`) to refuse this process and every child it starts,
for good:

* every write, file creation, removal or rename outside ``writable``;
* every read (open, list, execute) of a ``protected`` path, except the ``exceptions``
  inside it (Landlock only allows, so the rules allow everything else: :func:`read_rules`);
* every TCP connect, and every TCP bind except to ``tcp_bind_ports`` (ABI >= 4);
* every signal to a process outside the sandbox (ABI >= 6);
* and it drops the process's Linux capabilities (a grader running as root keeps none).

It returns :class:`Enforced`, which says what this machine's kernel really enforces.
A grading kernel is confined by a launcher that runs just before it becomes the kernel:

    python -I -m from_memory.engine.launcher --course ROOT -- python -m ipykernel_launcher -f conn.json

:func:`kernel_policy` is what that launcher protects; ``launcher.kernel_home`` prepares,
once per batch, the private home (IPython profile, matplotlib font cache) that lets a
kernel start without writing outside its folder. Where Landlock is missing (another OS, an old
or restricted kernel) nothing changes and :class:`Enforced` says so.
"""

from __future__ import annotations

import ctypes
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from from_memory.engine import landlock
from from_memory.engine.landlock import abi_version

__all__ = ["Enforced", "abi_version", "confine", "enforced_here", "read_rules"]


@dataclass(frozen=True)
class Enforced:
    """What a confined process has refused itself; all False where Landlock is missing."""

    abi: int  # the Landlock ABI of this machine's kernel (0: none)
    write: bool = False  # writes outside the writable folders
    read: bool = False  # reads of the protected paths
    signal: bool = False  # signals to processes outside the sandbox (ABI >= 6)
    net: bool = False  # TCP connect, and TCP bind but to the given ports (ABI >= 4)
    privileges: bool = False  # no Linux capabilities left, not even after exec

    def __bool__(self) -> bool:
        return self.write

    def line(self) -> str:
        """One line for the grader's report: ``sandbox (Landlock ABI 7): write, read, ...``."""
        parts = [
            name for name in ("write", "read", "signal", "net", "privileges") if getattr(self, name)
        ]
        missing = [name for name in ("write", "read", "signal", "net") if not getattr(self, name)]
        if not parts:
            return f"sandbox: nothing enforced (Landlock ABI {self.abi})"
        tail = f"; not enforced: {', '.join(missing)}" if missing else ""
        return f"sandbox (Landlock ABI {self.abi}): {', '.join(parts)}{tail}"


def enforced_here(*, read: bool = True, net: bool = True) -> Enforced:
    """What :func:`confine` enforces on this machine, asked for reads and the network or not.

    Nothing is confined: the engine calls it to say what its kernels get.
    """
    abi = abi_version()
    if abi < 1:
        return Enforced(abi)
    return Enforced(abi, True, read, abi >= 6, net and abi >= 4, True)


# -- reads: "everything but the protected paths", as an allowlist ----------------------

# Execute goes with read, wherever read is allowed. Running a program needs both (the
# kernel opens it for reading), so a protected program cannot be run either way; handling
# it keeps "protected" meaning unreadable and unrunnable whatever is granted elsewhere.
DIR_READS = landlock.READS  # execute, read files, list folders: beneath an allowed folder
FILE_READS = landlock.READS & landlock.FILE_RIGHTS  # execute and read: an allowed file


def _real(paths: Iterable) -> list[str]:
    """The real paths (symlinks resolved) of those that exist."""
    found = []
    for path in paths:
        path = os.path.realpath(os.fspath(path))
        if os.path.lexists(path):
            found.append(path)
    return found


def _inside(path: str, folder: str) -> bool:
    """Whether ``path`` is strictly beneath ``folder``."""
    return path.startswith(folder.rstrip("/") + "/")


def read_rules(protected, exceptions=(), listable=(), root="/") -> list[tuple[str, int]]:
    """The fewest Landlock read rules that leave readable everything but ``protected``.

    A path is readable unless its nearest marked ancestor (itself included) is in
    ``protected``; ``exceptions`` mark readable paths again inside protected ones, and a
    protected path inside an exception is protected again. Landlock can only allow, and
    a rule allows everything beneath its folder, so the rules split: starting from
    ``root``, a folder with nothing of another kind beneath it gets one rule (or none,
    when it is protected); any other folder gets none itself, and each of its entries is
    considered in turn. Split folders, and protected ones, cannot be listed: a kernel sees
    neither other students' names nor the files of the solution. ``listable`` folders
    may be listed anyway (names only, their whole subtree): a protected package whose
    exceptions Python imports, since Python lists a package's folder to find a submodule.

    Paths are resolved; those that do not exist are ignored. Symbolic links get no rule:
    Landlock judges the file they lead to, where it lives. Nothing is written; only
    folder listings are read. Returns ``[(path, rights)]`` sorted by path.
    """
    marks = {path: False for path in _real(protected)}
    marks.update({path: True for path in _real(exceptions)})
    rules: list[tuple[str, int]] = []

    def visit(path: str, readable: bool, is_dir: bool) -> None:
        below = [mark for mark in marks if _inside(mark, path)] if is_dir else []
        if all(marks[mark] == readable for mark in below):
            if readable:
                rules.append((path, DIR_READS if is_dir else FILE_READS))
            return
        try:
            entries = sorted(os.scandir(path), key=lambda entry: entry.name)
        except OSError:  # unlistable (gone, or not ours to read): nothing is allowed in it
            return
        for entry in entries:
            if entry.is_symlink():
                continue
            visit(entry.path, marks.get(entry.path, readable), entry.is_dir(follow_symlinks=False))

    root = os.path.realpath(root)
    visit(root, marks.get(root, True), os.path.isdir(root))
    covered = [path for path, rights in rules if rights & landlock.READ_DIR]
    for folder in _real(listable):
        if os.path.isdir(folder) and not any(
            folder == path or _inside(folder, path) for path in covered
        ):
            rules.append((folder, landlock.READ_DIR))
    return sorted(rules)


# -- confinement -----------------------------------------------------------------------


def confine(
    writable,
    protected=(),
    exceptions=(),
    listable=(),
    tcp_bind_ports=None,
) -> Enforced:
    """Refuse, from now on, what this process and its children may not do; say what is refused.

    Writes are refused outside ``writable`` (folders or files; those are readable too).
    When ``protected`` is given, reads are refused in it but in ``exceptions``
    (:func:`read_rules`, which also says what ``listable`` is). When ``tcp_bind_ports``
    is a list (maybe empty), TCP connect is refused and so is TCP bind, but to those ports
    (and, ABI >= 6, connecting to abstract Unix sockets made outside the sandbox).
    Signals to processes outside are refused wherever the kernel can (ABI >= 6), and
    the Linux capabilities are dropped.

    Landlock confines only the calling thread (and what it starts): call it before the
    process has other threads, or it raises RuntimeError. Paths that do not exist are
    skipped. Where Landlock is missing nothing changes and the result is all False;
    raises OSError if Landlock is there but refuses the rules.
    """
    abi = abi_version()
    if abi < 1:
        return Enforced(abi)
    if landlock.threads() > 1:
        raise RuntimeError("confine() must run before the process starts threads")
    fs = (
        landlock.WRITES
        | (landlock.REFER if abi >= 2 else 0)
        | (landlock.TRUNCATE if abi >= 3 else 0)
    )
    if protected:
        fs |= landlock.READS
    net = 0
    scoped = landlock.SCOPE_SIGNAL if abi >= 6 else 0
    if tcp_bind_ports is not None and abi >= 4:
        net = landlock.BIND_TCP | landlock.CONNECT_TCP
        scoped |= landlock.SCOPE_ABSTRACT_UNIX_SOCKET if abi >= 6 else 0
    rules = [(path, fs) for path in writable]
    if protected:
        rules += read_rules(protected, exceptions, listable)
    with landlock.Ruleset(abi, fs, net, scoped) as ruleset:
        for path, rights in rules:
            ruleset.allow_path(path, rights & fs)
        for port in sorted(set(tcp_bind_ports or ())) if net else ():
            ruleset.allow_port(int(port), landlock.BIND_TCP)
        ruleset.restrict()
    return Enforced(abi, True, bool(protected), abi >= 6, bool(net), _drop_capabilities())


_PR_CAPBSET_DROP, _PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL = 24, 47, 4
_CAPABILITY_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint32) for name in ("effective", "permitted", "inheritable")]


def _capabilities() -> dict[str, int]:
    """This process's capability sets, from /proc: {"CapEff": ..., "CapBnd": ...}."""
    with open("/proc/self/status") as status:
        return {
            key: int(value, 16)
            for key, _, value in (line.partition(":") for line in status)
            if key.startswith("Cap")
        }


def _drop_capabilities() -> bool:
    """Keep no Linux capability, now or after exec; True when none is left.

    A grader running as root would otherwise leave its kernels raw sockets (which no
    TCP rule sees), kernel modules, or TIOCSTI: typing commands on a terminal they
    inherited. Root's files stay root's: file permissions are unchanged.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    caps = _capabilities()
    if caps.get("CapBnd"):
        for cap in range(caps["CapBnd"].bit_length()):  # refused without CAP_SETPCAP: none to drop
            libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)
    libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    libc.capset(ctypes.byref(_CapHeader(_CAPABILITY_VERSION_3, 0)), (_CapData * 2)())
    caps = _capabilities()
    root = 0 in (os.getuid(), os.geteuid())
    # No new privileges is set: exec can only give root its bounding set back.
    return not (caps["CapEff"] or caps["CapPrm"] or caps["CapInh"] or (root and caps["CapBnd"]))


def kernel_folders(cwd: str) -> list[str]:
    """What a grading kernel may write: its own folder (the student's autograded copy) and devices.

    Not the terminals (/dev/pts, /dev/tty): a kernel that could open the grader's
    terminal could read what is typed on it.
    """
    return [cwd, "/dev/null", "/dev/shm"]


# -- what a grading kernel may read ----------------------------------------------------

# Set by launcher.kernel_home(): the private home of the batch's kernels, readable by them.
KERNEL_HOME_VAR = "FROM_MEMORY_KERNEL_HOME"
# Devices a kernel reads; the rest of /dev (disks above all) is protected.
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/shm")
# What a grader running as root could read on any machine: password hashes, host keys.
MACHINE_SECRETS = (
    "/etc/shadow",
    "/etc/shadow-",
    "/etc/gshadow",
    "/etc/gshadow-",
    "/etc/ssh",
    "/etc/ssl/private",
)


def kernel_policy(course_root, folder, *, connection_file=None, env=None) -> dict:
    """The paths :func:`confine` gets for a grading kernel working in ``folder``.

    Protected: the whole course (solutions, hidden tests, gradebook, other students,
    the kit's judge and engine), wherever this kit and its oracle are installed, the
    grader's home, the temporary folder, /dev (raw disks) and the machine's secrets.
    Readable again: the kernel's own folder, the Python it runs (the virtualenv and the
    interpreter, even inside the course or the home), ``from_memory/__init__.py`` and
    ``from_memory/kernel/``, the private home that ``launcher.kernel_home`` made (named in
    ``env``, default: this process's environment), the kernel's own connection file
    (not the others', which hold their kernels' keys) and a few devices.
    Returns ``{"writable", "protected", "exceptions", "listable"}``.
    """
    import importlib.util
    import pwd
    import tempfile

    import from_memory

    env = os.environ if env is None else env
    package = Path(from_memory.__file__).parent
    oracle = importlib.util.find_spec("solutions")  # found, not imported
    protected = [
        course_root,
        package,
        pwd.getpwuid(os.getuid()).pw_dir,
        tempfile.gettempdir(),
        "/dev",
        *MACHINE_SECRETS,
    ]
    if oracle is not None and oracle.submodule_search_locations:
        protected += list(oracle.submodule_search_locations)
    exceptions = [
        folder,
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        package / "__init__.py",
        package / "kernel",
        *DEVICES,
    ]
    if env.get(KERNEL_HOME_VAR):
        exceptions.append(env[KERNEL_HOME_VAR])
    if connection_file:
        protected.append(os.path.dirname(os.path.abspath(connection_file)))
        exceptions.append(connection_file)
    return {
        "writable": kernel_folders(os.fspath(folder)),
        "protected": [os.fspath(p) for p in protected],
        "exceptions": [os.fspath(p) for p in exceptions],
        "listable": [os.fspath(package)],
    }


def connection_ports(connection_file) -> list[int]:
    """The five TCP ports a Jupyter kernel binds, from its connection file."""
    info = json.loads(Path(connection_file).read_text())
    names = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
    return [int(info[name]) for name in names if info.get(name)]
