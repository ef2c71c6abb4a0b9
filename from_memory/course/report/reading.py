"""Reading the course for the class report: the gradebook and the autograded notebooks.

Grades come from nbgrader's gradebook (``nbgrader.api.Gradebook``); the words a student
was shown come from the error outputs of the graded test cells in
``autograded/<student>/<ps>/<ps>.ipynb``; each submission's total (automatic and manual
points, late penalty, answers waiting) from :func:`from_memory.course.totals.totals`.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from from_memory.course.report.model import (
    CHECKER_ERRORS,
    HINT_MARKER,
    SLUG_AT_END,
    STDERR_ONLY,
    TEST_PREFIX,
    AssignmentResults,
    NothingToReport,
    StepResult,
    SubmissionResult,
)

# -- reading the course --------------------------------------------------------


def collect(course_root) -> list[AssignmentResults]:
    """Read grades and failure messages of every graded submission; one entry per assignment."""
    from from_memory.course import CourseError
    from from_memory.course.gradebook import gradebook_url, open_gradebook
    from from_memory.course.totals import totals

    course_root = Path(course_root).resolve()
    url = gradebook_url(course_root)
    hints = _known_hints()
    status = _autograde_status(course_root)
    integrity = _integrity_flags(course_root)
    results = []
    try:
        opened = open_gradebook(course_root)
        gradebook = opened.__enter__()
    except CourseError as error:
        raise NothingToReport(str(error)) from None
    try:
        by_key = {(t.student, t.assignment): t for t in totals(gradebook)}
        students = sorted(s.id for s in gradebook.students)
        for assignment in sorted(gradebook.assignments, key=lambda a: a.name):
            entry = AssignmentResults(assignment.name)
            submitted = set()
            for submission in sorted(assignment.submissions, key=lambda s: s.student.id):
                submitted.add(submission.student.id)
                entry.submissions.append(
                    _read_submission(
                        course_root, assignment.name, submission, hints, status, integrity,
                        by_key.get((submission.student.id, assignment.name)),
                    )
                )
            entry.students_without_submission = [s for s in students if s not in submitted]
            if entry.submissions:
                results.append(entry)
    finally:
        opened.__exit__(None, None, None)
    if not results:
        raise NothingToReport(
            f"the gradebook {url} holds no graded submission yet: "
            "collect the class's work (`from-memory collect PS --exchange`) and run `from-memory autograde`"
        )
    return results


def _read_submission(
    course_root: Path, assignment: str, submission, hints: dict, status: dict, integrity: dict,
    total=None,
) -> SubmissionResult:
    """Scores are the automatic part: the graded code cells (``test_<step>``).

    Written answers (graded markdown cells) are only counted, as work for a person.
    """
    student = submission.student.id
    flags = []
    steps = []
    answers_to_grade = 0
    for notebook in sorted(submission.notebooks, key=lambda n: n.name):
        path = course_root / "autograded" / student / assignment / f"{notebook.name}.ipynb"
        graded_cells = _graded_cells(path)
        if graded_cells is None:
            outcome = status.get((student, assignment, notebook.name))
            reason = getattr(outcome, "reason", "") or "the kernel may have died while grading it"
            flags.append(f"no autograded notebook `{notebook.name}.ipynb` ({reason})")
        order = list(graded_cells or ())  # notebook order, when the notebook is there
        for grade in sorted(notebook.grades, key=lambda g: _position(order, g.name)):
            if grade.cell_type != "code":
                answers_to_grade += bool(grade.needs_manual_grade)
                continue
            if not grade.max_score:
                continue
            step = grade.name.removeprefix(TEST_PREFIX)
            message, hint, slug = _split_hint((graded_cells or {}).get(grade.name))
            steps.append(
                StepResult(
                    step=step,
                    score=None if grade.auto_score is None else float(grade.score),
                    max_score=float(grade.max_score),
                    needs_manual_grade=bool(grade.needs_manual_grade),
                    message=message,
                    hint=hint,
                    misconception=slug or (hints.get(hint) if hint else None),
                )
            )
            if graded_cells is not None and grade.name not in graded_cells:
                flags.append(f"test cell `{grade.name}` is missing from the notebook (deleted?)")
            elif message and message.startswith(STDERR_ONLY):
                flags.append(
                    f"`{step}` lost its points to stderr output alone, not to a failed check"
                )
    unscored = [s.step for s in steps if s.score is None]
    manual = [s.step for s in steps if s.needs_manual_grade]
    if unscored:
        flags.append("no automatic score for " + ", ".join(f"`{s}`" for s in unscored))
    if manual:
        flags.append("needs manual grading: " + ", ".join(f"`{s}`" for s in manual))
    found = integrity.get((student, assignment), [])
    # the verify stage knows for sure what the missing-cell guess above only suspects
    flags = [f for f in flags if not any(_same_cell(f, reason) for reason in found)]
    flags.extend(found)
    return SubmissionResult(
        assignment=assignment,
        student=student,
        score=sum(s.score or 0.0 for s in steps),
        max_score=sum(s.max_score for s in steps),
        steps=tuple(steps),
        flags=tuple(dict.fromkeys(flags)),
        answers_to_grade=answers_to_grade,
        total=total,
    )


def _same_cell(flag: str, reason: str) -> bool:
    """Do both texts name the same missing test cell?"""
    cell = re.match(r"test cell (`[^`]+`) is missing", flag)
    return bool(cell) and cell.group(1) in reason


def _position(order: list, name: str) -> tuple:
    return (order.index(name) if name in order else len(order), name)


def _graded_cells(path: Path) -> dict | None:
    """``{grade_id: what the cell showed as an error, or None}`` for a notebook's graded code cells.

    nbgrader 0.9 gives a test cell 0 points for an error output and also for any
    output on stderr (a warning, say); when there is no error, the stderr text is the
    reason. ``None`` when the notebook does not exist.
    """
    if not path.exists():
        return None
    notebook = nbformat.read(path, as_version=4)
    found: dict = {}
    for cell in notebook.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if not grade_id or cell.cell_type != "code":
            continue
        outputs = cell.get("outputs", [])
        errors = [o for o in outputs if o.get("output_type") == "error"]
        stderr = [
            o for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stderr"
        ]
        if errors:
            found[grade_id] = _error_text(errors[0].get("ename", ""), errors[0].get("evalue", ""))
        elif stderr:
            text = _strip_ansi("".join(o.get("text", "") for o in stderr)).strip()
            found[grade_id] = f"{STDERR_ONLY}: {(text.splitlines() or [''])[0]}"
        else:
            found[grade_id] = None
    return found


def _error_text(ename: str, evalue: str) -> str:
    evalue = _strip_ansi(evalue).strip()
    if ename in CHECKER_ERRORS and evalue:
        return evalue
    return f"{ename}: {evalue}" if evalue else ename


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def _split_hint(text: str | None) -> tuple[str | None, str | None, str | None]:
    """``(first line of the message, hint, mutant slug)`` of a test cell's error text."""
    if not text:
        return None, None, None
    head, marker, hint = text.partition(HINT_MARKER)
    first_line = (head.strip() or text.strip()).splitlines()[0]
    if not marker:
        return first_line, None, None
    hint = hint.strip()
    found = SLUG_AT_END.search(hint)
    if found:
        return first_line, hint[: found.start()].strip() or None, found.group(1)
    return first_line, hint or None, None


def _autograde_status(course_root: Path) -> dict:
    """The parallel autograder's last outcome per notebook (why a notebook failed), if any."""
    try:
        from from_memory.engine.grading import read_status
    except ImportError:
        return {}
    return read_status(course_root)


def _integrity_flags(course_root: Path) -> dict:
    """``{(student, assignment): [reason]}`` from ``from-memory verify`` (reports/integrity.json), if run.

    Autograde failures are left out: the missing autograded notebook already says why.
    """
    try:
        from from_memory.course.verify import KINDS, read_findings
    except ImportError:
        return {}
    kinds = tuple(k for k in KINDS if k != "autograde")
    return {
        key: [f.reason for f in found] for key, found in read_findings(course_root, kinds).items()
    }


def _known_hints() -> dict:
    """``{hint: mutant slug}`` from the mutant catalog (empty if it cannot be imported)."""
    try:
        from from_memory.judge import mutants
    except ImportError:
        return {}
    return {m.hint.strip(): m.slug for m in getattr(mutants, "CATALOG", ())}
