"""Example submissions, made from the course's own notebooks.

A submission is the release notebook of an assignment with some of its solution
cells filled in. Everything here is a pure function on nbformat notebooks (no
nbgrader run), so tests and the demo class build the same submissions:

    passes_all("ps1_forward")                       # every solution cell holds the reference code
    blank("ps1_forward")                            # the release as handed out
    with_function("ps1_forward", "forward", code)   # passes_all, with one cell replaced
    write_submission(nb, course_root, "ada", "ps1_forward")

Solution cells are named by their nbgrader ``grade_id``: a function's cell by the
function's name (``forward``), a written answer by its own slug (``alpha_answer``).
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]
ASSIGNMENTS = (
    "ps1_forward",
    "ps2_backprop",
    "ps3_alpha",
    "ps4_directions",
    "ps5_hidden",
    "ps6_capstone",
)
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def _path(folder: str, ps: str) -> Path:
    if ps not in ASSIGNMENTS:
        raise ValueError(
            f"unknown assignment {ps!r}; the assignments are: {', '.join(ASSIGNMENTS)}"
        )
    return REPO / folder / ps / f"{ps}.ipynb"


def source_notebook(ps: str) -> nbformat.NotebookNode:
    """The instructor's notebook ``source/<ps>/<ps>.ipynb`` (solutions and hidden tests)."""
    return nbformat.read(_path("source", ps), as_version=4)


def release_notebook(ps: str) -> nbformat.NotebookNode:
    """The students' notebook ``release/<ps>/<ps>.ipynb``, as nbgrader generated it."""
    return nbformat.read(_path("release", ps), as_version=4)


def _solution_cells(nb) -> dict:
    """``{grade_id: cell}`` of the cells students write in."""
    return {
        cell.metadata["nbgrader"]["grade_id"]: cell
        for cell in nb.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }


def solution_code(ps: str) -> dict[str, str]:
    """Each solution cell's content in the source notebook, solution marker lines removed.

    Code cells give the reference function; written answers give the model answer.
    """
    return {
        grade_id: "\n".join(
            line for line in cell.source.splitlines() if line.strip() not in SOLUTION_MARKERS
        )
        for grade_id, cell in _solution_cells(source_notebook(ps)).items()
    }


def fill(release_nb, answers: dict[str, str]) -> nbformat.NotebookNode:
    """A copy of ``release_nb`` whose solution cells named in ``answers`` hold the given text.

    Cells not named keep their stub. Raises ValueError for a name that is not a
    solution cell of the notebook.
    """
    nb = copy.deepcopy(release_nb)
    cells = _solution_cells(nb)
    for grade_id, text in answers.items():
        if grade_id not in cells:
            raise ValueError(
                f"no solution cell {grade_id!r} in this notebook; its solution cells are: "
                f"{', '.join(cells)}"
            )
        cells[grade_id].source = text
    return nb


def blank(ps: str) -> nbformat.NotebookNode:
    """The release notebook, handed in untouched."""
    return release_notebook(ps)


def passes_all(ps: str) -> nbformat.NotebookNode:
    """The release notebook with every solution cell holding the reference solution."""
    return fill(release_notebook(ps), solution_code(ps))


def with_function(ps: str, grade_id: str, code: str) -> nbformat.NotebookNode:
    """:func:`passes_all`, except that solution cell ``grade_id`` holds ``code``."""
    return fill(release_notebook(ps), {**solution_code(ps), grade_id: code})


def write_submission(nb, course_root, student: str, ps: str) -> Path:
    """Write ``nb`` to ``submitted/<student>/<ps>/<ps>.ipynb`` under ``course_root``; return the path."""
    if ps not in ASSIGNMENTS:
        raise ValueError(
            f"unknown assignment {ps!r}; the assignments are: {', '.join(ASSIGNMENTS)}"
        )
    if not student or "/" in student or student.startswith("."):
        raise ValueError(f"student name {student!r} cannot be a folder name")
    path = Path(course_root) / "submitted" / student / ps / f"{ps}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path
