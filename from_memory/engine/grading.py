"""Parallel autograde: kernels run side by side, one process writes the gradebook.

Stock ``nbgrader autograde`` does three things per submitted notebook, one notebook at
a time: *sanitize* it (restore the instructor's cells, clear outputs; reads and writes
the gradebook), *execute* it on a fresh Jupyter kernel (nearly all of the time), and
*record* the grades (``SaveAutoGrades`` & co.; writes the gradebook). Here the same
nbgrader ``Autograde`` converter, configured by the course's ``nbgrader_config.py``,
does the sanitizing and the recording in this process, the only gradebook writer,
while a pool of worker processes executes the sanitized notebooks concurrently with
nbgrader's own ``Execute`` preprocessor (same timeouts, same kernel, same working
folder and environment). The recording step is nbgrader's stock list of autograde
preprocessors with ``Execute`` swapped for :class:`UseExecutedNotebook`, which hands
over the worker's executed notebook; so the gradebook ends up as stock serial
autograde leaves it.

Each worker keeps the kernel of its next notebook starting while it runs the current
one. Every kernel runs under a memory limit (``RLIMIT_AS``) and a wall-clock limit; a
notebook whose kernel dies, hangs past the limit or cannot be read is recorded as
*failed* with a one-line reason (and nbgrader's bookkeeping for a failed notebook:
its autograded folder is removed, its grades stay unscored), and the batch goes on.
Outcomes are also kept in ``reports/autograde_status.json`` for the class report.

    from from_memory.engine.grading import autograde
    outcomes = autograde(".", ["ps1_forward"], jobs=2, timeout=120)
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path

from from_memory import course
from from_memory.engine import sandbox

DEFAULT_TIMEOUT = 300  # seconds of wall clock per notebook, kernel start included
DEFAULT_MEMORY_MB = 4096  # address space per kernel; numpy + matplotlib need ~1 GB
STATUS_FILE = Path("reports") / "autograde_status.json"
# Notebooks handed to a worker ahead of the one it runs: one has its kernel starting,
# one waits, so the next kernel is always warming up.
QUEUE_AHEAD = 2
# Seconds a worker gets beyond the notebook's limit to report back before it is killed.
GRACE = 30

# The kernel's launcher: memory limit (0: none), then no file writes outside its own
# folder (from_memory.engine.sandbox; a no-op where Linux Landlock is missing), then the kernel.
_RLIMIT_EXEC = (
    "import os, resource, sys\n"
    "limit = int(sys.argv.pop(1))\n"
    "if limit:\n"
    "    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))\n"
    "from from_memory.engine.sandbox import confine, kernel_folders\n"
    "confine(kernel_folders(os.getcwd()))\n"
    "os.execv(sys.argv[1], sys.argv[1:])\n"
)


@dataclass
class Outcome:
    """What became of one submitted notebook."""

    student: str
    assignment: str
    notebook: str
    status: str  # "graded" | "failed" | "skipped"
    reason: str = ""  # one line, for failed and skipped notebooks
    seconds: float = 0.0  # wall clock of its execution
    score: float | None = None
    max_score: float | None = None

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def line(self) -> str:
        """One line for people: ``ada/ps1_forward: failed: kernel died (exit code 1)``."""
        where = f"{self.student}/{self.assignment}"
        if self.status == "graded":
            return (
                f"{where}: graded {_num(self.score)}/{_num(self.max_score)} ({self.seconds:.1f} s)"
            )
        return f"{where}: {self.status}: {self.reason}"


def _num(x) -> str:
    return "?" if x is None else f"{x:g}"


@dataclass
class _Job:
    """One sanitized notebook to execute; picklable, sent to a worker."""

    key: int
    path: str  # the sanitized notebook, autograded/<student>/<ps>/<nb>.ipynb
    kernel_env: dict = field(repr=False, default_factory=dict)


@dataclass
class _Result:
    key: int
    ok: bool
    notebook: dict | None = None  # the executed notebook, when ok
    reason: str = ""
    seconds: float = 0.0


# --- the worker side: execute sanitized notebooks ------------------------------


def _limited_kernel_manager(memory_mb: int | None):
    """nbgrader's kernel manager class, its kernel started under ``RLIMIT_AS``."""
    from jupyter_client.manager import AsyncKernelManager

    class LimitedKernelManager(AsyncKernelManager):
        def format_kernel_cmd(self, extra_arguments=None):
            cmd = super().format_kernel_cmd(extra_arguments)
            limit = str(int(memory_mb) * 1024 * 1024) if memory_mb else "0"
            return [sys.executable, "-c", _RLIMIT_EXEC, limit, *cmd]

    return LimitedKernelManager


