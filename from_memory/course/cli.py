"""``from-memory``: the instructor's pipeline, one subcommand per stage.

Each subcommand only parses its arguments and calls one function; the defaults live
in those functions' keyword arguments. Problems the instructor can fix end in one
line, ``from-memory: error: ...`` with what to run next, and a non-zero exit.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from from_memory import course
from from_memory.course import CourseError
from from_memory.engine.environment import GradingError

PROG = "from-memory"


# --- the stages ----------------------------------------------------------------------


def cmd_release(args) -> int:
    released = course.release(args.root, args.assignments, verbose=args.verbose)
    for nb in released:
        print(f"released {nb.relative_to(args.root)}")
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
    files = course.feedback(args.root, args.assignments, jobs=args.jobs, verbose=args.verbose)
    print(f"{len(files)} feedback file(s) in {args.root / 'feedback'}")
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

    path = course.export_grades(args.root, verbose=args.verbose)
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


def _generate_demo_class(root: Path):
    try:
        from from_memory.examples.demo_class import generate
    except ImportError:
        raise CourseError(
            "the demo class is not available in this version (no from_memory.examples.demo_class.generate)"
        ) from None
    return generate(root)


def cmd_demo(args) -> int:
    return demo(args.root, jobs=args.jobs, verbose=args.verbose)


def demo(course_root, *, jobs: int | None = None, verbose: bool = False) -> int:
    """The whole loop on the demo class: release, hand in, autograde, verify, feedback, grades, report."""
    from from_memory.engine.grading import autograde

    root = Path(course_root).resolve()
    started = time.monotonic()

    def step(text):
        print(f"[{time.monotonic() - started:5.1f} s] {text}", flush=True)

    step("release: nbgrader generate_assignment for every assignment")
    released = course.release(root, verbose=verbose)
    step(f"  -> {len(released)} notebooks in {root / 'release'}")
    step("demo class: writing the students' submissions")
    _generate_demo_class(root)
    step(f"  -> {len(course.students(root))} students in {root / 'submitted'}")
    step("autograde: executing every submission (in parallel), recording grades")
    outcomes = autograde(root, jobs=jobs, force=True, verbose=verbose)
    failed = [o for o in outcomes if o.failed]
    for o in failed:
        print(f"  flagged {o.line()}")
    step(
        f"  -> {len(outcomes) - len(failed)} graded, {len(failed)} flagged, in {root / 'autograded'}"
        f" and {root / 'gradebook.db'}"
    )
    step("verify: structure, static scan and a clean re-check of every submission")
    from from_memory.course.verify import add_flag_column, verify

    checked = verify(root, jobs=jobs)
    for result in checked:
        if result.flagged:
            print(f"  {result.line()}")
    step(
        f"  -> {sum(r.flagged for r in checked)} of {len(checked)} notebooks flagged, in {root / 'reports'}"
    )
    step("feedback: one HTML page per graded notebook")
    files = course.feedback(root, jobs=jobs, verbose=verbose)
    step(f"  -> {len(files)} pages in {root / 'feedback'}")
    step("grades: nbgrader export")
    step(f"  -> {course.export_grades(root, verbose=verbose)}")
    add_flag_column(root)
    step("report: the class report")
    step(f"  -> {_write_report(root)}")
    return 0


# --- the parser ----------------------------------------------------------------------

EXAMPLES = {
    "release": """\
examples:
  from-memory release                    # every assignment in source/
  from-memory release ps1_forward ps2_backprop
""",
    "autograde": """\
examples:
  from-memory autograde                  # every assignment, every student, all cores
  from-memory autograde ps1_forward --jobs 4 --timeout 120
  from-memory autograde ps1_forward --student ada --force   # regrade one student
  from-memory autograde --scheduler tcp://10.0.0.5:8786     # on a Dask cluster
  from-memory autograde --db postgresql://grader@dbhost/course   # gradebook on PostgreSQL
  from-memory autograde ps1 --student 'ba*' --notebook=p1 --Execute.timeout=60   # nbgrader options
  from-memory autograde --ParallelAutograde.sandbox=off --memory 0   # no sandbox, no memory limit
""",
    "feedback": """\
examples:
  from-memory feedback                   # HTML feedback for everything autograded
  from-memory feedback ps1_forward
""",
    "grades": """\
examples:
  from-memory grades                     # -> reports/grades.csv
""",
    "report": """\
examples:
  from-memory report                     # -> reports/class_report.html
""",
    "verify": """\
examples:
  from-memory verify                     # every submission, after autograde
  from-memory verify ps1_forward --student ada
""",
    "demo": """\
examples:
  from-memory demo                       # release, demo class, autograde, verify, feedback, grades, report
  from-memory demo --jobs 2 -v
""",
}


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
        "Generate release/ from source/ (nbgrader generate_assignment --force).",
        assignments=True,
    )

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

    p = add(
        "feedback", cmd_feedback, "Generate HTML feedback for autograded notebooks.", assignments=True
    )

    p = add(
        "verify",
        cmd_verify,
        "Check submissions after autograde: structure, static scan, clean re-check.",
        assignments=True,
    )
    p.add_argument("--student", metavar="S", help="verify only this student")

    add(
        "grades",
        cmd_grades,
        "Export the gradebook to reports/grades.csv (a row per student and assignment).",
    )
    add("report", cmd_report, "Write the class report (reports/class_report.html).")
    add("demo", cmd_demo, "Run the whole pipeline on the demo class.")
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
