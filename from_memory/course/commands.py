"""What each ``from-memory`` subcommand does: parse nothing, call one function, print its result.

The parser and the entry point are in :mod:`from_memory.course.cli`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from from_memory import course
from from_memory.course import CourseError

PROG = "from-memory"


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
    from from_memory.examples.term import demo

    return demo(args.root, jobs=args.jobs, verbose=args.verbose)


# --- the parser ----------------------------------------------------------------------

def _error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)
