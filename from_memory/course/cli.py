"""``from-memory``: the instructor's pipeline, one subcommand per stage.

Each subcommand only parses its arguments and calls one function; the defaults live
in those functions' keyword arguments. Problems the instructor can fix end in one
line, ``from-memory: error: ...`` with what to run next, and a non-zero exit.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from from_memory import course
from from_memory.course import CourseError
from from_memory.course.cli_help import EXAMPLES
from from_memory.course.commands import (
    PROG,
    _error,
    cmd_autograde,
    cmd_collect,
    cmd_demo,
    cmd_export,
    cmd_feedback,
    cmd_grades,
    cmd_manual,
    cmd_release,
    cmd_report,
    cmd_roster,
    cmd_status,
    cmd_verify,
)
from from_memory.engine.environment import GradingError


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors are one line, like every other error here."""

    def error(self, message):
        _error(f"{message} (see `{self.prog} --help`)")
        sys.exit(2)


SHARED_DEFAULTS = {"verbose": False, "jobs": None, "course": None, "db": None}


def build_parser() -> argparse.ArgumentParser:
    # The options every command shares, accepted before the command or after it
    # (`from-memory --db URL autograde` and `from-memory autograde --db URL`); SUPPRESS keeps a
    # subcommand from overwriting with its default what was given before it (see SHARED_DEFAULTS).
    shared = _Parser(add_help=False)
    shared.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
        help="show nbgrader's log and full errors"
    )
    shared.add_argument(
        "--jobs",
        "-j",
        type=_positive_int,
        default=argparse.SUPPRESS,
        metavar="N",
        help="notebooks (or nbgrader processes) run at once (default: number of CPUs)",
    )
    shared.add_argument(
        "--course",
        type=Path,
        default=argparse.SUPPRESS,
        metavar="DIR",
        help="the course folder (default: the nearest folder up from here with nbgrader_config.py)",
    )
    shared.add_argument(
        "--db",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="gradebook database URL, e.g. postgresql://grader@dbhost/course (default: sqlite gradebook.db;"
        " also read from $FROM_MEMORY_DB_URL)",
    )
    parser = _Parser(
        prog=PROG,
        parents=[shared],
        description="Release, autograde and report on the From Memory course with nbgrader.",
        epilog="examples:\n  from-memory demo\n  from-memory autograde ps1_forward --jobs 2\n"
        "  from-memory <command> --help",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="<command>", required=True)

    def add(name, function, help_text, assignments=False):
        """A subcommand; with ``assignments``, it takes the problem sets to work on (default: all)."""
        p = sub.add_parser(
            name,
            parents=[shared],
            help=help_text,
            description=help_text,
            epilog=EXAMPLES[name],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.set_defaults(run=function)
        if assignments:
            p.add_argument(
                "assignments", nargs="*", metavar="PS", help="assignments (default: all in source/)"
            )
        return p

    p = add(
        "release",
        cmd_release,
        "Generate release/ from source/ (nbgrader generate_assignment --force), record due dates.",
        assignments=True,
    )
    p.add_argument("--due", metavar="WHEN", help="due date of these assignments, 'YYYY-MM-DD HH:MM TZ'"
                   " (default: c.Deadlines.due of nbgrader_config.py)")
    p.add_argument("--exchange", action="store_true",
                   help="also put them in nbgrader's exchange for students to fetch")

    p = add("roster", cmd_roster, "Import the class roster from an LMS export (Canvas, Moodle, plain CSV).")
    p.add_argument("action", choices=["import"], help="what to do with the roster")
    p.add_argument("file", type=Path, metavar="FILE.csv", help="the LMS's class list, as CSV")

    p = add("collect", cmd_collect, "Collect submissions into submitted/: from the exchange or an LMS zip.")
    p.add_argument("assignment", metavar="PS", help="the assignment handed in")
    p.add_argument("--exchange", action="store_true", help="from nbgrader's exchange (nbgrader collect)")
    p.add_argument("--zip", type=Path, metavar="FILE.zip", help="from an LMS download (nbgrader zip_collect)")
    p.add_argument("--lms", choices=["canvas", "moodle"], help="the LMS that named the files in the zip")
    p.add_argument("--pattern", metavar="REGEX",
                   help="your own file-name pattern: (?P<file_id>...) and (?P<student_id>...), "
                   "(?P<lms_id>...) or (?P<name>...)")

    p = add(
        "autograde",
        cmd_autograde,
        "Execute and grade submitted notebooks in parallel: nbgrader autograde, side by side. "
        "Any other nbgrader option (--notebook=p1, --Execute.timeout=60, --CourseDirectory.X=...) "
        "is passed on with its nbgrader meaning.",
        assignments=True,
    )
    p.add_argument("--student", metavar="S", help="grade only this student (an id or a glob, e.g. 'ba*')")
    p.add_argument(
        "--timeout",
        type=float,
        metavar="SEC",
        default=None,
        help="time limit per notebook, 0 for none: wall-clock seconds, or CPU seconds of the kernel "
        "where the course sets ParallelAutograde.clock = 'cpu' (default: ParallelAutograde.notebook_timeout "
        "of the course's config)",
    )
    p.add_argument(
        "--memory",
        type=int,
        metavar="MB",
        default=None,
        help="address-space limit per kernel, 0 for none (default: ParallelAutograde.memory_limit "
        "of the course's config)",
    )
    p.add_argument(
        "--force", action="store_true", help="regrade submissions that are already graded"
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="run the notebooks on this Dask scheduler (e.g. tcp://10.0.0.5:8786) instead of local processes",
    )

    p = add("manual", cmd_manual, "Serve nbgrader's formgrader for this course, to grade by hand.")
    p.add_argument("--port", type=_positive_int, default=None, help="port (default: a free one)")
    add("status", cmd_status, "Show per assignment: graded, failed, flagged, answers waiting.")

    p = add(
        "feedback", cmd_feedback, "Generate HTML feedback for graded submissions.", assignments=True
    )
    p.add_argument("--partial", action="store_true",
                   help="also for submissions with answers waiting for grading (labelled as such)")
    p.add_argument("--release", action="store_true",
                   help="put the feedback in the exchange (nbgrader release_feedback)")
    p.add_argument("--zip", action="store_true",
                   help="write reports/<ps>_feedback.zip, a file per student named for LMS upload")

    p = add(
        "verify",
        cmd_verify,
        "Check submissions after autograde: structure, static scan, clean re-check.",
        assignments=True,
    )
    p.add_argument("--student", metavar="S", help="verify only this student")

    p = add(
        "grades",
        cmd_grades,
        "Export the gradebook to reports/grades.csv (a row per student and assignment).",
    )
    p.add_argument("--force", action="store_true", help="replace a file with more scored rows")
    p = add("export", cmd_export, "Export grades for an LMS (Canvas import CSV) or as a plain CSV.")
    p.add_argument("--lms", choices=["canvas", "plain"], default="plain", help="the format")
    p.add_argument("--force", action="store_true", help="replace a file with more scored rows")
    add("report", cmd_report, "Write the class report (reports/class_report.html).")
    add("demo", cmd_demo, "Play a whole term on the demo class, in a course of its own (demo/).")
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return value


def main(argv=None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    for name, value in SHARED_DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, value)
    if extra and (args.command != "autograde" or not all(a.startswith("--") or "=" in a for a in extra)):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.nbgrader_options = extra
    try:
        args.root = _course_root(args)
        if args.course is not None and not Path(args.course).joinpath(course.CONFIG_FILE).is_file():
            raise CourseError(
                f"no {course.CONFIG_FILE} in {args.course}: pass the course folder itself"
            )
        if args.db is not None:
            if "://" not in args.db:
                raise CourseError(
                    f"--db expects a database URL like postgresql://user@host/name, got {args.db!r}"
                )
            os.environ["FROM_MEMORY_DB_URL"] = (
                args.db
            )  # read by nbgrader_config.py, here and in nbgrader's processes
        return args.run(args)
    except GradingError as error:
        _error(str(error))
        return 2
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except Exception as error:
        if args.verbose:
            raise
        detail = " ".join(str(error).split())[:200]
        _error(f"{type(error).__name__}: {detail} (unexpected; rerun with -v for the traceback)")
        return 1


def _course_root(args) -> Path:
    """The course folder: ``--course``, else the nearest folder up with nbgrader_config.py.

    For ``autograde``, a course configured elsewhere (an nbgrader_config.py in Jupyter's
    config path, with its own ``CourseDirectory.root``) is graded from the current folder.
    """
    try:
        return course.find_course_root(args.course)
    except CourseError:
        if args.command == "autograde" and args.course is None and _global_nbgrader_config():
            return Path.cwd()
        raise


def _global_nbgrader_config() -> bool:
    from jupyter_core.paths import jupyter_config_path

    return any(Path(folder, course.CONFIG_FILE).is_file() for folder in jupyter_config_path())


if __name__ == "__main__":
    sys.exit(main())