class _Kernel:
    """A kernel started for one job, in the job's folder, before it is needed."""

    def __init__(self, job: _Job, config, manager_class, quiet=True):
        import nbformat
        from jupyter_core.utils import run_sync
        from nbgrader.preprocessors import Execute

        self.job = job
        self.error = ""
        self.nb = None
        self.km = None
        try:
            self.nb = nbformat.read(job.path, as_version=nbformat.NO_CONVERT)
            self.executor = Execute(config=config)
            name = self.nb.metadata.get("kernelspec", {}).get("name") or self.executor.kernel_name
            kwargs = {"kernel_name": name} if name else {}
            self.km = manager_class(config=config, **kwargs)
            extra = list(self.executor.extra_arguments)
            if self.km.ipykernel and not any(
                a.startswith("--HistoryManager.hist_file") for a in extra
            ):
                extra.append(f"--HistoryManager.hist_file={self.executor.ipython_hist_file}")
            # The kernel's own stderr is its start-up chatter; students' output goes to the notebook.
            stderr = {"stderr": subprocess.DEVNULL} if quiet else {}
            run_sync(self.km.start_kernel)(
                extra_arguments=extra, cwd=os.path.dirname(job.path), env=job.kernel_env, **stderr
            )
        except Exception as error:  # noqa: BLE001 - unreadable notebook, kernel that cannot start
            self.error = _one_line(error)

    @property
    def pid(self) -> int | None:
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        return getattr(process, "pid", None)

    def exit_code(self) -> int | None:
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        return None if process is None else process.poll()

    def kill(self) -> None:
        _kill_group(self.pid)

    def run(self, timeout: float) -> _Result:
        from jupyter_core.utils import run_sync

        started = time.monotonic()
        if self.error:
            return _Result(self.job.key, False, reason=self.error)
        expired = threading.Event()

        def expire():
            expired.set()
            self.kill()

        watchdog = threading.Timer(timeout, expire)
        watchdog.daemon = True
        watchdog.start()
        resources = {"metadata": {"path": os.path.dirname(self.job.path)}}
        try:
            executed, _ = self.executor.preprocess(self.nb, resources, km=self.km)
            seconds = time.monotonic() - started
            if expired.is_set():
                return _Result(
                    self.job.key, False, reason=f"timed out after {timeout:g} s", seconds=seconds
                )
            # A plain dict travels through the pipe; the recorder validates it when it writes it.
            return _Result(self.job.key, True, notebook=_plain(executed), seconds=seconds)
        except Exception as error:  # noqa: BLE001 - whatever stops a notebook is its one-line reason
            seconds = time.monotonic() - started
            if expired.is_set():
                reason = f"timed out after {timeout:g} s (kernel stopped)"
            else:
                reason = _death_reason(self.exit_code()) or _one_line(error)
            return _Result(self.job.key, False, reason=reason, seconds=seconds)
        finally:
            watchdog.cancel()
            kc = getattr(self.executor, "kc", None)
            if kc is not None:
                kc.stop_channels()
            try:
                run_sync(self.km.shutdown_kernel)(now=True)
            except Exception:  # noqa: BLE001 - a kernel that will not shut down is killed
                self.kill()


