"""Kernels forked from a warm template, as a jupyter_client kernel provisioner.

A fresh kernel pays a new Python process and the imports of ipykernel, zmq, numpy
and matplotlib (about a second of CPU) before a student's first cell runs. Here
each process that starts kernels keeps one *template*
(:mod:`from_memory.engine.warm_template`, started fresh with ``python -m``) that
has done those imports, and each kernel is a fork of it. The kernel is adopted by
the process that asked for it (this process becomes a Linux "child subreaper"), so
that process can ``waitpid`` it and read its exit code, like a kernel it started.

The provisioner is registered as ``from-memory-warm``. It starts each kernel from
the :class:`~from_memory.engine.launch.Launch` its kernel manager holds
(``km.launch``): folder, environment, memory limit, sandbox, kept descriptors,
stderr file. Its sockets are Unix sockets (``ipc``) in a private folder that the
sandbox lets the kernel write, so no TCP port is picked before the kernel binds it.
Where fork or the template is unavailable, it starts the kernel fresh, as
``python -c launch.LAUNCHER``.

    km = LaunchKernelManager(launch=Launch(cwd=folder, env=env, memory_mb=4096))
    await km.start_kernel()          # forked warm; km.provisioner.warm is True

Each process that starts kernels has its own template (a kernel can only be adopted by
an ancestor): call :func:`start_template` when a grading worker starts (else the first
kernel starts it) and :func:`stop_template` when it ends (also run at exit). A worker
that reaps orphans with ``processes.kill_orphans`` must keep the template's pid.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Any, Bool, Dict, Unicode

from from_memory.engine import launcher, processes
from from_memory.engine.launch import Launch, Sandbox

PROVISIONER_NAME = "from-memory-warm"
TEMPLATE_MODULE = "from_memory.engine.warm_template"
READY_TIMEOUT = 120  # seconds for the template's imports, on a busy machine
REPLY_TIMEOUT = 60  # seconds for one fork
MAX_REPLY = 1 << 16
MIN_KERNELS = 3  # fewer kernels in one process: the template's own start costs more than forks save


def worth_it(kernels: float) -> bool:
    """Whether a process that will start ``kernels`` kernels gains from forking them warm."""
    return kernels >= MIN_KERNELS


class TemplateError(RuntimeError):
    """The template cannot start this kernel; it is started fresh instead."""


class Template:
    """A warm template process serving this process (its parent) over a socket pair."""

    def __init__(self, env: dict | None = None):
        if not hasattr(os, "fork") or not hasattr(socket, "send_fds"):
            raise TemplateError("fork is not available on this system")
        # Before the template exists: only its descendants started after this are adopted.
        if not processes.adopt_orphans():
            raise TemplateError("this system cannot adopt orphaned processes")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._lock = threading.Lock()
        self._socket = ours
        self.process = subprocess.Popen(
            [sys.executable, "-m", TEMPLATE_MODULE, str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            cwd="/",  # not the grader's folder: nothing of the course is importable from it
            env=os.environ if env is None else env,
        )
        theirs.close()
        ours.settimeout(READY_TIMEOUT)
        try:
            data = ours.recv(MAX_REPLY)
        except OSError as error:
            self.stop()
            raise TemplateError(f"the template did not start: {error}") from error
        if not data:
            code = self.process.wait()
            ours.close()
            raise TemplateError(f"the template exited (code {code}) before it was ready")
        self.ready = json.loads(data)
        if self.ready["threads"] != 1:
            self.stop()
            raise TemplateError(f"the template has {self.ready['threads']} threads")
        ours.settimeout(REPLY_TIMEOUT)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None and self._socket.fileno() >= 0

    def spawn(self, argv, *, cwd, env, memory_mb=None, sandbox: Sandbox | None = None, fds=None) -> int:
        """Fork a kernel running ``argv`` (``python -m ipykernel_launcher ...``); return its pid.

        ``fds`` maps each descriptor number the kernel must have to a descriptor of this
        process (sent over the socket). The kernel is this process's child when this returns.
        """
        fds = dict(fds or {})
        request = {
            "argv": list(argv),
            "cwd": os.path.abspath(cwd),
            "env": dict(env),
            "memory_mb": memory_mb,
            "sandbox": dataclasses.asdict(sandbox) if sandbox is not None else None,
            "fds": list(fds),
        }
        with self._lock:
            try:
                socket.send_fds(self._socket, [json.dumps(request).encode()], list(fds.values()))
                data = self._socket.recv(MAX_REPLY)
            except OSError as error:
                self.stop()
                raise TemplateError(f"the template stopped answering: {error}") from error
        if not data:
            self.stop()
            raise TemplateError("the template exited")
        reply = json.loads(data)
        if "error" in reply:
            raise TemplateError(reply["error"])
        pid = reply["pid"]
        if _parent_of(pid) != os.getpid():
            _kill(pid)
            raise TemplateError(f"the kernel {pid} was not adopted by this process")
        return pid

    def stop(self) -> None:
        """Close the socket and kill the template: it holds nothing to clean up, and its exit
        (the teardown of numpy, matplotlib and ipykernel) would cost a second of CPU."""
        self._socket.close()
        self.process.kill()
        self.process.wait()


def _parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return int(handle.read().rpartition(")")[2].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


# -- one template per process --------------------------------------------------------

_lock = threading.Lock()
_template: Template | None = None
_owner: int | None = None  # the pid that started _template (a fork of this process has none)
_failure = ""  # why the template of this process could not start; not tried again
_env: dict | None = None  # the environment the template starts with (its kernels' variables read at start)


def template() -> Template:
    """This process's template, started on first use; raises TemplateError where there is none."""
    global _template, _owner, _failure
    with _lock:
        if _owner != os.getpid():  # a fork of the process that started it: start our own
            _template, _owner, _failure = None, os.getpid(), ""
        if _template is not None and not _template.alive():
            _template = None
        if _template is None:
            if _failure:
                raise TemplateError(_failure)
            try:
                _template = Template(_env)
            except TemplateError as error:
                _failure = str(error)
                raise
        return _template


