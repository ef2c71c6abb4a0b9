"""The warm template: a Python process with a kernel's imports done, forked once per kernel.

Started fresh (never forked from the grader, whose memory holds the reference
solution) by :mod:`from_memory.engine.warm` as

    python -m from_memory.engine.warm_template FD

where FD is its end of a Unix socket pair. It imports what every grading kernel
needs (ipykernel, numpy, matplotlib with pyplot, the kit's kernel side), warms
matplotlib's font manager, tells the other end it is ready, and waits. It imports
nothing else of the kit but :mod:`launch` and :mod:`sandbox`: no ``solutions``, no
judge. It keeps no thread of its own and no zmq context, so a fork of it is whole.

Each request (one message: a JSON object, with the descriptors the kernel keeps
attached as ``SCM_RIGHTS``) is answered by a double fork: the grandchild starts a
session of its own, waits until it is adopted by the requester (a Linux "child
subreaper", see :func:`processes.adopt_orphans`), reports its pid, and becomes an
ordinary IPython kernel with the requested descriptors, folder, environment,
memory limit and sandbox. The template itself is never changed by a request.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import importlib.util
import io
import json
import os
import socket
import sys
import threading
import time

_ENVIRON_BEFORE = dict(os.environ)

# What a grading kernel imports anyway, done once here.
import ipykernel.kernelapp
import matplotlib
import matplotlib.font_manager
import matplotlib.mathtext
import matplotlib.pyplot
import numpy
import numpy.random
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import from_memory.kernel  # noqa: F401
from from_memory.engine import launch, sandbox  # noqa: F401 - launch.apply confines it
from from_memory.engine.launcher import _connection_file

# What IPKernelApp.initialize loads: the kernel class, its shell, the debugger, the history;
# and what a hidden test imports of the kit's kernel side.
LOADED_AT_START = (
    "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger", "IPython.extensions.storemagic",
    "pdb", "sqlite3", "tornado.queues", "tornado.platform.asyncio", "faulthandler",
    "IPython.core.completerlib", "IPython.core.debugger", "IPython.core.oinspect", "IPython.utils.wildcard",
    "IPython.core.logger", "IPython.core.pylabtools",
    "from_memory.kernel.channel", "from_memory.kernel.known", "from_memory.kernel.probe",
)  # fmt: skip
with contextlib.redirect_stderr(io.StringIO()):  # debugpy's notice on frozen modules
    for _name in LOADED_AT_START:
        importlib.import_module(_name)

# Variables those imports set (debugpy's PYDEVD_USE_FRAME_EVAL): a fresh kernel sets them too.
SET_BY_IMPORTS = {k: v for k, v in os.environ.items() if _ENVIRON_BEFORE.get(k) != v}

MAX_MESSAGE = 1 << 22  # bytes of one request (the environment travels in it)
MAX_FDS = 64

# Variables that Python, OpenBLAS or matplotlib read once, when the process starts or the
# module is imported: a kernel asked with other values than the template's is started fresh.
START_PREFIXES = (
    "PYTHON", "OPENBLAS", "GOTO", "OMP_", "MKL_", "BLIS_", "MPLCONFIGDIR", "PYDEVD", "DEBUGPY",
)  # fmt: skip
HANDLED = ("PYTHONPATH",)  # applied to each kernel's sys.path here
LAUNCHER_FILE = importlib.util.find_spec("ipykernel_launcher").origin


def start_variables(env) -> dict:
    """The variables of ``env`` that a forked kernel cannot take over from its request."""
    return {
        k: v for k, v in env.items() if k.startswith(START_PREFIXES) and k not in HANDLED
    }


def _warm_matplotlib() -> None:
    """Draw one small figure (fonts, text, Agg), then drop the open font files it keeps."""
    figure = Figure(figsize=(2, 2))
    axes = figure.subplots()
    axes.plot([0, 1], [0, 1], label="line")
    axes.set_title("warm $x^2$")
    axes.legend()
    FigureCanvasAgg(figure).draw()
    del figure, axes
    # Cached fonts hold open files; forked kernels sharing one file offset would corrupt
    # each other's reads. The font list and the mathtext grammar stay built; each kernel
    # reopens the fonts it draws with.
    matplotlib.font_manager._get_font.cache_clear()
    matplotlib.mathtext.MathTextParser._parse_cached.cache_clear()
    gc.collect()


def _base_path() -> list[str]:
    """sys.path without the entries this process got from its folder and its PYTHONPATH."""
    ours = set(filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep)))
    return [p for p in sys.path[1:] if p not in ours]


def _open_fds() -> list[int]:
    listed = sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
    return [fd for fd in listed if _is_open(fd)]  # not the one the listing itself used


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def serve(sock: socket.socket):
    """Answer requests until the other end closes; in a forked kernel, return its request."""
    base_path = _base_path()
    _warm_matplotlib()
    sys.stdout.flush()
    sys.stderr.flush()
    ready = {
        "pid": os.getpid(),
        "threads": threading.active_count(),
        "tasks": len(os.listdir("/proc/self/task")),
        "fds": _open_fds(),
        "socket": sock.fileno(),
        "start_variables": start_variables(_ENVIRON_BEFORE),
    }
    sock.sendall(json.dumps(ready).encode())
    matplotlibrc = matplotlib.matplotlib_fname()
    while True:
        try:
            data, fds, _flags, _addr = socket.recv_fds(sock, MAX_MESSAGE, MAX_FDS)
        except OSError:
            return None
        if not data:
            return None
        request = json.loads(data)
        refusal = _refusal(request)
        if refusal:
            reply, kernel = {"error": refusal}, None
        else:
            reply, kernel = _fork_kernel(sock, request, fds)
        if kernel is not None:  # in the forked kernel: leave the loop, become the kernel
            kernel.update(base_path=base_path, matplotlibrc=matplotlibrc)
            return kernel
        for fd in fds:
            os.close(fd)
        try:
            sock.sendall(json.dumps(reply).encode())
        except OSError:
            return None


def _refusal(request: dict) -> str:
    """Why this template cannot be the kernel asked for ("" when it can)."""
    argv = request["argv"]
    if os.path.abspath(argv[0]) != sys.executable or argv[1:3] != ["-m", "ipykernel_launcher"]:
        return f"the kernel is not this Python's ipykernel: {' '.join(argv[:3])}"
    ours, theirs = start_variables(_ENVIRON_BEFORE), start_variables(request["env"])
    if ours != theirs:
        differ = sorted(k for k in ours.keys() | theirs.keys() if ours.get(k) != theirs.get(k))
        return f"the kernel's environment differs from the template's in {', '.join(differ)}"
    return ""


def _fork_kernel(sock: socket.socket, request: dict, fds: list[int]):
    """Double-fork; return (reply, None) in the template and (None, kernel) in the kernel."""
    read_end, write_end = os.pipe()
    try:
        middle = os.fork()
    except OSError as error:
        os.close(read_end)
        os.close(write_end)
        return {"error": f"fork: {error}"}, None
    if middle == 0:  # the middle process: fork the kernel and exit, so it is adopted
        me = os.getpid()
        try:
            if os.fork() == 0:
                os.close(read_end)
                sock.close()
                return None, {"request": request, "fds": fds, "report": write_end, "middle": me}
        except BaseException:  # noqa: BLE001 - the template learns it from the empty pipe
            os._exit(1)
        os._exit(0)
    os.close(write_end)
    text = b""
    while chunk := os.read(read_end, 64):
        text += chunk
    os.close(read_end)
    os.waitpid(middle, 0)
    if not text:
        return {"error": "the kernel process died before it started"}, None
    return {"pid": int(text)}, None


def _become_kernel(kernel: dict) -> None:
    """In the forked kernel: be adopted, take the request's descriptors, folder, env, limits."""
    request, fds = kernel["request"], kernel["fds"]
    os.setsid()  # its own session and process group, as jupyter_client's Popen gives
    while os.getppid() == kernel["middle"]:  # until the middle process exits and we are adopted
        time.sleep(0.0002)
    os.write(kernel["report"], str(os.getpid()).encode())
    os.close(kernel["report"])

    _place_fds(fds, request["fds"])
    env = request["env"]
    os.environ.clear()
    os.environ.update(env)
    for key, value in SET_BY_IMPORTS.items():
        os.environ.setdefault(key, value)
    os.chdir(request["cwd"])
    extra = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    sys.path[:] = extra + kernel["base_path"]  # as ipykernel_launcher leaves it
    sys.argv[:] = [LAUNCHER_FILE, *request["argv"][3:]]  # as `python -m ipykernel_launcher` sets it
    sys.orig_argv[:] = request["argv"]
    _reseed()
    _reread_matplotlibrc(kernel["matplotlibrc"])
    box = request.get("sandbox")
    confine = launch.Sandbox(box["course"], box["mode"], tuple(box["protected"]), tuple(box["writable"])) if box else None
    launch.apply(request.get("memory_mb"), confine, _connection_file(request["argv"]))

    app = ipykernel.kernelapp.IPKernelApp.instance()
    app.parent_handle = int(env.get("JPY_PARENT_PID") or 0)  # its default was read at import
    app.initialize(sys.argv[1:])
    # What matplotlib does at import with MPLBACKEND, which the kernel has now set.
    if os.environ.get("MPLBACKEND"):
        matplotlib.rcParams["backend"] = os.environ["MPLBACKEND"]
    app.start()


