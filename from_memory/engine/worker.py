"""Execute one submission's notebooks, in order, each on its own kernel with a judge beside it.

A :class:`Job` is one student's submission of one assignment: its sanitized notebooks
(nbgrader has restored the instructor's cells), run one after the other in their
autograded folder, as stock ``nbgrader autograde`` runs them (a notebook may read what
the previous one wrote). Each notebook gets a fresh kernel, started as :class:`Limits`
say (:mod:`.kernels`), a judge session served on a private channel (:mod:`.server`),
and nbgrader's ``Execute`` with the judge writing the graded test cells' outputs
(:mod:`.execute`). The first notebook that cannot be run stops the submission, with a
one-line reason and the tail of its kernel's stderr.

The same code runs in the local pool's worker processes and on Dask workers.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass, field

from from_memory.engine.launch import Launch, Sandbox

WARM = "from-memory-warm"
STDERR_TAIL = 2000  # characters of a failed kernel's stderr kept for the instructor
START_ATTEMPTS = 3  # a kernel that dies before running a cell is started again, this many times in all
POLL = 0.5  # seconds between two readings of a kernel's CPU time against its notebook's limit


@dataclass(frozen=True)
class Limits:
    """What every kernel of a grading run gets (picklable: it travels to Dask workers)."""

    memory_mb: int | None = None  # address space per kernel (RLIMIT_AS); None: no limit
    notebook_timeout: float | None = None  # seconds per notebook, kernel start included; None: none
    sandbox: Sandbox | None = None  # None: no sandbox
    provisioner: str = "from-memory-fresh"
    clock: str = "wall"  # what the time limits count: "wall" seconds, or the kernel's "cpu" seconds
    wall_factor: float = 10.0  # with clock="cpu", the wall clock still stops a kernel at this times a limit

    @property
    def notebook_wall(self) -> float | None:
        """The wall-clock seconds after which a notebook is stopped whatever its clock."""
        if not self.notebook_timeout:
            return None
        return self.notebook_timeout * (self.wall_factor if self.clock == "cpu" else 1)


@dataclass
class Job:
    """One submission: its sanitized notebooks in order (absolute paths), and the kernels' environment."""

    key: int
    paths: list
    env: dict = field(default_factory=dict, repr=False)


@dataclass
class NotebookResult:
    path: str
    ok: bool
    notebook: dict | None = None  # the executed notebook as plain dicts, when ok
    reason: str = ""
    seconds: float = 0.0
    stderr: str = ""  # the kernel's stderr, when it failed
    # CPU seconds by part: the kernel's start, setup, student and checks cells, and exit (what it
    # used after its last cell, with what the processes it started and waited for used; forked warm
    # kernels only); judge; worker (this process running the notebook: kernel manager, nbclient,
    # messages; the judge's share apart)
    cpu: dict = field(default_factory=dict)


@dataclass
class Result:
    key: int
    notebooks: list

    @property
    def ok(self) -> bool:
        return all(n.ok for n in self.notebooks)


def kernel_env(env: dict, limits: Limits) -> dict:
    """``env`` with the private home a sandboxed kernel starts from (made once per process)."""
    from from_memory.engine.sandbox import KERNEL_HOME_VAR

    if limits.sandbox is None:
        return env
    home = env.get(KERNEL_HOME_VAR)
    if home and os.path.isdir(home):
        return env
    return {**env, **_private_home()}


@functools.cache
def _private_home() -> dict:
    from from_memory.engine.launcher import kernel_home

    # Making the home takes another Python a second or two: meanwhile, import what workers need.
    loading = threading.Thread(target=preload, name="from-memory-preload", daemon=True)
    loading.start()
    folder = tempfile.mkdtemp(prefix="from-memory-home-")
    atexit.register(_remove_home, folder, os.getpid())
    try:
        return kernel_home(folder)
    finally:
        loading.join()


def _remove_home(folder: str, maker: int) -> None:
    """At the exit of the process that made the kernels' home (not of a fork of it), remove it."""
    if os.getpid() == maker:
        shutil.rmtree(folder, ignore_errors=True)


def preload() -> None:
    """Import what running a notebook takes (nbclient, the judge and the reference), once.

    A process that forks grading workers calls it first: each fork then has these modules
    already, instead of importing them itself (about a second of CPU each).
    """
    import from_memory.engine.execute
    import from_memory.engine.kernels
    import from_memory.engine.server
    import from_memory.judge.session  # noqa: F401


def one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or "no message"
    if len(text) > 160:
        text = text[:157] + "..."
    return f"{type(error).__name__}: {text}"


def death_reason(code: int | None) -> str:
    if code is None:
        return ""
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
        return f"kernel died: killed by {name}"
    return f"kernel died (exit code {code})"


