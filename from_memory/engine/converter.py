"""``ParallelAutograde``: nbgrader's ``Autograde`` converter, with submissions executed side by side.

Stock ``nbgrader autograde`` takes each submission in turn: *sanitize* its notebooks
(restore the instructor's cells; reads the gradebook), *execute* each on a fresh
kernel (nearly all of the time), *record* the grades (writes the gradebook). This
subclass keeps nbgrader's own steps and their order for every submission
(``init_destination``, the pre-convert hook, ``init_assignment``, the sanitize and
autograde preprocessors, permissions, the post-convert hook, the handling of a
failed submission), but hands the execution to an executor: a pool of local worker
processes or a Dask cluster. This process stays the only gradebook writer. The
autograde preprocessors are the configured ones with ``Execute`` replaced by a step
that hands over the executed notebook, so the gradebook ends as stock leaves it.

The notebooks of one submission run in order, on one worker; submissions run side
by side. Every setting of nbgrader applies as in stock autograde (timeouts, kernel
name, student and notebook globs, ``student_id_exclude``, late penalties, ...). The
engine's own settings are traitlets of this class (``--ParallelAutograde.jobs=4`` on
the command line, ``c.ParallelAutograde.memory_limit = 4096`` in nbgrader_config.py);
with none set, no limit can fail a notebook that stock autograde would grade.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from nbconvert.writers import FilesWriter
from nbgrader.converters.autograde import Autograde
from nbgrader.converters.base import BaseConverter, NbGraderException
from nbgrader.preprocessors import Execute, OverwriteCells, SaveAutoGrades
from nbgrader.utils import remove, rmtree
from traitlets import Enum, Float, Integer, Unicode

from from_memory.engine.gradebook import (
    OverwriteCellsAtOnce,
    SaveAutoGradesAtOnce,
    quicker_nbgrader,
)
from from_memory.engine.handover import Handed, UseExecutedNotebook
from from_memory.engine.launch import Sandbox
from from_memory.engine.status import Outcome
from from_memory.engine.worker import Job, Limits, kernel_env, one_line

SANDBOXES = ("strict", "standard", "off")


def course_limits(coursedir, sandbox="standard", memory_mb=None, timeout=None, kernel_start="warm",
                  clock=Limits.clock, wall_factor=Limits.wall_factor) -> Limits:
    """The limits of a course's kernels: nothing of the course readable but a kernel's own folder."""
    root = Path(coursedir.root).resolve()
    outside = []  # the course's own folders and gradebook, where they are not under its root
    for folder in (coursedir.source_directory, coursedir.release_directory, coursedir.submitted_directory,
                   coursedir.autograded_directory, coursedir.feedback_directory, coursedir.solution_directory):
        outside.append(root / folder)
    if coursedir.db_url.startswith("sqlite:///"):
        outside.append(Path(coursedir.db_url[len("sqlite:///"):]))
    extra = tuple(str(p) for p in outside if not p.resolve().is_relative_to(root))
    return Limits(
        memory_mb=memory_mb,
        notebook_timeout=timeout,
        sandbox=None if sandbox == "off" else Sandbox(str(root), sandbox, extra),
        provisioner=f"from-memory-{kernel_start}",
        clock=clock,
        wall_factor=wall_factor,
    )


class GradebookLost(NbGraderException):
    """The gradebook disappeared, or lost the assignment, while grading."""


class ParallelAutograde(Autograde):
    jobs = Integer(0, help="Submissions graded at once (0: one per CPU).").tag(config=True)
    memory_limit = Integer(
        0, help="Address space per kernel, in MB (RLIMIT_AS); 0: no limit."
    ).tag(config=True)
    notebook_timeout = Float(
        0, help="Seconds per notebook (of the clock `clock` names), kernel start included; 0: none "
        "(the per-cell Execute.timeout applies either way)."
    ).tag(config=True)
    clock = Enum(
        ("wall", "cpu"), Limits.clock,
        help="What the time limits count. wall: seconds of wall clock (stock nbgrader); cpu: a cell's "
        "(and a notebook's) limit counts the CPU time its kernel uses (user+system, kernel process and "
        "its children), so a busy machine cannot change a grade; the wall clock still stops a cell "
        "after `wall_factor` x the limit (a kernel waiting on nothing).",
    ).tag(config=True)
    wall_factor = Float(
        Limits.wall_factor, help="With clock=cpu: the wall clock stops a cell, or a notebook, after this many times its limit."
    ).tag(config=True)
    sandbox = Enum(
        SANDBOXES, "standard",
        help="What a kernel may touch (Linux Landlock). strict: writes only in its own folder, no "
        "network; standard: also writes to the system's temporary folder and the user's cache; both "
        "refuse reading the course's own folders (source, release, other students', the gradebook) and "
        "signals to processes outside. off: no sandbox.",
    ).tag(config=True)
    scheduler = Unicode(
        "", help="Address of a Dask scheduler (tcp://host:8786) to run the notebooks on; empty: local processes."
    ).tag(config=True)
    kernel_start = Enum(
        ("fresh", "warm"), "warm",
        help="warm: each kernel is forked from a template process that has imported ipykernel, numpy and "
        "matplotlib (where fork is available; else fresh); fresh: each kernel is a new process.",
    ).tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.outcomes: list[Outcome] = []
        self.progress = None  # a Progress, or None
        self.executed: dict[str, dict] = {}
        steps = list(self.autograde_preprocessors)
        self._execute_steps = [s for s in steps if isinstance(s, type) and issubclass(s, Execute)]
        swapped = [UseExecutedNotebook if s in self._execute_steps else s for s in steps]
        if not self._execute_steps:
            raise NbGraderException("Autograde.autograde_preprocessors has no Execute step to replace")
        self.autograde_preprocessors = [SaveAutoGradesAtOnce if s is SaveAutoGrades else s for s in swapped]
        self.sanitize_preprocessors = [OverwriteCellsAtOnce if s is OverwriteCells else s
                                       for s in self.sanitize_preprocessors]

    # -- settings -------------------------------------------------------------------------

    def limits(self) -> Limits:
        return course_limits(self.coursedir, self.sandbox, self.memory_limit or None,
                             self.notebook_timeout or None, self.kernel_start, self.clock, self.wall_factor)

    def limits_line(self) -> str:
        """What every kernel of this run gets, in one line."""
        from from_memory.engine import sandbox

        limits = self.limits()
        if limits.sandbox is None:
            box = "no sandbox"
        else:
            box = f"{limits.sandbox.mode} " + sandbox.enforced_here(net=limits.sandbox.mode == "strict").line()
        memory = f"{limits.memory_mb} MB" if limits.memory_mb else "no memory limit"
        unit = " s CPU" if limits.clock == "cpu" else " s"
        clock = f"{limits.notebook_timeout:g}{unit} per notebook" if limits.notebook_timeout else "no limit per notebook"
        cell = Execute(config=self.config).timeout
        cell = f"{cell}{unit} per cell" if cell else "no limit per cell"
        wall = f" (wall clock: {limits.wall_factor:g}x)" if limits.clock == "cpu" else ""
        return f"kernels: {box}; {memory}; {clock}; {cell}{wall}"

    def executes(self) -> bool:
        """False with ``--no-execute`` (``Execute.enabled = False``): each notebook is recorded as is."""
        return all(step(config=self.config).enabled for step in self._execute_steps)

    def executor(self, env: dict | None = None):
        if not self.executes():
            from from_memory.engine.pool import AsIs

            return AsIs()
        limits = self.limits()
        scheduler = getattr(self, "dask_client", None) or self.scheduler
        if scheduler:
            from from_memory.engine.cluster import DaskExecutor

            return DaskExecutor(scheduler, self.jobs or None, self.config, limits)
        from from_memory.engine.pool import LocalPool

        return LocalPool(max(1, self.jobs or os.cpu_count() or 1), self.config, limits, env,
                         submissions=len(self.assignments),
                         kernels=sum(len(nbs) for nbs in self.assignments.values()))

    # -- one submission, in nbgrader's own steps ------------------------------------------

    def _remove_failed(self, assignment: str, student: str, notebooks) -> None:
        """What nbgrader does with a failed submission: remove what was written of it."""
        dest = os.path.normpath(self._format_dest(assignment, student))
        if self.coursedir.notebook_id == "*":
            if os.path.exists(dest):
                rmtree(dest)
            return
        for notebook in notebooks:
            path = os.path.join(dest, os.path.splitext(os.path.basename(notebook))[0] + ".ipynb")
            if os.path.exists(path):
                remove(path)

    def _outcome(self, assignment, student, path, status, reason="", seconds=0.0, score=None,
                 max_score=None, stderr="", judged=False, cpu=None):
        name = os.path.splitext(os.path.basename(path))[0]
        self.outcomes.append(Outcome(student, assignment, name, status, reason, seconds, score,
                                     max_score, stderr, judged, cpu or {}))

    def _fail(self, state, reason, seconds=0.0, stderr="") -> None:
        self._remove_failed(state["assignment"], state["student"], state["notebooks"])
        self.log.error("There was an error processing assignment '%s' for student '%s': %s",
                       state["assignment"], state["student"], reason)
        self.errors.append((state["assignment"], state["student"]))
        for nb in state["notebooks"]:
            self._outcome(state["assignment"], state["student"], nb, "failed", reason, seconds, stderr=stderr)

    def sanitize(self, folder: str, notebooks: list) -> dict | None:
        """The first half of stock autograde for one submission: its state, or None if skipped."""
        regexp = self._format_source("(?P<assignment_id>.*)", "(?P<student_id>.*)", escape=True)
        match = re.match(regexp, folder)
        if match is None:
            raise NbGraderException(f"Could not match '{folder}' with regexp '{regexp}'")
        assignment, student = match.group("assignment_id"), match.group("student_id")
        self._gradebook_still_there()
        self.notebooks = sorted(notebooks)
        state = {"assignment": assignment, "student": student, "notebooks": list(self.notebooks),
                 "cpu": time.process_time()}
        try:
            if not self.init_destination(assignment, student):
                excluded = student in (self.coursedir.student_id_exclude or "").split(",")
                reason = "excluded (CourseDirectory.student_id_exclude)" if excluded else "already graded (use --force)"
                for nb in self.notebooks:
                    self._outcome(assignment, student, nb, "skipped", reason)
                return None
            self.run_pre_convert_hook()
            self.init_assignment(assignment, student)
            state["notebooks"] = list(self.notebooks)
            paths = []
            for nb in self.notebooks:
                self._sanitizing = True
                self._init_preprocessors()
                BaseConverter.convert_single_notebook(self, nb)
                paths.append(os.path.abspath(os.path.join(self.writer.build_directory, os.path.basename(nb))))
            state["paths"] = paths
            state["cpu"] = time.process_time() - state["cpu"]
            return state
        except Exception as error:  # noqa: BLE001 - one submission's failure never stops the batch
            self._check_gradebook(error)
            self._fail(state, _reason_for(error))
            return None

    def record(self, state: dict, result) -> None:
        """The second half of stock autograde, with the worker's executed notebooks."""
        ran = {r.path: r for r in result.notebooks}
        failed = next((r for r in result.notebooks if not r.ok), None)
        if failed is not None or len(ran) < len(state["paths"]):
            reason = failed.reason if failed else "not every notebook was run"
            self._fail(state, reason, failed.seconds if failed else 0.0, failed.stderr if failed else "")
            return
        assignment, student = state["assignment"], state["student"]
        self._gradebook_still_there()
        self.notebooks = state["notebooks"]
        started = time.process_time()
        try:
            self._sanitizing = False
            self._init_preprocessors()
            for path in state["paths"]:
                self.executed[os.path.normpath(path)] = ran[path].notebook
                BaseConverter.convert_single_notebook(self, path)
            self.set_permissions(assignment, student)
            self.run_post_convert_hook()
            self._gradebook_still_there()
            scores = self._scores(assignment, student)
        except Exception as error:  # noqa: BLE001 - one submission's failure never stops the batch
            self._check_gradebook(error)
            self._fail(state, _reason_for(error))
            return
        finally:
            self._sanitizing = True
            self.executed.clear()
        ours = (state["cpu"] + time.process_time() - started) / len(state["paths"])
        for path in state["paths"]:
            name = os.path.splitext(os.path.basename(path))[0]
            self._outcome(assignment, student, path, "graded", "", ran[path].seconds, *scores.get(name, (None, None)),
                          judged=True, cpu={**ran[path].cpu, "record": ours})

    def init_single_notebook_resources(self, notebook_filename):
        resources = super().init_single_notebook_resources(notebook_filename)
        executed = self.executed.get(os.path.normpath(notebook_filename))
        if executed is not None:
            resources["from_memory"] = {"executed": Handed(executed)}
        return resources

    def _scores(self, assignment, student) -> dict:
        from nbgrader.api import Gradebook

        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            submission = gb.find_submission(assignment, student)
            return {nb.name: (nb.score, nb.max_score) for nb in submission.notebooks}

    def _gradebook_still_there(self) -> None:
        """Stop before nbgrader would make a new, empty sqlite gradebook where the course's was."""
        url = self.coursedir.db_url
        if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
            self._check_gradebook(FileNotFoundError(url[len("sqlite:///"):]))

    def _check_gradebook(self, error: BaseException) -> None:
        """Stop the whole batch, with one clear line, when the gradebook itself is gone."""
        import sqlalchemy.exc
        from nbgrader.api import MissingEntry

        url = self.coursedir.db_url
        missing_file = url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists()
        if missing_file or isinstance(error, sqlalchemy.exc.OperationalError | MissingEntry) and (
                "assignment" in str(error).lower() or "no such table" in str(error).lower()):
            where = url[len("sqlite:///"):] if url.startswith("sqlite:///") else url
            raise GradebookLost(
                f"the gradebook {where} is missing or no longer holds the assignment "
                f"({one_line(error)}): recreate it with `from-memory release` (or `nbgrader "
                f"generate_assignment`), then regrade with `autograde --force`"
            ) from None

    # -- the batch ------------------------------------------------------------------------

    def start(self) -> None:
        self.init_notebooks()
        self.convert()

    def start_many(self, assignment_ids) -> None:
        """:meth:`start` for several assignments at once (each id may be a glob); none matched is an error."""
        found = {}
        for assignment_id in assignment_ids:
            self.coursedir.assignment_id = assignment_id
            try:
                self.init_notebooks()
            except NbGraderException:
                continue  # nothing submitted for it (by the chosen students)
            found.update(self.assignments)
        if not found:
            raise NbGraderException(f"no submitted notebooks of {', '.join(assignment_ids)}")
        self.assignments = found
        self.convert()

    def convert(self) -> None:
        self.writer = FilesWriter(parent=self, config=self.config)
        self.exporter = self.exporter_class(parent=self, config=self.config)
        if not _configured(self.config, type(self.exporter), "optimistic_validation"):
            # nbconvert's own option: the notebook is validated once after its preprocessors
            # (and again when written), not after each of them; an invalid one fails as before.
            self.exporter.optimistic_validation = True
        for pp in self.preprocessors:
            self.exporter.register_preprocessor(pp)
        here = os.getcwd()
        os.chdir(self.coursedir.root)
        try:
            with quicker_nbgrader():  # for `nbgrader autograde` with select() as for from-memory's
                self.convert_notebooks()
        finally:
            os.chdir(here)

    def convert_notebooks(self) -> None:
        """Sanitize, dispatch and record every submission, keeping every worker fed."""
        self.errors = []
        todo = iter(sorted(self.assignments.items()))
        env = kernel_env(dict(os.environ, NBGRADER_EXECUTION="autograde"), self.limits())
        pool = self.executor(env)
        if self.progress is not None:
            self.progress.note(self.limits_line())
        pending: dict[int, dict] = {}
        key = 0
        exhausted = False
        try:
            while True:
                while not exhausted and pool.has_room():
                    try:
                        folder, notebooks = next(todo)
                    except StopIteration:
                        exhausted = True
                        break
                    self._tick(total=True)
                    state = self.sanitize(folder, notebooks)
                    if state is None:
                        self._tick(failed=bool(self.outcomes and self.outcomes[-1].failed))
                        continue
                    key += 1
                    pending[key] = state
                    pool.submit(Job(key, state["paths"], env))
                if exhausted and not pending:
                    break
                for result in pool.results():
                    state = pending.pop(result.key)
                    self.record(state, result)
                    self._tick(failed=not result.ok)
        finally:
            pool.close()
        if self.errors:
            raise NbGraderException(
                f"{len(self.errors)} submission(s) could not be graded: "
                + ", ".join(f"{a}/{s}" for a, s in self.errors[:5]) + ("..." if len(self.errors) > 5 else "")
            )

    def _tick(self, total=False, failed=False) -> None:
        if self.progress is None:
            return
        if total:
            self.progress.grow()
        else:
            self.progress.tick(failed)


def _configured(config, cls, name: str) -> bool:
    """Whether ``config`` sets the trait ``name`` of ``cls`` (in its section or a base class's)."""
    return any(name in config.get(klass.__name__, {}) for klass in cls.__mro__)


def _reason_for(error: BaseException) -> str:
    from nbformat.reader import NotJSONError

    if isinstance(error, NotJSONError):
        return "the notebook is not valid JSON (malformed .ipynb)"
    return one_line(error)


def select() -> None:
    """Make ``nbgrader autograde`` use :class:`ParallelAutograde` (call it from nbgrader_config.py).

    nbgrader's ``AutogradeApp`` builds its converter from the name ``Autograde`` of its
    module; this points that name at the parallel subclass, in this process only.
    """
    import nbgrader.apps.autogradeapp as app

    app.Autograde = ParallelAutograde


__all__ = ["GradebookLost", "ParallelAutograde", "select"]