def _plain(node):
    """A NotebookNode as plain dicts and lists (what pickles fastest)."""
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _death_reason(code: int | None) -> str:
    if code is None:
        return ""
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
        return f"kernel died: killed by {name}"
    return f"kernel died (exit code {code})"


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or "no message"
    if len(text) > 160:
        text = text[:157] + "..."
    return f"{type(error).__name__}: {text}"


def _kill_group(pid: int | None) -> None:
    """SIGKILL a kernel and whatever it started (the kernel leads its own session)."""
    if not pid:
        return
    for kill, target in ((os.killpg, pid), (os.kill, pid)):
        try:
            kill(target, signal.SIGKILL)
            return
        except (ProcessLookupError, PermissionError):
            continue


def _worker(conn, config, memory_mb, timeout, verbose=False) -> None:
    """Run jobs from ``conn`` until it sends None; report ("running", key, pid) then a _Result."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's business
    sandbox.adopt_orphans()  # what a kernel leaves running becomes ours, and is killed below
    manager_class = _limited_kernel_manager(memory_mb)
    waiting: deque[_Job] = deque()
    warm: dict[int, _Kernel] = {}
    closing = False

    def start(job):
        return _Kernel(job, config, manager_class, quiet=not verbose)

    while True:
        while not closing and (not waiting or conn.poll()):
            job = conn.recv()
            if job is None:
                closing = True
            else:
                waiting.append(job)
        if not waiting:
            break
        job = waiting.popleft()
        kernel = warm.pop(job.key, None) or start(job)  # its time limit counts from now
        if waiting and waiting[0].key not in warm:
            warm[waiting[0].key] = start(waiting[0])
        conn.send(("running", job.key, kernel.pid))
        result = kernel.run(timeout)
        sandbox.kill_orphans(keep={k.pid for k in warm.values()})
        conn.send(("done", result))
    for kernel in warm.values():
        kernel.kill()
    sandbox.kill_orphans()
    conn.close()


# --- the main side: one writer --------------------------------------------------


def autograde(
    course_root=".",
    assignments=None,
    *,
    student: str | None = None,
    jobs: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    memory_mb: int | None = DEFAULT_MEMORY_MB,
    force: bool = False,
    progress=None,
    verbose: bool = False,
    scheduler=None,
) -> list[Outcome]:
    """Autograde ``assignments`` (default: all in source/) of every student, or of ``student``.

    ``jobs`` notebooks run at once (default ``os.cpu_count()``), each limited to ``timeout``
    seconds of wall clock and ``memory_mb`` of address space (None: no limit). Already
    graded submissions are skipped unless ``force``. ``progress`` is a writable stream
    (default: stderr) or False. Returns one :class:`Outcome` per submitted notebook and
    saves them in ``reports/autograde_status.json``. ``scheduler`` (a Dask scheduler
    address or ``distributed.Client``) runs the notebooks on that cluster instead of
    local processes, with the same limits (:mod:`from_memory.engine.cluster`).
    """
    root = Path(course_root).resolve()
    names = course.choose_assignments(root, assignments)
    course.require_released(root, names)
    course.require_submissions(root, names, student)
    jobs_asked, jobs = jobs, max(1, int(jobs or os.cpu_count() or 1))
    course.skip_slow_unused_imports()
    os.environ["PATH"] = course.environment(root)["PATH"]

    with warnings.catch_warnings():
        # nbgrader's own warnings (SQLAlchemy's, mostly) are as harmless here as under
        # stock autograde: never let a caller's "warnings are errors" fail a notebook.
        warnings.simplefilter("default" if verbose else "ignore")
        batch = _Batch(root, names, student, force, verbose)
        bar = _Progress(sys.stderr if progress is None else progress)
        if scheduler is None:
            pool = _Pool(jobs, batch.config, memory_mb, timeout, verbose)
        else:  # a Dask cluster executes; this process still sanitizes and records
            from from_memory.engine.cluster import DaskExecutor

            pool = DaskExecutor(scheduler, jobs_asked, batch.config, memory_mb, timeout, verbose)
        try:
            with _one_engine_per_gradebook():
                batch.run(pool, bar)
        finally:
            pool.close()
            bar.finish()
    _save_status(root, batch.outcomes)
    return batch.outcomes


@contextlib.contextmanager
def _one_engine_per_gradebook():
    """Let every ``nbgrader.api.Gradebook`` opened here share one SQLAlchemy engine per URL.

    nbgrader opens a Gradebook about ten times per notebook, each time with a new
    engine, so each time SQLAlchemy compiles its queries afresh: most of the recording
    time. This process is the only writer, so sharing the engine (and its compiled-query
    cache) changes nothing in what is written. ``dispose()`` stays as it was: it closes
    the pooled connections, which the next use reopens.
    """
    import nbgrader.api

    original = nbgrader.api.create_engine
    engines = {}

    def shared(url, *args, **kwargs):
        key = (str(url), tuple(sorted(kwargs.items())))
        if key not in engines:
            engines[key] = original(url, *args, **kwargs)
        return engines[key]

    nbgrader.api.create_engine = shared
    try:
        yield
    finally:
        nbgrader.api.create_engine = original
        for engine in engines.values():
            engine.dispose()


class _Batch:
    """nbgrader's Autograde converter, driven in three steps per notebook."""

    def __init__(self, root: Path, names, student, force, verbose):
        from nbgrader.apps.autogradeapp import AutogradeApp

        self.root = root
        self.names = names
        self.outcomes: list[Outcome] = []
        here = os.getcwd()
        os.chdir(root)  # nbgrader reads nbgrader_config.py from the working directory
        try:
            self.app = AutogradeApp()
            self.app.initialize(["--log-level=" + ("INFO" if verbose else "CRITICAL")])
            self.app.log.propagate = False
        finally:
            os.chdir(here)
        self.app.coursedir.student_id = student or "*"
        self.force = force
        self.config = self.app.config
        self.kernel_env = dict(os.environ, NBGRADER_EXECUTION="autograde")

    def _converter(self, assignment):
        from nbconvert.writers import FilesWriter

        self.app.coursedir.assignment_id = assignment
        recorder, _ = _recorder_class()
        conv = recorder(coursedir=self.app.coursedir, parent=self.app)
        conv.force = self.force
        conv.init_notebooks()
        conv.writer = FilesWriter(parent=conv, config=conv.config)
        conv.exporter = conv.exporter_class(parent=conv, config=conv.config)
        return conv

    def submissions(self):
        """Yield (converter, assignment, student, notebooks) for every submission to grade."""
        from nbgrader.converters.base import NbGraderException

        for assignment in self.names:
            try:
                conv = self._converter(assignment)
            except NbGraderException:
                continue  # nothing submitted for this assignment (by this student)
            for folder in sorted(conv.assignments):
                student = Path(folder).parent.name
                yield conv, assignment, student, sorted(conv.assignments[folder])

    def sanitize(self, conv, assignment, student, notebooks):
        """Stock autograde's first half for one submission: returns the sanitized paths.

        Returns None (after recording an outcome) when it is skipped or fails.
        """
        from nbgrader.converters.base import BaseConverter

        conv.notebooks = notebooks
        self.app.coursedir.assignment_id = assignment
        try:
            if not conv.init_destination(assignment, student):
                for nb in notebooks:
                    self._outcome(
                        student, assignment, nb, "skipped", "already graded (use --force)"
                    )
                return None
            conv.run_pre_convert_hook()
            conv.init_assignment(assignment, student)
            paths = []
            for nb in conv.notebooks:
                conv._sanitizing = True
                conv._init_preprocessors()
                BaseConverter.convert_single_notebook(conv, nb)
                paths.append(os.path.join(conv.writer.build_directory, os.path.basename(nb)))
            return paths
        except Exception as error:  # noqa: BLE001 - one submission's failure never stops the batch
            self._fail_submission(conv, assignment, student, notebooks, _reason_for(error))
            return None

    def record(self, conv, assignment, student, executed: dict, seconds: dict):
        """Stock autograde's second half, with the workers' executed notebooks."""
        from nbgrader.converters.base import BaseConverter

        self.app.coursedir.assignment_id = assignment
        try:
            conv._sanitizing = False
            conv._init_preprocessors()
            for path, nb in executed.items():
                conv.executed[os.path.normpath(path)] = nb
                BaseConverter.convert_single_notebook(conv, path)
            conv.set_permissions(assignment, student)
            conv.run_post_convert_hook()
        except Exception as error:  # noqa: BLE001 - one submission's failure never stops the batch
            self._fail_submission(conv, assignment, student, list(executed), _reason_for(error))
            return
        finally:
            conv._sanitizing = True
            conv.executed.clear()
        for path in executed:
            score, max_score = _scores(conv, assignment, student, path)
            self._outcome(student, assignment, path, "graded", "", seconds[path], score, max_score)

    def _fail_submission(self, conv, assignment, student, notebooks, reason, seconds=0.0):
        from nbgrader.utils import rmtree

        dest = os.path.normpath(conv._format_dest(assignment, student))
        if os.path.exists(os.path.join(self.root, dest)):
            rmtree(os.path.join(self.root, dest))  # what nbgrader does with a failed submission
        for nb in notebooks:
            self._outcome(student, assignment, nb, "failed", reason, seconds)

    def _outcome(
        self, student, assignment, path, status, reason, seconds=0.0, score=None, max_score=None
    ):
        notebook = os.path.splitext(os.path.basename(path))[0]
        self.outcomes.append(
            Outcome(student, assignment, notebook, status, reason, seconds, score, max_score)
        )

    def run(self, pool: _Pool, bar: _Progress) -> None:
        """Sanitize, dispatch and record, keeping every worker fed."""
        todo = self.submissions()
        pending: dict[tuple, dict] = {}  # (assignment, student) -> state of its notebooks
        keys: dict[int, tuple] = {}
        total = 0
        counter = 0
        here = os.getcwd()
        os.chdir(self.root)
        try:
            exhausted = False
            while True:
                while not exhausted and pool.has_room():
                    try:
                        conv, assignment, student, notebooks = next(todo)
                    except StopIteration:
                        exhausted = True
                        bar.total(total)
                        break
                    total += 1
                    bar.total(total, growing=True)
                    paths = self.sanitize(conv, assignment, student, notebooks)
                    if paths is None:
                        bar.tick(self.outcomes[-1].failed)
                        continue
                    state = {
                        "conv": conv,
                        "paths": paths,
                        "executed": {},
                        "seconds": {},
                        "failed": "",
                    }
                    pending[(assignment, student)] = state
                    for path in paths:
                        counter += 1
                        keys[counter] = (assignment, student, path)
                        pool.submit(_Job(counter, os.path.abspath(path), self.kernel_env))
                if exhausted and not pending:
                    break
                for result in pool.results():
                    assignment, student, path = keys.pop(result.key)
                    state = pending[(assignment, student)]
                    if result.ok:
                        state["executed"][path] = result.notebook
                    else:
                        state["failed"] = state["failed"] or result.reason
                    state["seconds"][path] = result.seconds
                    if len(state["seconds"]) < len(state["paths"]):
                        continue
                    del pending[(assignment, student)]
                    if state["failed"]:
                        self._fail_submission(
                            state["conv"],
                            assignment,
                            student,
                            state["paths"],
                            state["failed"],
                            seconds=max(state["seconds"].values()),
                        )
                    else:
                        self.record(
                            state["conv"], assignment, student, state["executed"], state["seconds"]
                        )
                    bar.tick(self.outcomes[-1].failed)
        finally:
            os.chdir(here)


