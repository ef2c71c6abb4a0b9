"""Parallel autograde: submissions run side by side, one process writes the gradebook.

The engine is nbgrader's own ``Autograde`` converter with the execution handed to
workers (:class:`~from_memory.engine.converter.ParallelAutograde`); each graded
test cell of this course is judged outside the student's kernel
(:mod:`from_memory.engine.execute`). This module is its Python entry point:
nbgrader's application reads the course's configuration as ``nbgrader autograde``
would (``nbgrader_config.py`` of the course folder, and of Jupyter's config path),
then the converter grades every submission of the chosen assignments.

    from from_memory.engine.grading import autograde
    outcomes = autograde(".", ["ps1_forward"], jobs=2)

The same converter serves ``nbgrader autograde`` itself when the course's
``nbgrader_config.py`` calls :func:`from_memory.engine.converter.select`.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

from from_memory.engine.environment import GradingError, environment, skip_slow_unused_imports
from from_memory.engine.progress import Progress
from from_memory.engine.status import STATUS_FILE, Outcome, read_status, save_status

__all__ = ["STATUS_FILE", "Outcome", "autograde", "nbgrader_app", "read_status"]

skip_slow_unused_imports()  # before anything here imports nbformat (through nbgrader or nbconvert)


def nbgrader_app(course_root, argv=(), verbose=False):
    """nbgrader's ``AutogradeApp``, configured from ``course_root`` as ``nbgrader autograde`` would be."""
    from nbgrader.apps.autogradeapp import AutogradeApp

    here = os.getcwd()
    os.chdir(course_root)  # nbgrader reads nbgrader_config.py from the working directory
    try:
        app = AutogradeApp()
        app.initialize(["--log-level=" + ("INFO" if verbose else "CRITICAL"), *argv])
        app.log.propagate = False
    finally:
        os.chdir(here)
    return app


def autograde(
    course_root=".",
    assignments=None,
    *,
    student: str | None = None,
    jobs: int | None = None,
    timeout: float | None = None,
    memory_mb: int | None = None,
    force: bool = False,
    progress=None,
    verbose: bool = False,
    scheduler=None,
    argv=(),
) -> list[Outcome]:
    """Autograde ``assignments`` (ids or globs; default: every assignment in the gradebook).

    ``student`` (an id or a glob) limits the students; ``argv`` are more nbgrader
    options (``--notebook=p1``, ``--Execute.timeout=60``, ``--ParallelAutograde.sandbox=off``).
    ``jobs``, ``timeout`` (seconds per notebook) and ``memory_mb`` (per kernel) override
    the course's ``ParallelAutograde`` settings when given. Already graded submissions are
    skipped unless ``force``. ``progress`` is a writable stream (default: stderr) or False.
    ``scheduler`` (a Dask scheduler address or a ``distributed.Client``) runs the notebooks
    on that cluster. Returns one :class:`Outcome` per submitted notebook and saves them in
    ``reports/autograde_status.json`` of the course.
    """
    from from_memory.engine.converter import ParallelAutograde

    root = Path(course_root).resolve()
    os.environ["PATH"] = environment(root)["PATH"]
    with warnings.catch_warnings():
        # nbgrader's own warnings (SQLAlchemy's, mostly) are as harmless here as under
        # stock autograde: never let a caller's "warnings are errors" fail a notebook.
        warnings.simplefilter("default" if verbose else "ignore")
        app = nbgrader_app(root, argv, verbose)
        settings = app.config.ParallelAutograde
        for name, value in (("jobs", jobs), ("notebook_timeout", timeout), ("memory_limit", memory_mb)):
            if value is not None:
                settings[name] = value
        if isinstance(scheduler, str):
            settings.scheduler = scheduler
        if student is not None:
            app.coursedir.student_id = student
        converter = ParallelAutograde(coursedir=app.coursedir, parent=app)
        converter.force = force or converter.force
        if scheduler is not None and not isinstance(scheduler, str):
            converter.dask_client = scheduler
        converter.progress = Progress(sys.stderr if progress is None else progress)
        names = list(assignments or _gradebook_assignments(app))
        _check_request(app, names, student)
        from nbgrader.converters.base import NbGraderException

        from from_memory.engine.converter import GradebookLost

        try:
            converter.start_many(names)
        except GradebookLost as error:
            raise GradingError(str(error)) from None
        except NbGraderException as error:
            if not converter.outcomes:
                raise GradingError(f"nothing to grade: {error}") from None
        finally:
            converter.progress.finish()
    save_status(Path(app.coursedir.root).resolve(), converter.outcomes)
    return converter.outcomes


def _folders(path: str) -> list[str]:
    return sorted(p.name for p in Path(path).iterdir() if p.is_dir() and not p.name.startswith(".")) if (
        Path(path).is_dir()) else []


def _check_request(app, names: list[str], student: str | None) -> None:
    """One clear line when the assignments or the student asked for cannot be graded."""
    import glob

    coursedir = app.coursedir
    known = _gradebook_assignments(app)
    for name in names:
        if glob.has_magic(name) or name in known:
            continue
        source = coursedir.format_path(coursedir.source_directory, ".", name)
        if Path(source).is_dir():
            raise GradingError(f"assignment {name!r} is not released yet: run `from-memory release {name}` "
                               f"(or `nbgrader generate_assignment {name}`)")
        raise GradingError(f"no assignment {name!r} (known: {', '.join(known) or 'none'}): check the name")
    submitted = coursedir.format_path(coursedir.submitted_directory, ".", ".")
    students = _folders(submitted)
    where = os.path.relpath(submitted, coursedir.root).rstrip("/.") or submitted
    if student is not None and not glob.has_magic(student) and student not in students:
        listing = f" (known: {', '.join(students[:8])}{', ...' if len(students) > 8 else ''})" if students else ""
        raise GradingError(f"no student {student!r} in {where}/{listing}: check the name, or collect that "
                           f"student's work into {where}/<student>/<assignment>/")
    pattern = [coursedir.format_path(coursedir.submitted_directory, student or "*", name) for name in names]
    if not any(glob.glob(p) for p in pattern):
        raise GradingError(f"{where}/ holds no submissions of {', '.join(names)}: collect them into "
                           f"{where}/<student>/<assignment>/ (for example with `from-memory collect`)")


def _gradebook_assignments(app) -> list[str]:
    from nbgrader.api import Gradebook

    url = app.coursedir.db_url
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
        raise GradingError(f"no gradebook at {url[len('sqlite:///'):]}: release the assignments first "
                           "(`from-memory release` or `nbgrader generate_assignment`)")
    with Gradebook(url, app.coursedir.course_id) as gradebook:
        return sorted(a.name for a in gradebook.assignments)