def _place_fds(received: list[int], targets: list[int]) -> None:
    """Put each received descriptor at its target number; stdin reads /dev/null."""
    low = max([*targets, *received, 2]) + 1
    moved = [os.dup(fd) if fd >= low else _dup_above(fd, low) for fd in received]
    for fd in received:
        os.close(fd)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    for fd, target in zip(moved, targets, strict=True):
        os.dup2(fd, target)  # inheritable, as Popen's pass_fds leaves them
    for fd in moved:
        os.close(fd)


def _dup_above(fd: int, low: int) -> int:
    import fcntl

    return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, low)


def _reseed() -> None:
    """Fresh random state, as a fresh process draws from the OS at import."""
    import random

    random.seed()
    numpy.random.seed()  # noqa: NPY002 - the global state that `np.random.seed(1)` sets


def _reread_matplotlibrc(template_rc: str) -> None:
    """A matplotlibrc in the kernel's folder (or named by MATPLOTLIBRC) applies, as when fresh."""
    found = matplotlib.matplotlib_fname()
    if found != template_rc:
        matplotlib.rc_file(found)


def main() -> None:
    sock = socket.socket(fileno=int(sys.argv[1]))
    kernel = None
    try:
        kernel = serve(sock)
    finally:
        if kernel is None:
            sock.close()
    if kernel is not None:
        _become_kernel(kernel)


if __name__ == "__main__":
    main()