def kill_group(pid: int | None) -> None:
    """SIGKILL a kernel and whatever it started (the kernel leads its own session)."""
    if not pid:
        return
    for kill, target in ((os.killpg, pid), (os.kill, pid)):
        try:
            kill(target, signal.SIGKILL)
            return
        except (ProcessLookupError, PermissionError):
            continue


class KernelRun:
    """One notebook on one kernel: started on creation (ahead of need), executed by :meth:`run`."""

    def __init__(self, path: str, config, limits: Limits, env: dict):
        import nbformat

        from from_memory.engine.execute import JudgedExecute
        from from_memory.engine.kernels import GradingKernelManager
        from from_memory.engine.server import open_channel
        from from_memory.judge.session import Session

        self.path, self.config, self.limits, self.env = path, config, limits, env
        self.worker_cpu = 0.0  # this thread's CPU for the notebook, from its kernel's start to close
        mark = time.thread_time()
        self.error = ""
        self.km = self.server = self.process = None
        self.stderr_path = None
        try:
            # The grader wrote this notebook and validated it; nbformat.read would only
            # validate it again (and log, not raise, what it finds).
            with open(path, encoding="utf-8") as handle:
                self.nb = nbformat.reader.reads(handle.read())
        except Exception as error:  # noqa: BLE001 - an unreadable notebook is its one-line reason
            self.nb, self.error = None, one_line(error)
            return
        self.session = Session(enforce=True)
        self.server, fd, channel_env = open_channel(self.session)
        self.executor = JudgedExecute(config=config, session=self.session, lock=self.server.lock,
                                      clock=limits.clock, wall_factor=limits.wall_factor)
        handle, self.stderr_path = tempfile.mkstemp(prefix="kernel-", suffix=".stderr")
        os.close(handle)
        folder = os.path.dirname(path)
        launch = Launch(cwd=folder, env={**kernel_env(env, limits), **channel_env}, memory_mb=limits.memory_mb,
                        sandbox=limits.sandbox, pass_fds=(fd,), stderr=self.stderr_path)
        try:
            name = self.executor.kernel_name or self.nb.metadata.get("kernelspec", {}).get("name", "")
            self.km = GradingKernelManager(config=config, launch=launch,
                                           provisioner_name=limits.provisioner,
                                           **({"kernel_name": name} if name else {}))
            extra = list(self.executor.extra_arguments)
            if self.km.ipykernel and not any(a.startswith("--HistoryManager.hist_file") for a in extra):
                extra.append(f"--HistoryManager.hist_file={self.executor.ipython_hist_file}")
            from jupyter_core.utils import run_sync

            run_sync(self.km.start_kernel)(extra_arguments=extra, cwd=folder)
            self.executor.kernel_pid = self.pid
            self.process = self.km.provisioner.process  # the provisioner lets go of it once it has exited
        except Exception as error:  # noqa: BLE001 - a kernel that cannot start is its one-line reason
            self.error = one_line(error)
        finally:
            os.close(fd)
            self.worker_cpu += time.thread_time() - mark

    @property
    def pid(self) -> int | None:
        provisioner = getattr(self.km, "provisioner", None)
        return getattr(provisioner, "pid", None)

    def lifetime_cpu(self) -> float | None:
        """CPU seconds the kernel used from its fork to its exit, once reaped (forked warm kernels only)."""
        return getattr(self.process, "cpu", None)

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def stderr(self) -> str:
        if not self.stderr_path:
            return ""
        try:
            with open(self.stderr_path, errors="replace") as handle:
                text = handle.read()
        except OSError:
            return ""
        return text[-STDERR_TAIL:]

    def kill(self) -> None:
        kill_group(self.pid)

    def close(self) -> None:
        from jupyter_core.utils import run_sync

        mark = time.thread_time()
        kc = getattr(self.executor, "kc", None) if self.nb is not None else None
        if kc is not None:
            kc.stop_channels()
        if self.km is not None:
            try:
                run_sync(self.km.shutdown_kernel)(now=True)
            except Exception:  # noqa: BLE001 - a kernel that will not shut down is killed
                self.kill()
        if self.server is not None:
            self.server.close()
        if self.stderr_path:
            try:
                os.unlink(self.stderr_path)
            except OSError:
                pass
        self.worker_cpu += time.thread_time() - mark

    def started_cells(self) -> int:
        return getattr(self.executor, "code_cells_executed", 0) if self.nb is not None else 0

    def watch(self, done: threading.Event, expired: list) -> None:
        """Kill the kernel at the notebook's limit (unless ``done`` first), saying why in ``expired``."""
        from from_memory.engine.execute import kernel_cpu

        limit, wall, cpu = self.limits.notebook_timeout, self.limits.notebook_wall, self.limits.clock == "cpu"
        deadline = time.monotonic() + wall
        while not done.wait(POLL if cpu else max(0.0, deadline - time.monotonic())):
            if cpu and kernel_cpu(self.pid) > limit:
                expired.append(f"timed out after {limit:g} s of CPU time")
            elif time.monotonic() >= deadline:
                expired.append(f"timed out after {wall:g} s" + (" of wall clock" if cpu else ""))
            else:
                continue
            self.kill()
            return

    def run(self) -> NotebookResult:
        started, mark = time.monotonic(), time.thread_time()
        if self.error:
            return NotebookResult(self.path, False, reason=self.error, stderr=self.stderr())
        done, expired = threading.Event(), []
        if self.limits.notebook_timeout:
            threading.Thread(target=self.watch, args=(done, expired), daemon=True).start()
        resources = {"metadata": {"path": os.path.dirname(self.path)}}
        try:
            executed, _ = self.executor.preprocess(self.nb, resources, km=self.km)
            seconds = time.monotonic() - started
            if expired:
                return NotebookResult(self.path, False, reason=expired[0], seconds=seconds, stderr=self.stderr())
            cpu = dict(self.executor.cpu or {})
            cpu["judge"] = cpu.get("judge", 0.0) + self.server.cpu  # after each cell, and its requests
            return NotebookResult(self.path, True, notebook=plain(executed), seconds=seconds, cpu=cpu)
        except Exception as error:  # noqa: BLE001 - whatever stops a notebook is its one-line reason
            seconds = time.monotonic() - started
            if expired or self.executor.stopped:
                reason = f"{(expired or [self.executor.stopped])[0]} (kernel stopped)"
            else:
                reason = death_reason(self.exit_code()) or one_line(error)
            return NotebookResult(self.path, False, reason=reason, seconds=seconds, stderr=self.stderr())
        finally:
            done.set()
            # the judge's share of this thread is the judge's, not the worker's
            self.worker_cpu += time.thread_time() - mark - (self.executor.cpu or {}).get("judge", 0.0)


