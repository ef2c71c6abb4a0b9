"""How the engine asks for one kernel: its folder, environment and limits.

Every kernel of a grading run is started from a :class:`Launch`, whichever way it
is started (a fresh process, or a fork of a warm template). The process that is
about to become the kernel calls :func:`apply` on itself first: the memory limit
(``RLIMIT_AS``), then the sandbox (:func:`from_memory.engine.sandbox.confine`),
both one-way. The fresh way runs :data:`LAUNCHER` with ``python -c``, which applies
the limits and then ``exec``s the kernel's own command line.

    launch = Launch(cwd="autograded/ada/ps1", env=env, memory_mb=4096,
                    confine={"writable": [...]}, pass_fds=(7,))
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Launch:
    """How the engine wants one kernel started (picklable, so it travels to Dask workers)."""

    cwd: str
    env: dict = field(default_factory=dict, repr=False)
    memory_mb: int | None = None  # address-space limit (RLIMIT_AS); None: no limit
    confine: dict | None = None  # keyword arguments of sandbox.confine(); None: no sandbox
    pass_fds: tuple[int, ...] = ()  # descriptors the kernel keeps open, at the same numbers
    stderr: str | None = None  # file that receives the kernel's stderr; None: the parent's

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Launch:
        data = json.loads(text)
        data["pass_fds"] = tuple(data["pass_fds"])
        return cls(**data)


def apply(memory_mb: int | None, confine: dict | None):
    """Limit this process from now on: its memory, then what it may touch. Returns the sandbox's report."""
    if memory_mb:
        import resource

        limit = int(memory_mb) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if confine is None:
        return None
    from from_memory.engine import sandbox

    return sandbox.confine(**confine)


def main() -> None:
    """``python -c LAUNCHER LAUNCH_JSON KERNEL_ARGV...``: apply the limits, then become the kernel."""
    launch = Launch.from_json(sys.argv[1])
    apply(launch.memory_mb, launch.confine)
    os.execv(sys.argv[2], sys.argv[2:])


LAUNCHER = "from from_memory.engine.launch import main; main()"
