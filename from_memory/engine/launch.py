"""How the engine asks for one kernel: its folder, environment, limits and sandbox.

Every kernel of a grading run is started from a :class:`Launch`, whichever way it is
started (a fresh process through :mod:`from_memory.engine.launcher`, or a fork of a
warm template). The process about to become the kernel calls :func:`apply` on itself:
the memory limit (``RLIMIT_AS``), then the sandbox
(:func:`from_memory.engine.sandbox.confine`), both one-way.

    launch = Launch(cwd="autograded/ada/ps1", env=env, memory_mb=4096,
                    sandbox=Sandbox(course="/srv/course", mode="strict"), pass_fds=(7,))
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field

SANDBOX_MODES = ("strict", "standard")


@dataclass(frozen=True)
class Sandbox:
    """What a kernel may touch: ``strict`` or ``standard`` (see :func:`policy`)."""

    course: str  # the course root: nothing in it is readable but the kernel's own folder
    mode: str = "standard"
    protected: tuple = ()  # more paths it may not read (a gradebook or exchange outside the course)
    writable: tuple = ()  # more paths it may write and read (a warm kernel's private socket folder)


@dataclass(frozen=True)
class Launch:
    """How the engine wants one kernel started (picklable, so it travels to Dask workers)."""

    cwd: str
    env: dict = field(default_factory=dict, repr=False)
    memory_mb: int | None = None  # address-space limit (RLIMIT_AS); None: no limit
    sandbox: Sandbox | None = None  # None: no sandbox
    pass_fds: tuple[int, ...] = ()  # descriptors the kernel keeps open, at the same numbers
    stderr: str | None = None  # file that receives the kernel's stderr; None: the parent's

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Launch:
        data = json.loads(text)
        data["pass_fds"] = tuple(data["pass_fds"])
        if data["sandbox"] is not None:
            box = data["sandbox"]
            data["sandbox"] = Sandbox(box["course"], box["mode"], tuple(box["protected"]), tuple(box["writable"]))
        return cls(**data)


def policy(sandbox: Sandbox, folder: str, connection_file: str | None = None) -> dict:
    """Keyword arguments of ``sandbox.confine`` for a kernel working in ``folder``.

    Both modes: writes only in its folder, no reading the course (but its folder), the
    kit's judge and engine, the reference, other kernels' connection files, the grader's
    home and the machine's secrets (:func:`from_memory.engine.sandbox.kernel_policy`); no
    signals to processes outside. ``strict`` also refuses every TCP connection (the
    kernel binds its own ports only). ``standard``, what suits any course, also lets a
    kernel write (and read) the system's temporary folder and the user's cache, and
    use the network.
    """
    from from_memory.engine import sandbox as box

    rules = box.kernel_policy(sandbox.course, folder, connection_file=connection_file)
    rules["protected"] = [*rules["protected"], *sandbox.protected]
    rules["writable"] = [*rules["writable"], *sandbox.writable]
    if sandbox.mode == "strict":
        ports = box.connection_ports(connection_file) if connection_file else []
        return {**rules, "tcp_bind_ports": ports}
    extra = [tempfile.gettempdir(), os.path.expanduser("~/.cache")]
    return {**rules, "writable": [*rules["writable"], *extra]}


def apply(memory_mb: int | None, sandbox: Sandbox | None, connection_file: str | None = None):
    """Limit this process from now on: its memory, then what it may touch. Returns what is enforced."""
    if memory_mb:
        import resource

        limit = int(memory_mb) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if sandbox is None:
        return None
    from from_memory.engine import sandbox as box

    return box.confine(**policy(sandbox, os.getcwd(), connection_file))
