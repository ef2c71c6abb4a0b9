"""Autograde on a Dask cluster: the notebooks run on its workers, the grades are recorded here.

The engine (:class:`from_memory.engine.converter.ParallelAutograde`) hands each sanitized
submission to an executor with four methods (``has_room``, ``submit``, ``results``,
``close``). The local one is a pool of forked processes (:mod:`from_memory.engine.pool`);
:class:`DaskExecutor` is the same interface over a ``dask.distributed.Client``: every
submission becomes one Dask task, and the task runs its notebooks exactly as a local
worker does (:class:`from_memory.engine.worker.Runner`: in order, each on a kernel with
the same limits and sandbox, with the judge beside it). Sanitizing and recording stay
in the process that called ``autograde``, so the gradebook still has one writer, sqlite
or PostgreSQL alike, and the grades equal the local pool's.

A worker that dies while it runs a notebook (killed, out of memory, its machine gone)
does not lose that notebook: the scheduler reschedules the task on another worker, up to
``distributed.scheduler.allowed-failures`` times (default 3); after that, or when the
task cannot be run at all, the notebook is recorded as failed with a one-line reason.
The kernel started by a dead worker notices its parent is gone and exits (ipykernel's
parent poller), so it leaves nothing running.

Files: the task carries the sanitized notebooks and the other (small) files of the
submission's ``autograded/<student>/<ps>/`` folder. A worker that sees the very same
notebooks at the same paths (one machine, or a shared file system) runs them in place,
like the local pool; any other worker writes the files to a temporary folder and runs
them there.

Kernels boot ahead, as in the local pool: each task is placed on the least busy worker
(a hint: Dask may still move it), and that worker is asked (``Client.run``) to start the
kernel of the first notebook of the first task waiting there while it runs the current
one. The task takes that kernel when it begins; a kernel booted for a task that ran
elsewhere is shut down when the batch closes.

    from from_memory.engine.grading import autograde
    autograde(".", scheduler="tcp://10.0.0.5:8786")        # or: from-memory autograde --scheduler ...
"""

from __future__ import annotations

import contextlib
import functools
import os
import queue
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from from_memory.engine.environment import GradingError, skip_slow_unused_imports
from from_memory.engine.pool import QUEUE_AHEAD
from from_memory.engine.worker import Job, KernelRun, NotebookResult, Result, Runner
from from_memory.engine.worker import one_line as _one_line

# Files of a notebook's folder shipped with its task, at most (the notebooks of this
# course come alone; a folder with data files is shipped too, up to this size).
MAX_SHIPPED_BYTES = 64 * 1024 * 1024
# Dask retries a task whose function raised; our task catches the notebook's own
# failures, so this only covers a worker-side hiccup (a full disk, a lost temp folder).
TASK_RETRIES = 1


class SchedulerError(GradingError):
    """The Dask scheduler cannot be reached or used; ``str()`` is one line."""


def _folder_files(notebook: str) -> dict[str, bytes]:
    """The files of the notebook's folder (the submission's), by relative path (the notebooks included)."""
    folder = Path(notebook).parent
    files, total = {}, 0
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            total += len(data)
            if total > MAX_SHIPPED_BYTES:
                raise ValueError(
                    f"{folder} holds more than {MAX_SHIPPED_BYTES // 2**20} MB: too much to ship to a Dask worker"
                )
            files[path.relative_to(folder).as_posix()] = data
    return files


def _same_file(path: str, data: bytes) -> bool:
    try:
        return Path(path).read_bytes() == data
    except OSError:
        return False


class _Warm:
    """A kernel this worker starts for a task it is expected to run next (see :func:`prestart`)."""

    def __init__(self):
        self.ready = threading.Event()
        self.kernel: KernelRun | None = None
        self.job: Job | None = None  # the job as placed on this worker
        self.scratch: str | None = None
        self.since = time.monotonic()

    def discard(self) -> None:
        """Shut the kernel down (on the thread that started it) and remove its scratch folder."""
        kernel = self.kernel
        if kernel is not None:
            with contextlib.suppress(Exception):
                _prestarter().submit(kernel.close).result(timeout=30)
            kernel.kill()  # if it did not go
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)


@functools.cache
def _prestarter() -> ThreadPoolExecutor:
    """The one thread of this worker process that boots kernels ahead (it keeps one event loop)."""
    return ThreadPoolExecutor(1, thread_name_prefix="from-memory-prestart")


# This worker process's kernels started ahead, and the tasks that have begun here, by task key.
_WARM: dict[str, _Warm] = {}
_BEGUN: set[str] = set()
_LOCK = threading.Lock()
STALE = 3600  # seconds after which a kernel started ahead for a task that went elsewhere is dropped


