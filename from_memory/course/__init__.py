"""The course folder: where it is, what is in it, and how nbgrader is run from it.

nbgrader reads ``nbgrader_config.py`` only from the current directory and spawns
``alembic`` from ``PATH`` on a fresh gradebook, so every nbgrader command here runs
with the course root as its working directory and this environment's ``bin/`` first
on ``PATH``. Problems an instructor can fix are raised as :class:`CourseError`: one
line saying what is wrong and what to run next.

    root = find_course_root()               # the folder holding nbgrader_config.py
    assignments(root)                       # ['ps1_forward', ...]  (from source/)
    students(root, "ps1_forward")           # ['ada', 'alan', ...]  (from submitted/)
    run_nbgrader(root, "generate_assignment", "ps1_forward", "--force")
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from from_memory.engine.environment import (
    SLOW_UNUSED_MODULES,
    GradingError,
    environment,
    skip_slow_unused_imports,
)

# Every course command (and the CLI) imports this package before nbformat: block what
# nbformat's import would pull in and never use, once, here.
skip_slow_unused_imports()

CONFIG_FILE = "nbgrader_config.py"

_NBGRADER_MAIN = (
    "import sys\n"
    "for name in sys.argv.pop(1).split(','):\n"
    "    sys.modules.setdefault(name, None)\n"
    "from nbgrader.apps.nbgraderapp import main\n"
    "sys.exit(main())\n"
)


class CourseError(GradingError):
    """A problem the instructor can fix; ``str()`` is one line ending with what to do next."""


def find_course_root(start=None) -> Path:
    """The nearest folder at or above ``start`` (default: cwd) holding ``nbgrader_config.py``."""
    here = Path(start or os.getcwd()).resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise CourseError(
        f"no {CONFIG_FILE} in {here} or any folder above it: "
        "cd into the course folder (or pass --course DIR)"
    )


def run_nbgrader(root: Path, *args: str, verbose: bool = False, check: bool = True):
    """Run ``nbgrader <args>`` from ``root``; return the CompletedProcess.

    Output is captured (and echoed when ``verbose``). When ``check`` and nbgrader
    fails, raise :class:`CourseError` carrying nbgrader's last error line.
    """
    command = [sys.executable, "-c", _NBGRADER_MAIN, ",".join(SLOW_UNUSED_MODULES), *args]
    done = subprocess.run(
        command, cwd=root, env=environment(root), capture_output=True, text=True, check=False
    )
    if verbose:
        sys.stderr.write(done.stdout + done.stderr)
    if check and done.returncode != 0:
        raise CourseError(
            f"`nbgrader {' '.join(args)}` failed: {last_error_line(done.stdout + done.stderr)}"
            " (rerun with -v to see nbgrader's log)"
        )
    return done


def last_error_line(log: str) -> str:
    """The most telling line of an nbgrader log, e.g. ``ps2: NotJSONError: Notebook does not ...``.

    The last exception of a logged traceback (prefixed with the assignment nbgrader was
    processing, when it says), else its last ``ERROR`` line, else its last line.
    """
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    exceptions = [m.group(2) + (m.group(3) or "") for m in map(_EXCEPTION_LINE.match, lines) if m]
    failed = [m.group(1) for m in map(_FAILED_ASSIGNMENT.search, lines) if m]
    if exceptions:
        where = f"{', '.join(dict.fromkeys(failed))}: " if failed else ""
        return where + exceptions[-1]
    errors = [line for line in lines if "ERROR]" in line or line.startswith("[ERROR")]
    chosen = (errors or lines or ["no output"])[-1]
    return chosen.split("]", 1)[1].strip() if chosen.startswith("[") and "]" in chosen else chosen


# ``nbformat.reader.NotJSONError: Notebook does not appear to be JSON`` (module path dropped)
_EXCEPTION_LINE = re.compile(r"^((?:[A-Za-z_]\w*\.)*)([A-Za-z_]\w*(?:Error|Exception))(: .*)?$")
_FAILED_ASSIGNMENT = re.compile(r"error processing assignment '([^']+)'")


def assignments(root: Path) -> list[str]:
    """Assignment names: the folders of ``source/`` that hold a notebook."""
    source = root / "source"
    if not source.is_dir():
        return []
    return sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def released(root: Path) -> list[str]:
    """Assignments that have a generated notebook under ``release/``."""
    release = root / "release"
    if not release.is_dir():
        return []
    return sorted(p.name for p in release.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def students(root: Path, assignment: str | None = None) -> list[str]:
    """Students with a folder under ``submitted/`` (holding ``assignment``, when given)."""
    submitted = root / "submitted"
    if not submitted.is_dir():
        return []
    return sorted(
        p.name
        for p in submitted.iterdir()
        if p.is_dir()
        and not p.name.startswith(".")
        and (assignment is None or (p / assignment).is_dir())
    )


def choose_assignments(root: Path, names=None) -> list[str]:
    """``names`` checked against ``source/`` (all assignments when empty)."""
    known = assignments(root)
    if not known:
        raise CourseError(f"no assignments in {root / 'source'}: add source/<ps>/<ps>.ipynb first")
    if not names:
        return known
    unknown = [n for n in names if n not in known]
    if unknown:
        raise CourseError(
            f"no assignment {unknown[0]!r} in source/ (known: {', '.join(known)}): "
            "check the name, e.g. `from-memory release ps1_forward`"
        )
    return list(dict.fromkeys(names))


def require_released(root: Path, names: list[str]) -> None:
    """Raise unless every assignment in ``names`` has been released."""
    missing = [n for n in names if n not in released(root)]
    if missing:
        raise CourseError(
            f"assignment {missing[0]!r} is not released yet: run `from-memory release {missing[0]}`"
        )


def require_submissions(root: Path, names: list[str], student: str | None = None) -> None:
    """Raise unless there is something to grade for ``names`` (and ``student``)."""
    if student is not None:
        if not (root / "submitted" / student).is_dir():
            known = students(root)
            listing = (
                f" (known: {', '.join(known[:8])}{', ...' if len(known) > 8 else ''})"
                if known
                else ""
            )
            raise CourseError(
                f"no student {student!r} in submitted/{listing}: check the name, "
                "or collect that student's work into submitted/<student>/<ps>/"
            )
        if not any((root / "submitted" / student / n).is_dir() for n in names):
            raise CourseError(
                f"student {student!r} has not submitted {', '.join(names)}: "
                f"expected submitted/{student}/{names[0]}/{names[0]}.ipynb"
            )
        return
    if not any(students(root, n) for n in names):
        raise CourseError(
            f"submitted/ holds no submissions of {', '.join(names)}: collect them with "
            f"`from-memory collect {names[0]} --exchange` (or `--zip FILE.zip --lms canvas`)"
        )


# --- the nbgrader stages the instructor runs --------------------------------------

GRADES_CSV = Path("reports") / "grades.csv"


def release(course_root=".", assignments=None, *, verbose: bool = False) -> list[Path]:
    """``nbgrader generate_assignment --force`` for each assignment, then check the gradebook.

    Returns the released notebooks. Raises CourseError if an assignment is missing from
    the gradebook afterwards (``generate_assignment`` is what records it there).
    """
    root = Path(course_root).resolve()
    names = choose_assignments(root, assignments)
    if names == choose_assignments(root):
        # One nbgrader process for all of them (its assignment id is a glob): the same
        # release/ and gradebook, without paying nbgrader's start-up once per assignment.
        run_nbgrader(root, "generate_assignment", "*", "--force", verbose=verbose)
    else:
        for name in names:
            run_nbgrader(root, "generate_assignment", name, "--force", verbose=verbose)
    sync_gradebook(root, names, verbose=verbose)
    return [nb for name in names for nb in sorted((root / "release" / name).glob("*.ipynb"))]


def sync_gradebook(root: Path, names: list[str], *, verbose: bool = False) -> None:
    """Make sure every assignment in ``names`` is in the gradebook (adding what is missing)."""
    known = _gradebook_assignments(root)
    if known is None:  # not the default sqlite file: ask nbgrader
        listed = run_nbgrader(root, "db", "assignment", "list", verbose=verbose).stdout
        known = {name for name in names if f"{name} (" in listed}
    for name in names:
        if name not in known:
            run_nbgrader(root, "db", "assignment", "add", name, verbose=verbose)


def _gradebook_assignments(root: Path) -> set[str] | None:
    """Assignment names in ``gradebook.db`` (read directly: importing nbgrader takes seconds)."""
    import sqlite3

    path = root / "gradebook.db"
    if not path.is_file():
        return None
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return {row[0] for row in db.execute("SELECT name FROM assignment")}
    except sqlite3.Error:
        return None


def export_grades(course_root=".", *, force: bool = False, verbose: bool = False) -> Path:
    """``nbgrader export`` to ``reports/grades.csv`` (see :mod:`from_memory.course.export`)."""
    from from_memory.course.export import export

    return export(course_root, "plain", force=force, verbose=verbose)


COURSE_ID = "from-memory"  # as nbgrader_config.py names the course


@dataclass(frozen=True)
class CellGrade:
    """One graded cell of one submission, as nbgrader's gradebook holds it."""

    auto_score: float | None  # None: not scored automatically (a crash, a deleted test cell)
    score: float
    max_score: float
    needs_manual_grade: bool


def sqlite_url(course_root=".") -> str:
    """The URL of the course's default gradebook, ``<root>/gradebook.db``."""
    return f"sqlite:///{(Path(course_root).resolve() / 'gradebook.db')}"


def cell_grades(url: str, assignments=None, course_id: str = COURSE_ID) -> dict[tuple, CellGrade]:
    """``{(student, assignment, grade_id): CellGrade}`` for each graded cell at ``url``.

    ``course_id`` must be the gradebook's own: nbgrader adds a course it does not know.
    """
    from nbgrader.api import Gradebook

    with Gradebook(url, course_id) as gradebook:
        names = assignments or [a.name for a in gradebook.assignments]
        return {
            (submission.student.id, name, grade.name): CellGrade(
                grade.auto_score, grade.score, grade.max_score, grade.needs_manual_grade
            )
            for name in names
            for submission in gradebook.assignment_submissions(name)
            for notebook in submission.notebooks
            for grade in notebook.grades
        }
