"""What a corpus case is, how its expected outcome is written, and the notebook edits cases share.

A corpus (hostile submissions in :mod:`from_memory.examples.hostile`, honest ones in
:mod:`from_memory.examples.honest`) is a list of :class:`Case`. Each case is one student's
notebook of one assignment, made by a small factory from the course's own notebooks
(:mod:`from_memory.examples.submissions`), and the outcome grading must reach, as data:

* ``graded: S/M``                 S of the M automatic points, and no flag;
* ``flagged: <text>``             flagged for a person, ``<text>`` a substring of a reason
  (whatever the score);
* ``graded: S/M, flagged: <text>`` both: the score, and the flag.

Points are those of the test cells (written answers graded by hand are left out), read
from the gradebook. :func:`outcome_of` writes what grading did in the same words, and
:func:`matches` compares the two.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

from from_memory.examples import submissions

SCORE = re.compile(r"\d+(?:\.\d+)?/\d+(?:\.\d+)?")


@dataclass(frozen=True)
class Context:
    """Where a factory's notebook will be graded."""

    course: Path  # the temporary course root
    canary: Path  # a folder outside the course that grading must never touch
    port: int = 0  # a local TCP port serving the reference's source, as a helper outside might


@dataclass(frozen=True)
class Case:
    name: str  # what the submission does (also its student id)
    expected: str  # see the module docstring
    build: Callable[[Context], nbformat.NotebookNode | bytes]
    assignment: str = "ps1_forward"
    # (test cell grade_id, words): one of the words must be in that cell's output.
    says: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Its feedback page must exist and show no hidden test source.
    feedback_hides_tests: bool = False


def parse(text: str) -> tuple[str | None, str | None]:
    """``(score, flag)`` of an outcome written as in the module docstring; raises ValueError."""
    score = flag = None
    rest = text
    if rest.startswith("graded: "):
        score, comma, rest = rest.removeprefix("graded: ").partition(", ")
        if not SCORE.fullmatch(score) or (comma and not rest):
            score, rest = None, "?"
    if rest.startswith("flagged: ") and len(rest) > len("flagged: "):
        flag, rest = rest.removeprefix("flagged: "), ""
    if rest or (score is None and flag is None):
        raise ValueError(
            "an expected outcome is 'graded: S/M', 'flagged: <reason>' or "
            f"'graded: S/M, flagged: <reason>', got {text!r}"
        )
    return score, flag


def matches(expected: str, actual: str) -> bool:
    """Does ``actual`` (from :func:`outcome_of`) reach ``expected``?

    A score must be equal; a flag must contain the expected text; an expected score
    without a flag wants no flag at all.
    """
    want_score, want_flag = parse(expected)
    try:
        got_score, got_flag = parse(actual)
    except ValueError:
        return False
    if want_score is not None and got_score != want_score:
        return False
    if want_flag is None:
        return got_flag is None
    return got_flag is not None and want_flag in got_flag


def outcome_of(score: tuple[float, float] | None, reasons: list[str], expected: str = "") -> str:
    """The words of :func:`matches` for a notebook's automatic points and its flag reasons.

    Of several reasons, the one the expected outcome names is shown (else the first).
    """
    parts = []
    if score is not None:
        parts.append(f"graded: {score[0]:g}/{score[1]:g}")
    if reasons:
        wanted = parse(expected)[1] if expected else None
        parts.append("flagged: " + next((r for r in reasons if wanted and wanted in r), reasons[0]))
    return ", ".join(parts) or "not graded and not flagged"


# -- the assignments' points ---------------------------------------------------------


def test_cells(notebook) -> dict[str, float]:
    """``{grade_id: points}`` of the automatically graded (test) cells of ``notebook``."""
    found = {}
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            found[meta["grade_id"]] = float(meta.get("points", 0))
    return found


def automatic_points(assignment: str) -> float:
    """The points of the release notebook's test cells."""
    return sum(test_cells(submissions.release_notebook(assignment)).values())


def full_marks(assignment: str) -> str:
    points = automatic_points(assignment)
    return f"graded: {points:g}/{points:g}"


def graded(assignment: str, lost: float = 0) -> str:
    """``graded: S/M`` for a notebook of ``assignment`` that loses ``lost`` automatic points."""
    points = automatic_points(assignment)
    return f"graded: {points - lost:g}/{points:g}"


def points_of(assignment: str, *steps: str) -> float:
    """The points of the test cells ``test_<step>`` of ``assignment``."""
    cells = test_cells(submissions.release_notebook(assignment))
    return sum(cells[f"test_{step}"] for step in steps)


# -- notebook edits --------------------------------------------------------------------


def cell_index(nb, grade_id: str) -> int:
    for index, cell in enumerate(nb.cells):
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return index
    raise KeyError(grade_id)


def with_code_after(nb, grade_id: str, code: str):
    """``nb`` with ``code`` appended to the solution cell ``grade_id`` (runs before its test)."""
    nb = copy.deepcopy(nb)
    cell = nb.cells[cell_index(nb, grade_id)]
    cell.source = cell.source.rstrip("\n") + "\n\n" + code
    return nb


def with_code_before(nb, grade_id: str, code: str):
    """``nb`` with ``code`` at the top of the solution cell ``grade_id``."""
    nb = copy.deepcopy(nb)
    cell = nb.cells[cell_index(nb, grade_id)]
    cell.source = code.rstrip("\n") + "\n\n" + cell.source
    return nb


def new_cell(kind: str, source: str, cell_id: str, metadata=None):
    """A code or markdown cell with a fixed id (so a corpus is the same on every build)."""
    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    cell = make(source)
    cell["id"] = cell_id
    if metadata:
        cell.metadata.update(metadata)
    return cell


def with_new_cell(nb, code: str, metadata=None, at: int = 0):
    """``nb`` with a code cell the student added at position ``at`` (default: the very top)."""
    nb = copy.deepcopy(nb)
    nb.cells.insert(at, new_cell("code", code, f"student-cell-{at}", metadata))
    return nb


def edit_cell(nb, grade_id: str, change):
    nb = copy.deepcopy(nb)
    change(nb, cell_index(nb, grade_id))
    return nb


def with_kernel(nb, name: str):
    nb = copy.deepcopy(nb)
    nb.metadata["kernelspec"] = {"display_name": name, "language": name, "name": name}
    return nb
