"""Handing work back: feedback pages, released to the exchange or zipped for an LMS.

Feedback is nbgrader's ``generate_feedback``. A submission with an answer still waiting
for a person (a written answer, a test cell given back to hand grading) gets no page, so
nobody reads "Score: 0 / 2" for an answer not yet read; with ``partial=True`` it gets one,
and :class:`LabelWaitingAnswers` (in the course's ``GenerateFeedback.preprocessors``) says
above the notebook and under each such answer that it is waiting for grading.

    feedback(".")                      # pages of the complete submissions -> feedback/
    release_feedback(".", ["ps3_alpha"])   # nbgrader release_feedback: students fetch it
    zip_feedback(".")                  # reports/<ps>_feedback.zip, one file per student
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor

from from_memory import course
from from_memory.course import CourseError

WAITING_NOTE = (
    "**Waiting for grading:** this answer has not been graded yet; its {points} "
    "are not in the score above."
)
PARTIAL_NOTE = (
    "**This feedback is partial:** {count} not graded yet ({points}); the score counts only "
    "what has been graded so far. You will get the full feedback when it is."
)


@dataclass
class FeedbackDone:
    files: list[Path] = field(default_factory=list)
    held: list[tuple[str, str, float]] = field(default_factory=list)  # (student, ps, points waiting)

    def lines(self) -> list[str]:
        return [
            f"held back {student} {ps}: {points:g} point{'' if points == 1 else 's'} waiting for grading"
            for student, ps, points in self.held
        ]


def feedback(
    course_root=".", assignments=None, *, partial: bool = False, jobs: int | None = None,
    verbose: bool = False,
) -> FeedbackDone:
    """``nbgrader generate_feedback --force`` per autograded assignment, ``jobs`` at a time."""
    from from_memory.course import hide_tests
    from from_memory.course.gradebook import open_gradebook
    from from_memory.course.totals import totals

    root = Path(course_root).resolve()
    names = course.choose_assignments(root, assignments)
    graded = [n for n in names if list((root / "autograded").glob(f"*/{n}/*.ipynb"))]
    if not graded:
        raise CourseError(
            f"nothing autograded yet for {', '.join(names)}: run `from-memory autograde` first"
        )
    with open_gradebook(root, graded) as gradebook:
        waiting = [t for t in totals(gradebook, graded) if t.submitted and not t.complete]
    done = FeedbackDone()
    if not partial:
        done.held = [(t.student, t.assignment, t.waiting_points) for t in waiting]
        for student, ps, _ in done.held:  # an older page would show outdated points
            shutil.rmtree(root / "feedback" / student / ps, ignore_errors=True)
    held = {ps: sorted(s for s, p, _ in done.held if p == ps) for ps in graded}
    _run_parallel(
        root,
        [
            ["generate_feedback", ps, "--force", *hide_tests.command_line()]
            + ([f"--CourseDirectory.student_id_exclude={','.join(held[ps])}"] if held[ps] else [])
            for ps in graded
        ],
        jobs,
        verbose,
    )
    done.files = sorted(p for ps in graded for p in (root / "feedback").glob(f"*/{ps}/*.html"))
    return done


def _run_parallel(root: Path, commands: list[list[str]], jobs, verbose) -> None:
    """nbgrader commands side by side (they only read the gradebook); the first failure raises."""
    jobs = max(1, int(jobs or os.cpu_count() or 1))
    running: list[tuple[list[str], subprocess.Popen]] = []
    failures = []

    def reap(args, process):
        out, _ = process.communicate()
        if verbose:
            sys.stderr.write(out)
        if process.returncode != 0:
            failures.append(f"`nbgrader {' '.join(args[:2])}` failed: {course.last_error_line(out)}")

    for args in commands:
        if len(running) >= jobs:
            reap(*running.pop(0))
        command = [sys.executable, "-c", course._NBGRADER_MAIN, ",".join(course.SLOW_UNUSED_MODULES)]
        process = subprocess.Popen(
            [*command, *args], cwd=root, env=course.environment(root),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        running.append((args, process))
    for args, process in running:
        reap(args, process)
    if failures:
        raise CourseError(failures[0] + " (rerun with -v to see nbgrader's log)")


def _with_feedback(root: Path, assignments) -> list[str]:
    names = course.choose_assignments(root, assignments)
    found = [n for n in names if list((root / "feedback").glob(f"*/{n}/*.html"))]
    if not found:
        raise CourseError(f"no feedback yet for {', '.join(names)}: run `from-memory feedback` first")
    return found


def release_feedback(course_root=".", assignments=None, *, verbose: bool = False) -> list[str]:
    """``nbgrader release_feedback`` per assignment with feedback; returns the assignments."""
    from from_memory.course.collect import ensure_exchange

    root = Path(course_root).resolve()
    names = _with_feedback(root, assignments)
    ensure_exchange(root)
    _run_parallel(root, [["release_feedback", ps] for ps in names], None, verbose)
    return names


def zip_feedback(course_root=".", assignments=None) -> list[Path]:
    """``reports/<ps>_feedback.zip``: each student's page, named as the LMS named their upload.

    A student collected from an LMS archive gets the prefix the LMS gave their file
    (``lovelaceada_1001_5001_ps1_forward_feedback.html``: Canvas and Moodle match uploads
    to students by it); others ``<student>_<ps>_feedback.html``.
    """
    from from_memory.course.collect import upload_names

    root = Path(course_root).resolve()
    archives = []
    for ps in _with_feedback(root, assignments):
        prefixes = upload_names(root, ps)
        path = root / "reports" / f"{ps}_feedback.zip"
        path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for page in sorted((root / "feedback").glob(f"*/{ps}/*.html")):
                student = page.parent.parent.name
                prefix = prefixes.get(student) or f"{student}_"
                archive.write(page, f"{prefix}{page.stem}_feedback.html")
        archives.append(path)
    return archives


class LabelWaitingAnswers(NbGraderPreprocessor):
    """Feedback: a note above the notebook and under each graded cell still waiting for a person."""

    def preprocess(self, nb, resources):
        import nbformat
        from nbgrader.api import Gradebook, MissingEntry

        info = resources["nbgrader"]
        waiting = {}
        with Gradebook(info["db_url"]) as gradebook:  # as nbgrader's own GetGrades opens it
            try:
                notebook = gradebook.find_submission_notebook(
                    info["notebook"], info["assignment"], info["student"]
                )
            except MissingEntry:
                return nb, resources
            waiting = {g.name: float(g.max_score or 0) for g in notebook.grades if g.needs_manual_grade}
        if not waiting:
            return nb, resources
        cells = []
        for cell in nb.cells:
            cells.append(cell)
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in waiting:
                cells.append(nbformat.v4.new_markdown_cell(WAITING_NOTE.format(points=_points(waiting[grade_id]))))
        count = f"{len(waiting)} answer{'' if len(waiting) == 1 else 's'}"
        top = PARTIAL_NOTE.format(count=count, points=_points(sum(waiting.values())))
        nb.cells = [nbformat.v4.new_markdown_cell(top), *cells]
        return nb, resources


def _points(n: float) -> str:
    return f"{n:g} point{'' if n == 1 else 's'}"