def _placed(job: Job, files: dict[str, bytes]) -> tuple[Job, str | None]:
    """The job as this worker runs it: in place, or in a temporary copy of its folder (returned too)."""
    if all(_same_file(path, files[os.path.basename(path)]) for path in job.paths):
        return job, None
    scratch = tempfile.mkdtemp(prefix="from-memory-")
    folder = Path(scratch) / Path(job.paths[0]).parent.name
    for relative, data in files.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return Job(job.key, [str(folder / os.path.basename(p)) for p in job.paths], job.env), scratch


def prestart(task_key: str, job: Job, files, config, limits) -> None:
    """Run on a worker through ``Client.run``: start the kernel of a task queued there, in a thread.

    The local pool's trick: the next kernel boots while the current submission runs. When
    the task begins here, :func:`run_submission` takes this kernel; if it begins first, or
    elsewhere, nothing is started or the kernel is dropped later.
    """
    warm = _Warm()
    with _LOCK:
        if task_key in _WARM or task_key in _BEGUN:
            return
        _WARM[task_key] = warm

    def start():
        try:
            warm.job, warm.scratch = _placed(job, files)
            warm.kernel = KernelRun(warm.job.paths[0], config, limits, warm.job.env)
        except Exception:  # noqa: BLE001 - the task starts its own kernel and reports what goes wrong
            warm.kernel = None
        finally:
            warm.ready.set()

    _prestarter().submit(start)


def drop_warm(prefix: str = "") -> int:
    """Kill the kernels started ahead for tasks whose key starts with ``prefix``; return how many."""
    with _LOCK:
        dropped = [_WARM.pop(key) for key in [k for k in _WARM if k.startswith(prefix)]]
    for warm in dropped:
        warm.ready.wait(60)
        warm.discard()
    return len(dropped)


def run_submission(job: Job, files: dict[str, bytes], config, limits, task_key: str | None = None) -> Result:
    """The Dask task: execute one submission's notebooks on this worker; never raises for their sake.

    Runs in place when this worker sees the same notebooks at ``job.paths``; otherwise in a
    temporary copy of their folder, removed afterwards, with the results reported under
    the original paths. Uses the kernel :func:`prestart` started for ``task_key`` when
    there is one; the time limit counts from now either way.
    """
    skip_slow_unused_imports()
    now = time.monotonic()
    with _LOCK:
        warm = _WARM.pop(task_key, None) if task_key else None
        if task_key:
            _BEGUN.add(task_key)
        stale = [_WARM.pop(k) for k in [k for k, w in _WARM.items() if now - w.since > STALE]]
    for old in stale:
        old.discard()
    runner = Runner(config, limits)
    placed, scratch = None, None
    if warm is not None:
        warm.ready.wait(120)
        if warm.kernel is not None and not warm.kernel.error and warm.kernel.exit_code() is None:
            placed, scratch = warm.job, warm.scratch
            runner.ahead[placed.paths[0]] = warm.kernel
        else:
            warm.discard()
    try:
        if placed is None:
            placed, scratch = _placed(job, files)
        result = runner.run(placed)
        originals = dict(zip(placed.paths, job.paths, strict=True))
        for notebook in result.notebooks:
            notebook.path = originals.get(notebook.path, notebook.path)
        return result
    finally:
        runner.close()
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


def _probe(address: str, seconds: float = 5.0) -> None:
    """Fail fast, in one line, on an address Dask cannot use or a TCP port nobody listens on.

    (A ``Client`` that cannot connect retries until its timeout, then blocks again when
    it is garbage-collected; this check spares the instructor both waits.)
    """
    import socket

    from distributed.comm import get_address_host_port, parse_address
    from distributed.comm.registry import backends

    try:
        scheme, _ = parse_address(address)
        if scheme not in backends:
            raise ValueError(f"unknown scheme {scheme!r} (known: {', '.join(sorted(backends))})")
        if scheme not in ("tcp", "tls"):
            return
        host, port = get_address_host_port(address)
    except (ValueError, TypeError) as error:
        raise SchedulerError(
            f"{address!r} is not a Dask scheduler address (expected tcp://HOST:PORT): {_one_line(error)}"
        ) from None
    try:
        socket.create_connection((host, port), timeout=seconds).close()
    except OSError as error:
        raise SchedulerError(
            f"cannot reach the Dask scheduler at {address}: {_one_line(error)}; is `dask scheduler` running there?"
        ) from None


