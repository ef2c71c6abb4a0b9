"""Example submissions, made from the course's own notebooks.

A submission is the release notebook of an assignment with some of its solution
cells filled in. Everything here is a pure function on nbformat notebooks (no
nbgrader run), so tests and the demo class build the same submissions:

    passes_all("ps1_forward")                       # every solution cell holds the reference code
    blank("ps1_forward")                            # the release as handed out
    with_function("ps1_forward", "forward", code)   # passes_all, with one cell replaced
    with_wrong_values("ps2_backprop", ["hidden_delta"])  # those functions return a wrong number
    write_submission(nb, course_root, "ada", "ps1_forward")

Solution cells are named by their nbgrader ``grade_id``: a function's cell by the
function's name (``forward``), a recall drill's cell by ``recall_<function>``
(``recall_forward``), a written answer by its own slug (``alpha_answer``).
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


# Appended to a solution cell: its function, right but for the first number of its result.
WRONG_VALUE = '''

_right_{name} = {name}


def {name}(*args, **kwargs):
    """`{name}`, with the first number of its result moved by 1."""
    return _moved_by_one(_right_{name}(*args, **kwargs))


def _moved_by_one(result):
    if isinstance(result, tuple):
        return (_moved_by_one(result[0]), *result[1:])
    if isinstance(result, dict):
        first = next(iter(result))
        return {{**result, first: _moved_by_one(result[first])}}
    if hasattr(result, "axes"):  # a figure: its first line, one higher
        line = result.axes[0].get_lines()[0]
        line.set_ydata(np.asarray(line.get_ydata(), dtype=float) + 1)
        return result
    if isinstance(result, np.ndarray):
        moved = result.astype(float)
        moved.flat[0] += 1
        return moved
    return result + 1
'''


def function_of_cell(grade_id: str) -> str:
    """The function a solution cell defines: ``recall_forward`` and ``forward`` both define ``forward``."""
    return grade_id.removeprefix("recall_")


def with_wrong_values(ps: str, grade_ids) -> nbformat.NotebookNode:
    """:func:`passes_all`, except that the functions of cells ``grade_ids`` return a wrong value.

    Each stays the reference, wrapped so that the first number of its result is moved by 1:
    the smallest wrong answer, the same for every kind of step (arrays, tuples, dicts,
    numbers, figures).
    """
    code = solution_code(ps)
    for grade_id in grade_ids:
        code[grade_id] += WRONG_VALUE.format(name=function_of_cell(grade_id))
    return fill(release_notebook(ps), code)


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