def _reason_for(error: BaseException) -> str:
    from nbformat.reader import NotJSONError

    if isinstance(error, NotJSONError):
        return "the notebook is not valid JSON (malformed .ipynb)"
    return _one_line(error)


def _scores(conv, assignment, student, path):
    from nbgrader.api import Gradebook

    name = os.path.splitext(os.path.basename(path))[0]
    with Gradebook(conv.coursedir.db_url, conv.coursedir.course_id) as gb:
        nb = gb.find_submission_notebook(name, assignment, student)
        return nb.score, nb.max_score


@functools.cache
def _recorder_class():
    """(Recorder, UseExecutedNotebook), built on first use: nbgrader is slow to import."""
    from nbgrader.converters.autograde import Autograde
    from nbgrader.preprocessors import Execute, NbGraderPreprocessor

    class UseExecutedNotebook(NbGraderPreprocessor):
        """Stands where ``Execute`` stands: hands over the notebook a worker executed."""

        def preprocess(self, nb, resources):
            executed = resources["from_memory"]["executed"]
            if [c.source for c in executed.cells] != [c.source for c in nb.cells]:
                raise RuntimeError("the executed notebook does not match the sanitized one")
            return executed, resources

    class Recorder(Autograde):
        """nbgrader's Autograde whose execution step reads the workers' results."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.executed = {}
            steps = list(self.autograde_preprocessors)
            swapped = [UseExecutedNotebook if s is Execute else s for s in steps]
            if swapped == steps:
                raise RuntimeError(
                    "Autograde.autograde_preprocessors has no Execute step to replace"
                )
            self.autograde_preprocessors = swapped

        def init_single_notebook_resources(self, notebook_filename):
            import nbformat

            resources = super().init_single_notebook_resources(notebook_filename)
            executed = self.executed.get(os.path.normpath(notebook_filename))
            if executed is not None:
                resources["from_memory"] = {"executed": nbformat.from_dict(executed)}
            return resources

    return Recorder, UseExecutedNotebook


class _Pool:
    """Worker processes fed through pipes; a dead or stuck worker is replaced."""

    def __init__(self, jobs: int, config, memory_mb, timeout, verbose=False):
        import multiprocessing

        self.ctx = multiprocessing.get_context("fork")
        self.args = (config, memory_mb, timeout, verbose)
        self.timeout = timeout
        self.workers = [self._spawn() for _ in range(jobs)]
        self.backlog: deque[_Job] = deque()

    def _spawn(self) -> dict:
        here, there = self.ctx.Pipe()
        process = self.ctx.Process(target=_worker, args=(there, *self.args), daemon=True)
        process.start()
        there.close()
        return {"process": process, "conn": here, "jobs": deque(), "running": None}

    def has_room(self) -> bool:
        if self.backlog:
            return False
        return any(len(w["jobs"]) < 1 + QUEUE_AHEAD for w in self.workers)

    def submit(self, job: _Job) -> None:
        self.backlog.append(job)
        self._feed()

    def _feed(self) -> None:
        for w in sorted(self.workers, key=lambda w: len(w["jobs"])):
            while self.backlog and len(w["jobs"]) < 1 + QUEUE_AHEAD:
                job = self.backlog.popleft()
                w["jobs"].append(job)
                try:
                    w["conn"].send(job)
                except OSError:  # the worker died (a kernel can kill it): results() replaces it
                    break

    def results(self):
        """Wait a little; yield the results that arrived (a lost job comes back failed)."""
        from multiprocessing.connection import wait

        ready = wait(
            [w["conn"] for w in self.workers] + [w["process"].sentinel for w in self.workers], 0.5
        )
        out = []
        for w in list(self.workers):
            if w["conn"] in ready:
                try:
                    while w["conn"].poll():
                        kind, *rest = w["conn"].recv()
                        if kind == "running":
                            key, pid = rest
                            w["running"] = (key, pid, time.monotonic())
                        else:
                            (result,) = rest
                            w["jobs"] = deque(j for j in w["jobs"] if j.key != result.key)
                            w["running"] = None
                            out.append(result)
                except (EOFError, OSError):
                    pass
            running = w["running"]
            stuck = running and time.monotonic() - running[2] > self.timeout + GRACE
            if not w["process"].is_alive() or stuck:
                out.extend(
                    self._replace(
                        w,
                        "the grading worker stopped responding"
                        if stuck
                        else f"the grading worker died (exit code {w['process'].exitcode})",
                    )
                )
        self._feed()
        return out

    def _replace(self, w: dict, reason: str) -> list[_Result]:
        running = w["running"]
        if running:
            _kill_group(running[1])
        w["process"].kill()
        w["process"].join(5)
        lost = []
        for job in w["jobs"]:
            if running and job.key == running[0]:
                lost.append(_Result(job.key, False, reason=reason))
            else:
                self.backlog.appendleft(job)  # never started: give it to another worker
        self.workers[self.workers.index(w)] = self._spawn()
        return lost

    def close(self) -> None:
        for w in self.workers:
            try:
                w["conn"].send(None)
            except OSError:
                pass
        for w in self.workers:
            w["process"].join(10)
            if w["process"].is_alive():
                w["process"].kill()
                w["process"].join()
            w["conn"].close()


class _Progress:
    """``autograde [######----] 6/10 submissions, 1 failed, 12 s, 30/min`` on stderr.

    Redrawn in place on a terminal; elsewhere (logs, CI) only the final line is written.
    """

    WIDTH = 24

    def __init__(self, stream):
        self.stream = stream or None
        self.tty = bool(self.stream) and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.n = self.done = self.failed = 0
        self.growing = True
        self.started = time.monotonic()

    def total(self, n: int, growing: bool = False) -> None:
        self.n, self.growing = n, growing
        self._draw()

    def tick(self, failed: bool) -> None:
        self.done += 1
        self.failed += bool(failed)
        self._draw()

    def _text(self) -> str:
        n = max(self.n, 1)
        fill = round(self.WIDTH * self.done / n)
        total = f"{self.n}+" if self.growing else f"{self.n}"
        elapsed = time.monotonic() - self.started
        rate = f", {60 * self.done / elapsed:.0f}/min" if self.done and elapsed > 0 else ""
        return (
            f"autograde [{'#' * fill}{'-' * (self.WIDTH - fill)}] "
            f"{self.done}/{total} submissions, {self.failed} failed, {elapsed:.0f} s{rate}"
        )

    def _draw(self) -> None:
        if not self.stream or not self.tty:
            return
        self.stream.write("\r" + self._text())
        self.stream.flush()

    def finish(self) -> None:
        if not self.stream:
            return
        self.growing = False
        self.stream.write(("\r" if self.tty else "") + self._text() + "\n")
        self.stream.flush()


# --- outcomes on disk, for the class report ------------------------------------------


def _save_status(root: Path, outcomes: list[Outcome]) -> Path:
    path = root / STATUS_FILE
    status = read_status(root)
    for o in outcomes:
        if o.status != "skipped":
            status[(o.student, o.assignment, o.notebook)] = o
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [asdict(o) for _, o in sorted(status.items())]
    path.write_text(json.dumps(rows, indent=1) + "\n")
    return path


def read_status(course_root=".") -> dict[tuple[str, str, str], Outcome]:
    """The last autograde outcome of each (student, assignment, notebook), from the status file."""
    path = Path(course_root) / STATUS_FILE
    if not path.is_file():
        return {}
    rows = json.loads(path.read_text())
    return {(r["student"], r["assignment"], r["notebook"]): Outcome(**r) for r in rows}
