"""Where the class stands, per assignment: what is graded, what failed, what waits for a person.

Counts come from ``submitted/``, the autograder's ``reports/autograde_status.json``, the
verify stage's ``reports/integrity.json``, the gradebook (:mod:`from_memory.course.totals`)
and ``feedback/``.

    for row in class_status("."):
        print(row.line())
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from from_memory import course

HEADER = ("assignment", "due (UTC)", "submitted", "graded", "failed", "flagged", "late",
          "waiting", "feedback")


@dataclass(frozen=True)
class AssignmentStatus:
    assignment: str
    due: str  # "" when no due date
    submitted: int  # students with a folder in submitted/
    graded: int  # submissions the autograder graded (last run)
    failed: int  # submissions it could not grade
    flagged: int  # submissions a person should look at (verify)
    late: int
    waiting: int  # submissions with answers waiting for a person
    waiting_answers: int  # those answers
    feedback: int  # students with a feedback page

    def row(self) -> tuple:
        waiting = f"{self.waiting_answers} in {self.waiting}" if self.waiting else "0"
        return (self.assignment, self.due or "-", self.submitted, self.graded, self.failed,
                self.flagged, self.late, waiting, self.feedback)


def class_status(course_root=".") -> list[AssignmentStatus]:
    """One :class:`AssignmentStatus` per assignment in ``source/``; needs the gradebook."""
    from from_memory.course.gradebook import open_gradebook
    from from_memory.course.totals import totals
    from from_memory.course.verify import read_findings
    from from_memory.engine.grading import read_status

    root = Path(course_root).resolve()
    names = course.choose_assignments(root)
    outcomes = read_status(root)
    findings = read_findings(root)
    with open_gradebook(root) as gradebook:
        recorded = {a.name: a.duedate for a in gradebook.assignments}
        found = [t for t in totals(gradebook, names) if t.submitted]
    rows = []
    for ps in names:
        last = {}
        for (student, assignment, _), outcome in outcomes.items():
            if assignment == ps:
                last[student] = last.get(student) or outcome.failed
        mine = [t for t in found if t.assignment == ps]
        due = recorded.get(ps)
        rows.append(
            AssignmentStatus(
                assignment=ps,
                due=due.strftime("%Y-%m-%d %H:%M") if due else "",
                submitted=len(course.students(root, ps)),
                graded=sum(not failed for failed in last.values()),
                failed=sum(bool(failed) for failed in last.values()),
                flagged=sum(1 for (_, a) in findings if a == ps),
                late=sum(t.late for t in mine),
                waiting=sum(1 for t in mine if t.waiting_cells),
                waiting_answers=sum(len(t.waiting_cells) for t in mine),
                feedback=len({p.parent.parent.name for p in (root / "feedback").glob(f"*/{ps}/*.html")}),
            )
        )
    return rows


def table(rows: list[AssignmentStatus]) -> str:
    """The rows as aligned text, with the header."""
    cells = [HEADER, *(tuple(str(v) for v in r.row()) for r in rows)]
    widths = [max(len(str(c[i])) for c in cells) for i in range(len(HEADER))]
    return "\n".join(
        "  ".join(str(v).ljust(w) if i == 0 else str(v).rjust(w) for i, (v, w) in enumerate(zip(c, widths, strict=True)))
        for c in cells
    )
