"""The demo term, in a course of its own: ``demo/`` beside the real class, never inside it.

``from-memory demo`` makes ``<course>/demo/`` afresh from the course's config, ``source/``
and ``release/`` (removing the one a previous run made), and plays a term there: roster
import from a Canvas-style export, release with a due date, hand-in as a Canvas "download
all submissions" archive per assignment (one student hands in a day late; one file is from
someone not on the roster), collect from the archives, autograde, verify, status, feedback
(written answers are left waiting for a person, so those pages are held back), grades, the
Canvas export, feedback archives and the class report. The real class's ``submitted/``,
gradebook and reports are never touched.
"""

from __future__ import annotations

import csv
import datetime
import shutil
import tempfile
import time
import zipfile
from pathlib import Path

from from_memory import course
from from_memory.course import CourseError

FOLDER = "demo"
MARKER = ".from-memory-demo"  # only a folder holding this is ever removed
DUE = "2025-10-06 17:00 UTC"
ON_TIME = datetime.datetime(2025, 10, 6, 15, 30)  # handed in 90 minutes early (UTC)
LATE = {("radia", "ps1_forward"): datetime.timedelta(days=1, hours=2)}  # -> 2 days' penalty
NOT_ON_ROSTER = "auditorpat_1999_2999_{ps}.ipynb"  # a file no roster student matches
FAMILY = {
    "ada": "Lovelace", "grace": "Hopper", "alan": "Turing", "katherine": "Johnson",
    "edsger": "Dijkstra", "barbara": "Liskov", "donald": "Knuth", "margaret": "Hamilton",
    "john": "Backus", "frances": "Allen", "claude": "Shannon", "radia": "Perlman",
    "ken": "Thompson", "hedy": "Lamarr",
}


def make_demo_course(course_root) -> Path:
    """``<course_root>/demo/``: a fresh course with the config, source/ and release/ of this one."""
    root = Path(course_root).resolve()
    demo = root / FOLDER
    if demo.exists():
        if not (demo / MARKER).is_file():
            raise CourseError(
                f"{demo} exists and was not made by `from-memory demo`: move it away first"
            )
        shutil.rmtree(demo)
    demo.mkdir()
    (demo / MARKER).write_text("made by `from-memory demo`; removed by the next run\n")
    shutil.copy2(root / course.CONFIG_FILE, demo / course.CONFIG_FILE)
    for name in ("source", "release"):
        if (root / name).is_dir():
            shutil.copytree(root / name, demo / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return demo


def lms_id(student: str, students: list[str]) -> str:
    return str(1001 + students.index(student))


def write_roster(demo: Path, students: list[str]) -> Path:
    """A Canvas gradebook export of the demo class."""
    path = demo / "roster.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section"])
        writer.writerow(["    Points Possible", "", "", "", ""])
        for s in students:
            name = f"{FAMILY.get(s, 'Student')}, {s.capitalize()}"
            writer.writerow([name, lms_id(s, students), f"u{lms_id(s, students)}", s, "Section 1"])
    return path


def write_archives(demo: Path, handed_in: Path, students: list[str]) -> dict[str, Path]:
    """One Canvas-style archive per assignment of the notebooks under ``handed_in/submitted``."""
    archives = {}
    for ps in course.assignments(demo):
        path = demo / "downloads" / f"{ps}_submissions.zip"
        path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for notebook in sorted((handed_in / "submitted").glob(f"*/{ps}/{ps}.ipynb")):
                student = notebook.parent.parent.name
                when = ON_TIME + LATE.get((student, ps), datetime.timedelta())
                late = "_LATE" if (student, ps) in LATE else ""
                lastfirst = (FAMILY.get(student, "") + student).lower()
                name = f"{lastfirst}{late}_{lms_id(student, students)}_{5000 + len(archive.namelist())}_{ps}.ipynb"
                archive.writestr(zipfile.ZipInfo(name, when.timetuple()[:6]), notebook.read_bytes())
            first = next(iter(sorted((handed_in / "submitted").glob(f"*/{ps}/{ps}.ipynb"))), None)
            if first is not None:
                info = zipfile.ZipInfo(NOT_ON_ROSTER.format(ps=ps), ON_TIME.timetuple()[:6])
                archive.writestr(info, first.read_bytes())
        archives[ps] = path
    return archives


def demo(course_root, *, jobs: int | None = None, verbose: bool = False) -> int:
    """The whole term on the demo class, in ``<course_root>/demo/``."""
    from from_memory.course import collect, due, export, handback, roster, status
    from from_memory.course.verify import add_flag_column, verify
    from from_memory.engine.grading import autograde
    from from_memory.examples import demo_class

    started = time.monotonic()

    def step(text):
        print(f"[{time.monotonic() - started:5.1f} s] {text}", flush=True)

    root = make_demo_course(course_root)
    step(f"demo course: {root} (config, source/ and release/ of {Path(course_root).resolve()})")
    with tempfile.TemporaryDirectory(dir=root, prefix=".handed-in-") as scratch:
        plans = demo_class.generate(scratch)
        students = sorted({p.student for p in plans}, key=list(demo_class.ROSTER).index)
        (root / "submitted").mkdir()
        shutil.copy2(Path(scratch) / "submitted" / demo_class.MANIFEST, root / "submitted")
        roster_file = write_roster(root, students)
        step(f"roster: {len(roster.import_roster(root, roster_file, verbose=verbose))} students "
             f"imported from {roster_file.name} (a Canvas export)")
        released = course.release(root, verbose=verbose)
        dates = due.record_due_dates(root, course.assignments(root), DUE)
        step(f"release: {len(released)} notebooks, due {DUE} ({len(dates)} assignments)")
        archives = write_archives(root, Path(scratch), students)
    step(f"hand-in: {len(archives)} Canvas archives in {root / 'downloads'}")
    for ps, archive in archives.items():
        done = collect.collect_zip(root, ps, archive, lms="canvas", verbose=verbose)
        step(f"collect {ps}: {len(done.students)} submissions from {archive.name}")
        for line in done.lines():
            if not line.startswith("collected"):
                print(f"  {line}")
    step("autograde: executing every submission (in parallel), recording grades")
    outcomes = autograde(root, jobs=jobs, force=True, verbose=verbose)
    failed = [o for o in outcomes if o.failed]
    for o in failed:
        print(f"  flagged {o.line()}")
    step(f"  -> {len(outcomes) - len(failed)} graded, {len(failed)} failed")
    checked = verify(root, jobs=jobs)
    step(f"verify: {sum(r.flagged for r in checked)} of {len(checked)} notebooks flagged")
    print(status.table(status.class_status(root)))
    pages = handback.feedback(root, jobs=jobs, verbose=verbose)
    step(f"feedback: {len(pages.files)} pages; {len(pages.held)} held back until their written "
         "answers are graded (`from-memory manual`, then `from-memory feedback`)")
    step(f"grades: {export.export(root, 'plain', force=True, verbose=verbose)}")
    add_flag_column(root)
    step(f"Canvas import file: {export.export(root, 'canvas', force=True, verbose=verbose)}")
    zips = handback.zip_feedback(root)
    step(f"feedback archives for the LMS: {len(zips)} in {root / 'reports'}")
    from from_memory.course.report import write_report

    step(f"class report: {write_report(root)}")
    return 0
