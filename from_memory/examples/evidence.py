"""What grading left behind, read back for the corpus runner: scores, flags, cell outputs, feedback.

Everything here only reads a graded course folder:

* :func:`automatic_scores`: each notebook's points on its test cells, from the gradebook;
* :func:`flag_reasons`: each notebook's flag reasons, from ``reports/integrity.json``;
* :func:`cell_text`: what a test cell of an autograded notebook showed;
* :func:`hidden_test_text` and :func:`leaks`: the hidden tests' source, and where a
  feedback page shows any of it.
"""

from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path

from from_memory import course

HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CHECK_CALL = re.compile(r"\bcheck_[a-z_]+\(")
TAG = re.compile(r"<[^>]*>")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _test_cells(root: Path, assignment: str) -> set[str]:
    import nbformat

    nb = nbformat.read(root / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    return {
        c.metadata["nbgrader"]["grade_id"]
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")
    }


def automatic_scores(root: Path, assignments) -> dict[tuple[str, str], tuple[float, float]]:
    """``{(student, assignment): (score, max)}`` over the test cells (hand-graded answers left out).

    A notebook nbgrader never recorded (its kernel crashed, its file is not a notebook) has none.
    """
    grades = course.cell_grades(course.sqlite_url(root), list(assignments))
    tests = {a: _test_cells(root, a) for a in assignments}
    scores: dict[tuple[str, str], list[float]] = {}
    for (student, assignment, cell), grade in grades.items():
        if cell in tests[assignment]:
            total = scores.setdefault((student, assignment), [0.0, 0.0])
            total[0] += grade.score or 0.0
            total[1] += grade.max_score
    return {key: (s, m) for key, (s, m) in scores.items()}


def flag_reasons(root: Path) -> dict[tuple[str, str], list[str]]:
    """``{(student, assignment): [reason]}`` of every flagged notebook."""
    from from_memory.course import verify

    return {
        key: list(dict.fromkeys(f.reason for f in findings))
        for key, findings in verify.read_findings(root).items()
    }


def csv_flags(root: Path) -> dict[tuple[str, str], str]:
    """``{(student, assignment): flag column}`` of ``reports/grades.csv``."""
    with (root / course.GRADES_CSV).open(newline="") as handle:
        return {(r["student_id"], r["assignment"]): r.get("flag", "") for r in csv.DictReader(handle)}


def _output_text(output) -> str:
    if output.get("output_type") == "stream":
        text = output.get("text", "")
    elif output.get("output_type") == "error":
        text = "\n".join([output.get("ename", ""), output.get("evalue", ""), *output.get("traceback", [])])
    else:
        text = output.get("data", {}).get("text/plain", "")
    text = "".join(text) if isinstance(text, list) else text
    return ANSI.sub("", text)


def cell_text(root: Path, student: str, assignment: str, grade_id: str) -> str | None:
    """Everything the cell ``grade_id`` of the autograded notebook showed; None without that cell."""
    path = root / "autograded" / student / assignment / f"{assignment}.ipynb"
    if not path.is_file():
        return None
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return "\n".join(_output_text(o) for o in cell.get("outputs", []))
    return None


def hidden_test_text(root: Path, assignments) -> set[str]:
    """The markers and every line of the hidden tests of the source notebooks of ``assignments``."""
    import nbformat

    found = {HIDDEN_BEGIN.lstrip("# "), HIDDEN_END.lstrip("# ")}
    for assignment in assignments:
        nb = nbformat.read(root / "source" / assignment / f"{assignment}.ipynb", as_version=4)
        for cell in nb.cells:
            if HIDDEN_BEGIN in cell.source:
                hidden = cell.source.split(HIDDEN_BEGIN, 1)[1].split(HIDDEN_END, 1)[0]
                found |= {line.strip() for line in hidden.splitlines() if line.strip()}
    return found


def page_text(page: Path) -> str:
    """A feedback page's text as a reader sees it: tags removed, entities decoded."""
    return html.unescape(TAG.sub("", page.read_text(encoding="utf-8", errors="replace")))


def leaks(page: Path, hidden: set[str]) -> list[str]:
    """The hidden test text ``page`` shows (and any ``check_...(`` call), shortest first."""
    text = page_text(page)
    shown = {line for line in hidden if line in text} | set(CHECK_CALL.findall(text))
    return sorted(shown, key=len)


def feedback_page(root: Path, student: str, assignment: str) -> Path:
    return root / "feedback" / student / assignment / f"{assignment}.html"