class DaskExecutor:
    """Executor over a Dask cluster, with the local pool's interface (see the module docstring).

    ``scheduler`` is the address of a running scheduler (``tcp://host:8786``) or an
    existing ``dask.distributed.Client``. ``jobs`` caps the notebooks in flight at
    ``jobs * (1 + QUEUE_AHEAD)`` (default: from the cluster's threads, looked up as it grows).
    """

    def __init__(self, scheduler, jobs, config, limits):
        try:
            from distributed import Client
        except ImportError:
            raise SchedulerError(
                "--scheduler needs Dask: pip install 'from-memory[scale]' (dask[distributed])"
            ) from None
        if isinstance(scheduler, Client):
            self.client, self.own_client = scheduler, False
        else:
            _probe(scheduler)
            try:
                self.client = Client(scheduler, timeout="20s", set_as_default=False)
            except (OSError, TimeoutError, ValueError) as error:
                raise SchedulerError(f"cannot reach the Dask scheduler at {scheduler}: {_one_line(error)}") from None
            self.own_client = True
        self.jobs = jobs
        self.args = (config, limits)
        self.token = f"autograde-{os.getpid()}-{time.time_ns()}-"  # prefix of this batch's task keys
        self.futures: dict = {}  # future -> job key
        self.jobs_by_key: dict = {}
        self.ready: list[Result] = []  # failed before reaching Dask
        self.done: queue.Queue = queue.Queue()  # futures, put there by Dask as they finish
        # Where each task was placed, so that the next kernel of each worker boots ahead.
        self.queues: dict[str, list] = {}  # worker address -> [(task key, job, files)] in order
        self.placed: dict = {}  # future -> worker address
        self.prestarted: set[str] = set()
        self.threads: dict[str, int] = {}
        self.threads_checked = -1.0

    def _workers(self) -> dict[str, int]:
        """{worker address: threads}, asked of the scheduler at most every 2 s (workers come and go)."""
        if time.monotonic() - self.threads_checked > 2:
            self.threads = dict(self.client.nthreads())
            self.threads_checked = time.monotonic()
        return self.threads

    def _capacity(self) -> int:
        threads = self.jobs or sum(self._workers().values()) or 1
        return threads * (1 + QUEUE_AHEAD)

    def has_room(self) -> bool:
        return len(self.futures) < self._capacity()

    def submit(self, job: Job) -> None:
        try:
            files = _folder_files(job.paths[0])
        except (OSError, ValueError) as error:
            self.ready.append(_failed(job, _one_line(error)))
            return
        key = f"{self.token}{job.key}"
        workers = self._workers()
        # The worker with the fewest tasks per thread; a hint only: Dask may run it elsewhere.
        where = min(workers, key=lambda w: len(self.queues.get(w, ())) / workers[w]) if workers else None
        future = self.client.submit(
            run_submission, job, files, *self.args, task_key=key, key=key, pure=False, retries=TASK_RETRIES,
            workers=[where] if where else None, allow_other_workers=True,
        )
        self.futures[future] = job.key
        self.jobs_by_key[job.key] = job
        if where:
            self.placed[future] = where
            self.queues.setdefault(where, []).append((key, job, files))
            self._prestart(where)
        future.add_done_callback(self.done.put)

    def _prestart(self, worker: str) -> None:
        """Boot the kernel of the first task waiting on ``worker`` (those running have theirs)."""
        waiting = self.queues.get(worker, [])[self._workers().get(worker, 1):]
        if not waiting or waiting[0][0] in self.prestarted:
            return
        key, job, files = waiting[0]
        self.prestarted.add(key)
        with contextlib.suppress(Exception):  # a worker gone: its tasks run elsewhere, cold
            self.client.run(prestart, key, job, files, *self.args, workers=[worker])

    def results(self) -> list[Result]:
        """Wait a little; return the results that arrived (a task that could not run comes back failed)."""
        out, self.ready = self.ready, []
        done = []
        try:
            done.append(self.done.get(timeout=0.05 if out or not self.futures else 0.5))
            while True:
                done.append(self.done.get_nowait())
        except queue.Empty:
            pass
        for future in done:
            key = self.futures.pop(future, None)
            if key is None:
                continue
            out.append(self._result(future, self.jobs_by_key.pop(key)))
            where = self.placed.pop(future, None)
            if where:
                self.queues[where] = [entry for entry in self.queues[where] if entry[0] != future.key]
                self._prestart(where)
        return out

    def _result(self, future, job: Job) -> Result:
        from distributed import KilledWorker

        if future.status == "finished":
            return future.result()
        if future.cancelled():
            return _failed(job, "the Dask task was cancelled (scheduler restarted or lost)")
        error = future.exception()
        if isinstance(error, KilledWorker):
            return _failed(job, "each Dask worker that ran it died (Dask gave up after its allowed-failures)")
        return _failed(job, f"the Dask task failed: {_one_line(error)}")

    def close(self) -> None:
        if self.futures:
            self.client.cancel(list(self.futures))
            self.futures.clear()
        if self.prestarted:
            # Kernels booted for tasks that ran elsewhere, or never; a worker that cannot be
            # reached now drops them by its STALE rule.
            with contextlib.suppress(Exception):
                self.client.run(drop_warm, self.token)
        if self.own_client:
            self.client.close()



def _failed(job: Job, reason: str) -> Result:
    return Result(job.key, [NotebookResult(job.paths[0], False, reason=reason)])
