"""The local executor: worker processes fed through pipes, one submission at a time each.

Every executor has the same four methods: ``has_room()``, ``submit(job)``,
``results()`` (wait a little, return the :class:`~from_memory.engine.worker.Result` s
that arrived) and ``close()``. This one forks ``jobs`` worker processes from the
grader; each runs its submissions with a :class:`~from_memory.engine.worker.Runner`
(the notebooks of one submission in order, on one worker), keeps the kernel of its
next submission starting while the current one runs, and kills whatever a kernel
left running. A worker that dies, or stops answering, is replaced; the submission it
was running comes back failed, those it had not started go to another worker.
:class:`AsIs` is the executor of a run that executes nothing.
"""

from __future__ import annotations

import dataclasses
import signal
import time
from collections import deque

from from_memory.engine import processes
from from_memory.engine.worker import (
    Job,
    NotebookResult,
    Result,
    Runner,
    kill_group,
    one_line,
    plain,
    preload,
)

# Submissions handed to a worker ahead of the one it runs, so its next kernel is always starting.
QUEUE_AHEAD = 1
# A local worker reads its pipe only between submissions, so it holds one more than that: when
# one ends, the next (whose kernel started ahead) begins at once, and the one after it is there
# for its kernel to start.
PIPE_AHEAD = QUEUE_AHEAD + 1
# Seconds a worker gets beyond a submission's limit to report back before it is replaced.
GRACE = 30


def _serve(conn, config, limits, env) -> None:
    """A worker: run jobs from ``conn`` until it sends None; report ("running", key, pid) then a Result."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's business
    processes.adopt_orphans()  # what a kernel leaves running becomes ours, and is killed below
    runner = Runner(config, limits)
    if env is not None:
        runner.warm_up(env)  # the warm template starts while the first submissions are sanitized
    waiting: deque[Job] = deque()
    closing = False
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
        if waiting:
            runner.prestart(waiting[0])
        result = runner.run(job, on_start=lambda pid, key=job.key: conn.send(("running", key, pid)))
        processes.kill_orphans(keep=runner.pids())
        conn.send(("done", result))
    runner.close()
    processes.kill_orphans()
    conn.close()


class LocalPool:
    """``jobs`` workers, or one per submission when ``submissions`` says there are fewer.

    ``kernels`` (the notebooks to run) lets a run too small to gain from the warm template
    start its kernels fresh (:func:`~from_memory.engine.warm.worth_it`).
    """

    def __init__(self, jobs: int, config, limits, env: dict | None = None,
                 submissions: int | None = None, kernels: int | None = None):
        import multiprocessing

        from from_memory.engine import warm

        if submissions is not None:
            jobs = max(1, min(jobs, submissions))
        few = kernels is not None and not warm.worth_it(kernels / jobs)
        if few and limits.provisioner == warm.PROVISIONER_NAME:
            limits = dataclasses.replace(limits, provisioner="from-memory-fresh")
        self.limits = limits
        self.ctx = multiprocessing.get_context("fork")
        self.args = (config, limits, env)
        self.limit = limits.notebook_wall
        self.workers = [self._spawn() for _ in range(jobs)]
        self.backlog: deque[Job] = deque()

    def _spawn(self) -> dict:
        preload()  # once, here: every worker forked from this process shares those modules
        here, there = self.ctx.Pipe()
        process = self.ctx.Process(target=_serve, args=(there, *self.args), daemon=True)
        process.start()
        there.close()
        return {"process": process, "conn": here, "jobs": deque(), "running": None}

    def has_room(self) -> bool:
        if self.backlog:
            return False
        return any(len(w["jobs"]) < 1 + PIPE_AHEAD for w in self.workers)

    def submit(self, job: Job) -> None:
        self.backlog.append(job)
        self._feed()

    def _feed(self) -> None:
        for w in sorted(self.workers, key=lambda w: len(w["jobs"])):
            while self.backlog and len(w["jobs"]) < 1 + PIPE_AHEAD:
                job = self.backlog.popleft()
                w["jobs"].append(job)
                try:
                    w["conn"].send(job)
                except OSError:  # the worker died (a kernel can kill it): results() replaces it
                    break

    def _stuck(self, w) -> bool:
        running = w["running"]
        if not running or not self.limit:
            return False
        job = next((j for j in w["jobs"] if j.key == running[0]), None)
        notebooks = len(job.paths) if job else 1
        return time.monotonic() - running[2] > self.limit * notebooks + GRACE

    def results(self) -> list[Result]:
        """Wait a little; return the results that arrived (a lost job comes back failed)."""
        from multiprocessing.connection import wait

        ready = wait([w["conn"] for w in self.workers] + [w["process"].sentinel for w in self.workers], 0.5)
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
            if not w["process"].is_alive() or self._stuck(w):
                reason = ("the grading worker stopped responding" if w["process"].is_alive()
                          else f"the grading worker died (exit code {w['process'].exitcode})")
                out.extend(self._replace(w, reason))
        self._feed()
        return out

    def _replace(self, w: dict, reason: str) -> list[Result]:
        running = w["running"]
        if running:
            kill_group(running[1])
        w["process"].kill()
        w["process"].join(5)
        lost = []
        for job in w["jobs"]:
            if running and job.key == running[0]:
                lost.append(Result(job.key, [NotebookResult(job.paths[0], False, reason=reason)]))
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


class AsIs:
    """The executor of a run that executes nothing (``--no-execute``): each notebook as it is."""

    def __init__(self):
        self.done: list[Result] = []

    def has_room(self) -> bool:
        return True

    def submit(self, job: Job) -> None:
        import nbformat

        notebooks = []
        for path in job.paths:
            try:
                nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
                notebooks.append(NotebookResult(path, True, plain(nb)))
            except Exception as error:  # noqa: BLE001 - an unreadable notebook fails its submission
                notebooks.append(NotebookResult(path, False, reason=one_line(error)))
                break
        self.done.append(Result(job.key, notebooks))

    def results(self) -> list[Result]:
        done, self.done = self.done, []
        return done

    def close(self) -> None:
        pass
