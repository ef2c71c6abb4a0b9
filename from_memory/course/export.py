"""Grades out of the gradebook: nbgrader's ``export`` with this kit's two export plugins.

* :class:`GradesCsv` -> ``reports/grades.csv``: nbgrader's usual columns (score after the
  late penalty, raw score, penalty, timestamp, due date) plus ``status`` (graded, waiting
  for grading, not submitted), ``waiting_for_grading`` (points a person has yet to give)
  and ``percent``; a waiting answer is never counted as 0.
* :class:`CanvasCsv` -> ``reports/canvas_grades.csv``: Canvas's gradebook import format
  (``Student, ID, SIS User ID, SIS Login ID, Section``, one column per assignment, a
  ``Points Possible`` row). Cells of work still waiting for grading, or not submitted, are
  left empty, which Canvas reads as "no grade yet".

Both read :func:`from_memory.course.totals.totals`. A new file never replaces one with
more scored rows unless ``force``: a lost or emptied gradebook cannot wipe out grades.
"""

from __future__ import annotations

import csv
from pathlib import Path

from nbgrader.plugins import ExportPlugin

from from_memory import course
from from_memory.course import CourseError

EXPORTS = {  # --lms name -> (plugin, file)
    "plain": ("GradesCsv", course.GRADES_CSV),
    "canvas": ("CanvasCsv", Path("reports") / "canvas_grades.csv"),
}
PLAIN_COLUMNS = [
    "assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
    "raw_score", "late_submission_penalty", "score", "max_score", "status",
    "waiting_for_grading", "percent",
]
CANVAS_FIXED = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def export(course_root=".", lms: str = "plain", *, force: bool = False, verbose=False) -> Path:
    """``nbgrader export`` through the plugin for ``lms``; returns the file written."""
    from from_memory.course.gradebook import require_gradebook

    if lms not in EXPORTS:
        raise CourseError(f"no export for {lms!r}: use --lms {' or --lms '.join(EXPORTS)}")
    root = Path(course_root).resolve()
    require_gradebook(root)
    plugin, relative = EXPORTS[lms]
    target = root / relative
    fresh = target.with_name(f".{target.name}.new")
    target.parent.mkdir(parents=True, exist_ok=True)
    course.run_nbgrader(
        root, "export", f"--exporter={__name__}.{plugin}", f"--to={fresh.relative_to(root)}",
        verbose=verbose,
    )
    old, new = scored_rows(target), scored_rows(fresh)
    if new < old and not force:
        fresh.unlink()
        raise CourseError(
            f"the gradebook now gives {new} scored row(s), {target.relative_to(root)} has {old}: "
            f"kept the file; check the gradebook (`from-memory status`), or replace it with "
            f"`from-memory {'grades' if lms == 'plain' else 'export --lms ' + lms} --force`"
        )
    fresh.replace(target)
    return target


def scored_rows(path: Path) -> int:
    """Scores a grade file holds: rows of handed-in work (plain) or filled grade cells (Canvas)."""
    if not path.is_file():
        return 0
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        return 0
    if "Student" in rows[0]:  # Canvas: every non-empty assignment cell of a student row
        return sum(
            1 for r in rows if r.get("Student", "").strip() != "Points Possible"
            for k, v in r.items() if k not in CANVAS_FIXED and (v or "").strip()
        )
    if "status" in rows[0]:
        return sum(1 for r in rows if r["status"] not in ("", "not submitted"))
    # a file of stock nbgrader export: rows with a timestamp or points
    return sum(1 for r in rows if r.get("timestamp") not in ("", "None") or _float(r.get("raw_score")) > 0)


def _float(text) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return 0.0


def _number(x: float) -> str:
    return str(round(float(x), 6))  # as nbgrader's own export writes them: 3.0, 0.8


class GradesCsv(ExportPlugin):
    """nbgrader export plugin: one row per student and assignment, waiting answers marked."""

    def export(self, gradebook):
        from from_memory.course.totals import totals

        with open(self.to or "grades.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(PLAIN_COLUMNS)
            for t in totals(gradebook, self.assignment or None, self.student or None):
                writer.writerow([
                    t.assignment, t.duedate or "", t.timestamp or "", t.student, t.last_name,
                    t.first_name, t.email, _number(t.raw_score), _number(t.late_penalty),
                    _number(t.score) if t.submitted else "", _number(t.max_score), t.status,
                    _number(t.waiting_points) if t.waiting_cells else "",
                    f"{t.percent:.1f}" if t.percent is not None and t.complete else "",
                ])


class CanvasCsv(ExportPlugin):
    """nbgrader export plugin: Canvas's gradebook import CSV."""

    def export(self, gradebook):
        from from_memory.course.totals import totals

        found = totals(gradebook, self.assignment or None, self.student or None)
        names = sorted({t.assignment for t in found})
        maximum = {t.assignment: t.max_score for t in found}
        by_student: dict[str, dict] = {}
        for t in found:
            by_student.setdefault(t.student, {"total": t})[t.assignment] = (
                _number(t.score) if t.complete else ""
            )
        with open(self.to or "canvas_grades.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(CANVAS_FIXED + names)
            writer.writerow(["Points Possible", "", "", "", ""] + [_number(maximum[n]) for n in names])
            for student, row in sorted(by_student.items()):
                t = row["total"]
                shown = ", ".join(p for p in (t.last_name, t.first_name) if p) or student
                writer.writerow(
                    [shown, t.lms_user_id, student, student, ""] + [row.get(n, "") for n in names]
                )