def start_template(env: dict | None = None) -> int | None:
    """Start this process's template now (not with its first kernel); its pid, or None.

    ``env`` is the environment it starts with (default: this process's); kernels whose
    variables read only at start (``MPLCONFIGDIR``, ``PYTHON*``, ...) differ from it are
    started fresh, so give it the kernels' environment.
    """
    global _env
    with _lock:
        if env is not None and env != _env:
            _env = dict(env)
            if _template is not None and _owner == os.getpid():
                _template.stop()
                globals()["_template"] = None
    try:
        return template().pid
    except TemplateError:
        return None


def stop_template() -> None:
    """Stop this process's template. Kernels it started are not its children and live on."""
    global _template
    with _lock:
        if _template is not None and _owner == os.getpid():
            _template.stop()
        _template = None


atexit.register(stop_template)


# -- the kernel as jupyter_client sees it ----------------------------------------------


class AdoptedProcess:
    """A kernel that is this process's child by adoption, seen through what Popen offers.

    jupyter_client's :class:`LocalProvisioner` (and the engine) use ``pid``, ``poll()``,
    ``wait()``, ``send_signal()``, ``kill()``, ``terminate()`` and ``returncode``.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        self.cpu: float | None = None  # once reaped: its CPU seconds, user + system, from start to exit
        self._lock = threading.Lock()

    def _reap(self, flags: int) -> int | None:
        with self._lock:
            if self.returncode is None:
                try:
                    pid, status, usage = os.wait4(self.pid, flags)
                except ChildProcessError:  # reaped elsewhere: its code is lost, as in Popen
                    self.returncode = 0
                else:
                    if pid:
                        self.returncode = os.waitstatus_to_exitcode(status)
                        self.cpu = usage.ru_utime + usage.ru_stime
            return self.returncode

    def poll(self) -> int | None:
        return self._reap(os.WNOHANG)

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while deadline is not None and self.poll() is None:
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.01)
        return self._reap(0)

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:  # not reaped, so the pid is still this kernel's
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class WarmProvisioner(LocalProvisioner):
    """Start the kernel as its manager's ``launch`` says: forked warm, or fresh where it must.

    The kernel manager may hold a :class:`Launch` as ``launch``; without one, the kernel
    gets the folder and environment that ``start_kernel`` was given, and no limit.
    """

    transport = Unicode(
        "ipc",
        config=True,
        help="""How the kernel's sockets are reached: "ipc" (Unix sockets in a private
        folder; no port is picked before the kernel binds it, so kernels started at the
        same time never collide) or "tcp" (the kernel manager's own settings).""",
    )
    warm = Bool(False, help="Whether the running kernel was forked from the template.")
    fallback_reason = Unicode("", help="Why the kernel was started fresh, when it was.")
    launch: Launch | None = None
    folder: str | None = None  # private: the kernel's sockets and connection file

    async def pre_launch(self, **kwargs):
        km = self.parent
        launch = getattr(km, "launch", None)
        if launch is None:
            launch = Launch(cwd=kwargs.get("cwd") or os.getcwd())
        if self.folder is None:
            self.folder = tempfile.mkdtemp(prefix="from-memory-kernel-")
        if km is not None:
            if self.transport == "ipc":
                km.transport = "ipc"
                km.cache_ports = False
                km.ip = os.path.join(self.folder, "kernel")
            if not km.connection_file:
                km.connection_file = os.path.join(self.folder, "kernel.json")
        if launch.sandbox is not None:  # the kernel's sockets and connection file are in its folder
            writable = (*launch.sandbox.writable, self.folder)
            launch = dataclasses.replace(launch, sandbox=dataclasses.replace(launch.sandbox, writable=writable))
        self.launch = launch
        kwargs["cwd"] = launch.cwd
        if launch.env:
            kwargs["env"] = launch.env
        return await super().pre_launch(**kwargs)

    async def launch_kernel(self, cmd, **kwargs):
        try:
            return self._launch_warm(cmd, **kwargs)
        except TemplateError as error:
            self.warm = False
            self.fallback_reason = str(error)
            self.log.info("Starting the kernel fresh: %s", error)
        return await self._launch_fresh(cmd, **kwargs)

    def _launch_warm(self, cmd, **kwargs):
        launch = self.launch
        env = dict(kwargs["env"])
        if not kwargs.get("independent"):
            env["JPY_PARENT_PID"] = str(os.getpid())  # what jupyter_client's launcher sets
        with _streams(launch.stderr, kwargs.get("stdout"), kwargs.get("stderr")) as (out, err):
            fds = {1: out, 2: err, **{fd: fd for fd in launch.pass_fds}}
            pid = template().spawn(
                cmd, cwd=launch.cwd, env=env, memory_mb=launch.memory_mb,
                sandbox=launch.sandbox, fds=fds,
            )  # fmt: skip
        self.process = AdoptedProcess(pid)
        self.pid = self.pgid = pid  # the kernel leads its own session
        self.cwd = launch.cwd
        self.warm = True
        self.fallback_reason = ""
        return self.connection_info

    async def _launch_fresh(self, cmd, **kwargs):
        launch = self.launch
        kernel = [shutil.which(cmd[0]) or cmd[0], *cmd[1:]]  # the launcher exec()s it
        kwargs.update(stdin=subprocess.DEVNULL, pass_fds=tuple(launch.pass_fds))
        stream = None
        if launch.stderr:
            stream = os.open(launch.stderr, _APPEND, 0o644)
            kwargs.update(stdout=stream, stderr=stream)
        try:
            return await super().launch_kernel(launcher.command(launch, kernel), **kwargs)
        finally:
            if stream is not None:
                os.close(stream)

    async def cleanup(self, restart: bool = False) -> None:
        await super().cleanup(restart=restart)
        if not restart and self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