def plain(node):
    """A NotebookNode as plain dicts and lists (what pickles fastest)."""
    if isinstance(node, dict):
        return {k: plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node


class Runner:
    """Runs jobs in this process, keeping the kernel of the next notebook starting ahead."""

    def __init__(self, config, limits: Limits):
        self.config, self.limits = config, limits
        self.ahead: dict[str, KernelRun] = {}

    def warm_up(self, env: dict) -> None:
        """Start the warm template (once) with the kernels' variables, when kernels are forked warm."""
        if self.limits.provisioner == WARM:
            from from_memory.engine import warm

            warm.start_template(kernel_env(env, self.limits))

    def start(self, path: str, env: dict) -> KernelRun:
        self.warm_up(env)
        return KernelRun(path, self.config, self.limits, env)

    def prestart(self, job: Job) -> None:
        """Start the kernel of ``job``'s first notebook now, while another one runs."""
        if job.paths and job.paths[0] not in self.ahead:
            self.ahead[job.paths[0]] = self.start(job.paths[0], job.env)

    def pids(self) -> set:
        """The processes this runner keeps: kernels started ahead, and the warm template."""
        kept = {k.pid for k in self.ahead.values() if k.pid}
        if self.limits.provisioner == WARM:
            from from_memory.engine import warm

            if warm._template is not None:
                kept.add(warm._template.pid)
        return kept

    def run(self, job: Job, on_start=None) -> Result:
        """Each notebook of ``job`` in order; stops at the first that fails."""
        results = []
        for path in job.paths:
            result = None
            for attempt in range(START_ATTEMPTS):
                kernel = self.ahead.pop(path, None) if attempt == 0 else None
                kernel = kernel or self.start(path, job.env)
                if on_start is not None:
                    on_start(kernel.pid)
                try:
                    result = kernel.run()
                    retry = not result.ok and kernel.started_cells() == 0 and not kernel.error.startswith(
                        ("NotJSONError", "ValidationError", "JSONDecodeError"))
                finally:
                    kernel.close()
                if result.ok:
                    result.cpu["worker"] = kernel.worker_cpu
                    lifetime = kernel.lifetime_cpu()
                    if lifetime is not None:  # what the kernel used after its last cell: its exit
                        from from_memory.engine.execute import KERNEL_PARTS

                        ran = sum(result.cpu.get(k, 0.0) for k in KERNEL_PARTS)
                        result.cpu["exit"] = max(0.0, lifetime - ran)
                if not retry:
                    break
                result.reason += f" (at start; tried {attempt + 1} time{'s' if attempt else ''})"
            results.append(result)
            if not result.ok:
                break
        return Result(job.key, results)

    def close(self) -> None:
        for kernel in self.ahead.values():
            kernel.kill()
            kernel.close()
        self.ahead.clear()
        if self.limits.provisioner == WARM:
            from from_memory.engine import warm

            warm.stop_template()
