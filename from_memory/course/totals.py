"""One total per submission: automatic and manual points, late penalty, what still waits.

``grades.csv``, the LMS export, the class report, ``from-memory status`` and the choice of
which feedback to write all read :func:`totals`, so they cannot disagree. nbgrader's own
score of a cell is its manual score when a person gave one, else its automatic score, else
0; a cell that still needs a person (a written answer, a test cell the student deleted)
is counted here as *waiting for grading*, never as 0 points.

    with open_gradebook(root) as gradebook:
        for t in totals(gradebook):
            print(t.student, t.assignment, t.shown())   # "7 / 9 (2 points waiting for grading)"
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

WAITING = "waiting for grading"
NOT_SUBMITTED = "not submitted"
GRADED = "graded"


@dataclass(frozen=True)
class Total:
    """One student's result on one assignment, as the gradebook holds it now."""

    student: str
    assignment: str
    max_score: float
    submitted: bool = False
    raw_score: float = 0.0  # points given, automatically or by a person (before the penalty)
    late_penalty: float = 0.0
    waiting_cells: tuple[str, ...] = ()  # grade ids that still need a person
    waiting_points: float = 0.0
    timestamp: datetime.datetime | None = None  # when it was handed in (UTC), if known
    seconds_late: float = 0.0
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    lms_user_id: str = ""
    duedate: datetime.datetime | None = None

    @property
    def score(self) -> float:
        """The points the student has now: given points less the late penalty."""
        return max(0.0, self.raw_score - self.late_penalty)

    @property
    def status(self) -> str:
        if not self.submitted:
            return NOT_SUBMITTED
        return WAITING if self.waiting_cells else GRADED

    @property
    def complete(self) -> bool:
        return self.submitted and not self.waiting_cells

    @property
    def late(self) -> bool:
        return self.seconds_late > 0

    @property
    def percent(self) -> float | None:
        """Score as a percentage of the points graded so far (None when nothing is graded)."""
        graded = self.max_score - self.waiting_points
        return 100 * self.score / graded if self.submitted and graded > 0 else None

    def shown(self) -> str:
        """How a person reads it: ``7 / 9``, ``5 / 9 (2 points waiting for grading)``, ..."""
        if not self.submitted:
            return NOT_SUBMITTED
        text = f"{self.score:g} / {self.max_score:g}"
        notes = []
        if self.waiting_cells:
            notes.append(f"{self.waiting_points:g} point{_s(self.waiting_points)} {WAITING}")
        if self.late_penalty:
            notes.append(f"late: -{self.late_penalty:g}")
        elif self.late:
            notes.append("late")
        return text + (f" ({'; '.join(notes)})" if notes else "")


def _s(n: float) -> str:
    return "" if n == 1 else "s"


def totals(gradebook, assignments=None, students=None) -> list[Total]:
    """A :class:`Total` for every student of the gradebook and every assignment (or those given).

    ``gradebook`` is an open ``nbgrader.api.Gradebook``; students without a submission get
    a total marked not submitted.
    """
    wanted = set(assignments or ())
    chosen_students = [s for s in gradebook.students if students is None or s.id in students]
    found = []
    for assignment in sorted(gradebook.assignments, key=lambda a: a.name):
        if wanted and assignment.name not in wanted:
            continue
        submissions = {s.student.id: s for s in assignment.submissions}
        max_score = float(assignment.max_score or 0.0)
        for student in sorted(chosen_students, key=lambda s: s.id):
            person = {
                "first_name": student.first_name or "",
                "last_name": student.last_name or "",
                "email": student.email or "",
                "lms_user_id": student.lms_user_id or "",
            }
            submission = submissions.get(student.id)
            if submission is None:
                found.append(
                    Total(student.id, assignment.name, max_score, duedate=assignment.duedate, **person)
                )
                continue
            grades = [g for notebook in submission.notebooks for g in notebook.grades]
            waiting = [g for g in grades if g.needs_manual_grade]
            found.append(
                Total(
                    student.id,
                    assignment.name,
                    max_score,
                    submitted=True,
                    # a waiting cell's old automatic score (0 for a deleted test) is not counted
                    raw_score=sum(float(g.score or 0.0) for g in grades if not g.needs_manual_grade),
                    late_penalty=float(submission.late_submission_penalty or 0.0),
                    waiting_cells=tuple(g.name for g in waiting),
                    waiting_points=sum(float(g.max_score or 0.0) for g in waiting),
                    timestamp=submission.timestamp,
                    seconds_late=float(submission.total_seconds_late or 0.0),
                    duedate=submission.duedate,
                    **person,
                )
            )
    return found