_APPEND = os.O_WRONLY | os.O_APPEND | os.O_CREAT


@contextlib.contextmanager
def _streams(path, stdout, stderr):
    """The descriptors a forked kernel gets as stdout and stderr, as Popen would give them."""
    opened = []

    def fd_of(stream, default: int) -> int:
        if stream is None:
            return default
        if stream == subprocess.DEVNULL or isinstance(stream, str):
            opened.append(os.open(stream if isinstance(stream, str) else os.devnull, _APPEND, 0o644))
            return opened[-1]
        if isinstance(stream, int) and stream >= 0:
            return stream
        if hasattr(stream, "fileno"):
            return stream.fileno()
        raise TemplateError(f"a forked kernel cannot have {stream!r} as a stream")

    try:
        out = fd_of(path or stdout, 1)
        yield out, out if path or stderr == subprocess.STDOUT else fd_of(stderr, 2)
    finally:
        for fd in opened:
            os.close(fd)


class LaunchKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel is started from ``launch``, by the warm provisioner."""

    launch = Any(None, allow_none=True, help="The Launch the kernel is started from.")
    provisioner_name = Unicode(
        PROVISIONER_NAME, help="The kernel provisioner (by entry-point name) that starts it."
    )
    provisioner_config = Dict(help="Settings of that provisioner, e.g. {'transport': 'tcp'}.")

    @property
    def kernel_spec(self):
        spec = super().kernel_spec
        if spec is not None and self.provisioner_name:
            spec.metadata["kernel_provisioner"] = {
                "provisioner_name": self.provisioner_name,
                "config": dict(self.provisioner_config),
            }
        return spec
