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
from from_memory.engine.environment import GradingError

PROG = "from-memory"


# --- the stages ----------------------------------------------------------------------


def cmd_release(args) -> int:
    from from_memory.course.due import release_term

    for line in release_term(
        args.root, args.assignments, due=args.due, exchange=args.exchange, verbose=args.verbose
    ):
        print(line)
    return 0


def cmd_roster(args) -> int:
    from from_memory.course.roster import import_roster

    students = import_roster(args.root, args.file, verbose=args.verbose)
    print(f"{len(students)} students in the gradebook from {args.file}")
    return 0


def cmd_collect(args) -> int:
    from from_memory.course import collect

    if (args.zip is None) == (not args.exchange):
        raise CourseError("say where from: --exchange, or --zip FILE.zip (see `from-memory collect --help`)")
    if args.exchange:
        done = collect.collect_exchange(args.root, args.assignment, verbose=args.verbose)
    else:
        done = collect.collect_zip(
            args.root, args.assignment, args.zip, lms=args.lms, pattern=args.pattern,
            verbose=args.verbose,
        )
    for line in done.lines():
        print(line)
    print(f"{len(done.students)} submission(s) of {args.assignment} in submitted/")
    if done.unmatched:
        _error(
            f"{len(done.unmatched)} file(s) match no student (listed above): add them to the roster "
            f"(`{PROG} roster import FILE.csv`) and collect again"
        )
        return 1
    return 0


def cmd_manual(args) -> int:
    from from_memory.course.manual import serve

    return serve(args.root, port=args.port)


def cmd_status(args) -> int:
    from from_memory.course.status import class_status, table

    print(table(class_status(args.root)))
    return 0


def cmd_export(args) -> int:
    from from_memory.course.export import export

    print(f"{args.lms} grades: {export(args.root, args.lms, force=args.force, verbose=args.verbose)}")
    return 0


def cmd_autograde(args) -> int:
    from from_memory.engine.grading import autograde

    extra = list(args.nbgrader_options)
    if args.db is not None:
        extra.append(f"--CourseDirectory.db_url={args.db}")
    outcomes = autograde(
        args.root,
        args.assignments,
        student=args.student,
        jobs=args.jobs,
        timeout=args.timeout,
        memory_mb=args.memory,
        force=args.force,
        verbose=args.verbose,
        scheduler=args.scheduler,
        argv=extra,
    )
    return _print_outcomes(outcomes)


def _print_outcomes(outcomes) -> int:
    for o in outcomes:
        print(o.line())
    failed = [o for o in outcomes if o.failed]
    graded = sum(o.status == "graded" for o in outcomes)
    skipped = sum(o.status == "skipped" for o in outcomes)
    print(
        f"{graded} graded, {len(failed)} failed, {skipped} skipped; reasons kept in reports/autograde_status.json"
    )
    if failed:
        first = failed[0]
        _error(
            f"{len(failed)} notebook(s) could not be graded (listed above); after a fix, regrade one with "
            f"`{PROG} autograde {first.assignment} --student {first.student} --force`"
        )
        return 1
    return 0


def cmd_feedback(args) -> int:
    from from_memory.course import handback

    done = handback.feedback(
        args.root, args.assignments, partial=args.partial, jobs=args.jobs, verbose=args.verbose
    )
    for line in done.lines():
        print(line)
    print(f"{len(done.files)} feedback file(s) in {args.root / 'feedback'}", end="")
    print(f"; {len(done.held)} held back (grade them with `{PROG} manual`, or pass --partial)"
          if done.held else "")
    if args.release:
        for ps in handback.release_feedback(args.root, args.assignments, verbose=args.verbose):
            print(f"released the feedback of {ps} to the exchange")
    if args.zip:
        for path in handback.zip_feedback(args.root, args.assignments):
            print(f"feedback archive: {path}")
    return 0


def cmd_verify(args) -> int:
    from from_memory.course.verify import INTEGRITY_FILE, verify

    results = verify(args.root, args.assignments, student=args.student, jobs=args.jobs)
    for result in results:
        print(result.line())
    flagged = sum(r.flagged for r in results)
    print(
        f"{len(results) - flagged} ok, {flagged} flagged; reasons kept in {INTEGRITY_FILE} "
        f"(and in the grades' flag column after `{PROG} grades`)"
    )
    return 0


def cmd_grades(args) -> int:
    from from_memory.course.verify import add_flag_column

    path = course.export_grades(args.root, force=args.force, verbose=args.verbose)
    add_flag_column(args.root)
    print(f"grades: {path}")
    return 0


def cmd_report(args) -> int:
    print(f"class report: {_write_report(args.root)}")
    return 0


def _write_report(root: Path) -> Path:
    try:
        from from_memory.course.report import write_report
    except ImportError:
        raise CourseError(
            "the class report is not available in this version (no from_memory.course.report.write_report)"
        ) from None
    try:
        return write_report(root)
    except Exception as error:
        if type(error).__name__ == "NothingToReport":
            raise CourseError(str(error)) from None
        raise


def cmd_demo(args) -> int:
    from from_memory.course.demo import demo

    return demo(args.root, jobs=args.jobs, verbose=args.verbose)


# --- the parser ----------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors are one line, like every other error here."""

    def error(self, message):
        _error(f"{message} (see `{self.prog} --help`)")
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    shared = _Parser(add_help=False)
    shared.add_argument(
        "-v", "--verbose", action="store_true", help="show nbgrader's log and full errors"
    )
    shared.add_argument(
        "--jobs",
        "-j",
        type=_positive_int,
        default=None,
        metavar="N",
        help="notebooks (or nbgrader processes) run at once (default: number of CPUs)",
    )
    shared.add_argument(
        "--course",
        type=Path,
        default=None,
        metavar="DIR",
        help="the course folder (default: the nearest folder up from here with nbgrader_config.py)",
    )
    shared.add_argument(
        "--db",
        metavar="URL",
        default=None,
        help="gradebook database URL, e.g. postgresql://grader@dbhost/course (default: sqlite gradebook.db;"
        " also read from $FROM_MEMORY_DB_URL)",
    )
    parser = _Parser(
        prog=PROG,
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
        help="wall-clock limit per notebook, 0 for none (default: ParallelAutograde.notebook_timeout "
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


def _error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


def main(argv=None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
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
