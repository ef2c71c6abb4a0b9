"""Where the course's gradebook is, and opening it only when it is really there.

nbgrader's ``Gradebook`` creates an empty database when none exists, so a command run
before ``release`` (or after the file was lost) would silently start a new, empty
gradebook and then report or export nothing. Every command here that reads grades
goes through :func:`require_gradebook` first: no gradebook, or one without the
assignment asked for, stops with one line saying what to run.

    url = gradebook_url(root)                      # config's db_url, else <root>/gradebook.db
    require_gradebook(root, ["ps1_forward"])       # CourseError when it is not there
    with open_gradebook(root) as gradebook: ...    # nbgrader.api.Gradebook
"""

from __future__ import annotations

import contextlib
import os
import warnings
from pathlib import Path

from from_memory import course
from from_memory.course import CourseError

SQLITE = "sqlite:///"
DEFAULT_COURSE_ID = "default_course"  # what nbgrader uses when the config names none


def course_settings(course_root) -> dict:
    """``CourseDirectory`` settings of the course's ``nbgrader_config.py`` (executed as nbgrader does)."""
    course_root = Path(course_root).resolve()
    if not (course_root / course.CONFIG_FILE).exists():
        return {}
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader(course.CONFIG_FILE, path=str(course_root)).load_config()
    section = config.get("CourseDirectory", {})
    return {k: section[k] for k in ("db_url", "root", "course_id") if k in section}


def gradebook_url(course_root) -> str:
    """The gradebook's database URL: the course config's ``db_url``, else ``<root>/gradebook.db``."""
    course_root = Path(course_root).resolve()
    settings = course_settings(course_root)
    url = os.environ.get("FROM_MEMORY_DB_URL") or settings.get("db_url")
    root = course_root / settings.get("root", ".")
    if not url:
        return f"{SQLITE}{(root / 'gradebook.db').resolve()}"
    if url.startswith(SQLITE) and not url[len(SQLITE) :].startswith("/"):
        # nbgrader runs from the course root, so a relative sqlite path means the course root
        return SQLITE + str((course_root / url[len(SQLITE) :]).resolve())
    return url


def course_id(course_root) -> str:
    return course_settings(course_root).get("course_id") or DEFAULT_COURSE_ID


def sqlite_path(url: str) -> Path | None:
    """The file of a sqlite URL; None for a database server."""
    return Path(url[len(SQLITE) :]) if url.startswith(SQLITE) else None


def require_gradebook(course_root, assignments=None) -> str:
    """Return the gradebook URL; raise CourseError if it, or an assignment in it, is missing.

    Never creates anything: a sqlite file is looked for on disk, and read only when there.
    """
    course_root = Path(course_root).resolve()
    url = gradebook_url(course_root)
    path = sqlite_path(url)
    if path is not None and not path.is_file():
        raise CourseError(
            f"no gradebook at {path}: run `from-memory release` (it records the assignments), "
            "then `from-memory autograde`"
        )
    if assignments:
        known = recorded_assignments(url, course_id(course_root))
        missing = [name for name in assignments if name not in known]
        if missing:
            raise CourseError(
                f"the gradebook has no assignment {missing[0]!r}: run "
                f"`from-memory release {missing[0]}`, then `from-memory autograde {missing[0]} --force`"
            )
    return url


def recorded_assignments(url: str, course_name: str = DEFAULT_COURSE_ID) -> set[str]:
    with _gradebook(url, course_name) as gradebook:
        return {a.name for a in gradebook.assignments}


@contextlib.contextmanager
def open_gradebook(course_root, assignments=None):
    """``nbgrader.api.Gradebook`` of the course, after :func:`require_gradebook`."""
    url = require_gradebook(course_root, assignments)
    with _gradebook(url, course_id(course_root)) as gradebook:
        yield gradebook


@contextlib.contextmanager
def _gradebook(url: str, course_name: str):
    from nbgrader.api import Gradebook

    with warnings.catch_warnings():
        # SQLAlchemy's autoflush warnings inside nbgrader's own queries are harmless
        warnings.simplefilter("ignore")
        with Gradebook(url, course_name) as gradebook:
            yield gradebook

