"""Write the generated parts of the source notebooks: ``make source``.

``python -m from_memory.course.build`` rewrites ``source/<ps>/<ps>.ipynb`` in place;
``--check`` only says which notebooks are out of date (exit 1). Running it twice
changes nothing. What it writes, from the reference network and the tables here:

* the grading note, and the setup cell (the post's data and settings);
* the section "From memory" that opens every problem set from ps2 on: per function
  of :data:`SCHEDULE`, its contract (:mod:`~from_memory.course.contracts`), a blank
  solution cell ``recall_<function>`` and its test cell ``test_recall_<function>``;
* the provided read-only code: the earlier functions the notebook needs and does not
  ask for (they call the student's recalled ones);
* each new function's task (its contract), solution cell (the reference's own source)
  and test cells (a small case with its answer, :mod:`~from_memory.course.known_cases`,
  then the hidden line :data:`HIDDEN_LINE`).

Everything else is written by hand and kept: the explanations (the math), the
experiments, the questions.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import sys
from pathlib import Path

import nbformat

from from_memory.course import contracts, known_cases
from from_memory.judge import checks, mutants
from solutions import network, plots

REPO = Path(__file__).resolve().parents[2]
ASSIGNMENTS = ("ps1_forward", "ps2_backprop", "ps3_alpha", "ps4_directions", "ps5_hidden", "ps6_capstone")
RECALL = "recall_"
TEST = "test_"
HIDDEN_LINE = "from from_memory.kernel import check_{step}; check_{step}({function})"
HIDDEN_BLOCK = "### BEGIN HIDDEN TESTS\n" + HIDDEN_LINE + "\n### END HIDDEN TESTS"
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")

# The recall drills: the functions each problem set asks for again, from memory, in
# dependency order. Every step of the network comes back twice or more before the
# capstone, each time in a later set; the loop of ps4 is rebuilt from its pieces in ps5.
SCHEDULE = {
    "ps2_backprop": ("sigmoid", "init_synapses", "forward"),
    "ps3_alpha": ("sigmoid_output_to_derivative", "output_error", "output_delta", "hidden_delta",
                  "weight_gradients"),
    "ps4_directions": ("sigmoid", "init_synapses", "forward", "mean_abs_error"),
    "ps5_hidden": ("sigmoid", "sigmoid_output_to_derivative", "init_synapses", "forward", "output_delta",
                   "hidden_delta", "weight_gradients", "direction_changes", "train_counting_directions"),
    "ps6_capstone": ("output_error", "mean_abs_error", "direction_changes"),
}
# What each setup cell holds beyond the post's dataset and settings.
TWO_LAYER_DATA = {"ps1_forward", "ps2_backprop"}
PLOTS = {"ps3_alpha", "ps5_hidden"}
PROGRESS = {"ps3_alpha", "ps5_hidden"}
NO_HELPER = {"ps6_capstone"}  # the capstone draws its weights itself
BLANK = {"thirteen_line_network"}  # new functions whose cell starts blank, not at its `def`
ORACLE_ORDER = [  # the course's functions, in the reference's order
    name for module in (network, plots) for name, value in vars(module).items()
    if inspect.isfunction(value) and value.__module__ == module.__name__
]


def introduced_in(function: str) -> str:
    """The problem set whose source notebook first asks for ``function``."""
    for ps in ASSIGNMENTS:
        if function in new_functions(read(ps)):
            return ps
    raise KeyError(function)


def schedule_table() -> str:
    """The drill schedule as the README shows it: per step, where it is introduced and recalled."""
    rows = ["| function | written in | recalled from memory in |", "|---|---|---|"]
    drilled = [f for f in ORACLE_ORDER if any(f in drills for drills in SCHEDULE.values())]
    for function in drilled:
        recalled = ", ".join(ps.split("_")[0] for ps, drills in SCHEDULE.items() if function in drills)
        rows.append(f"| `{function}` | {introduced_in(function).split('_')[0]} | {recalled} |")
    return "\n".join(rows)


def course_table() -> str:
    """The problem sets as the README shows them: drills, new work, graded cells and points."""
    rows = ["| assignment | first, from memory (1 point each) | then students write | graded cells | points |",
            "|---|---|---|---|---|"]
    for ps in ASSIGNMENTS:
        nb = read(ps)
        drills = SCHEDULE.get(ps, ())
        graded = [meta(c) for c in nb.cells if meta(c).get("grade")]
        written = sum(1 for c in nb.cells if c.cell_type == "markdown" and meta(c).get("grade"))
        new = [f"`{f}`" + (", from a blank cell" if f in BLANK else "") for f in new_functions(nb)]
        new += ["a written answer"] * written
        cells = f"{len(drills)} + {len(graded) - len(drills)}" if drills else str(len(graded))
        points = sum(m.get("points", 0) for m in graded)
        rows.append(f"| `{ps}` | {', '.join(f'`{d}`' for d in drills)} | {', '.join(new)} | {cells} | {points:g} |")
    return "\n".join(rows)


# -- reading and writing ---------------------------------------------------------


def path(ps: str, root: Path = REPO) -> Path:
    return root / "source" / ps / f"{ps}.ipynb"


def read(ps: str, root: Path = REPO):
    return nbformat.read(path(ps, root), as_version=4)


def text(nb) -> str:
    return nbformat.writes(nb) + "\n"


def meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def new_functions(nb) -> list[str]:
    """Functions the notebook introduces: its solution code cells named by a function."""
    return [meta(c)["grade_id"] for c in nb.cells
            if c.cell_type == "code" and meta(c).get("solution") and meta(c)["grade_id"] in ORACLE_ORDER]


# -- cells -----------------------------------------------------------------------


def _nbgrader(grade_id: str, *, solution=False, grade=False, locked=False, points=None) -> dict:
    data = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        data["points"] = points
    return {"nbgrader": data}


def markdown(cell_id: str, source: str):
    cell = nbformat.v4.new_markdown_cell(source)
    cell["id"] = cell_id
    return cell


def code(cell_id: str, source: str, metadata: dict | None = None):
    cell = nbformat.v4.new_code_cell(source)
    cell["id"] = cell_id
    cell.metadata = metadata or {}
    return cell


def solution_source(function: str, blank: bool) -> str:
    """The reference's source between solution markers: all of it, or all but the ``def`` line."""
    source = mutants.oracle_source(function).rstrip("\n")
    if blank:
        return f"{MARKERS[0]}\n{source}\n{MARKERS[1]}"
    head, _, body = source.partition("\n")
    return f"{head}\n    {MARKERS[0]}\n{body}\n    {MARKERS[1]}"


def test_source(step: str) -> str:
    hidden = HIDDEN_BLOCK.format(step=step, function=checks.function_of(step))
    return f"{known_cases.visible_code(step)}\n\n{hidden}"


def step_of(test_grade_id: str) -> str:
    """The check a test cell calls: ``test_recall_forward`` and ``test_forward`` both call ``forward``."""
    return check_step(test_grade_id.removeprefix(TEST))


def check_step(graded: str) -> str:
    """The check of a graded part named by its test cell: ``recall_forward`` is graded as ``forward``."""
    return graded.removeprefix(RECALL)


def calls(function: str) -> list[str]:
    """The course functions ``function``'s reference calls (directly), in course order."""
    tree = ast.parse(mutants.oracle_source(function))
    loads = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return [name for name in ORACLE_ORDER if name in loads and name != function]


def _rows(array, indent: int) -> str:
    return (",\n" + " " * indent).join(str(row) for row in array.tolist())


def setup_source(ps: str) -> str:
    lines = ["import os", "", "import numpy as np"]
    if ps in PLOTS:
        lines.append("import matplotlib.pyplot as plt")
    lines += [
        "",
        "# The post's dataset: 4 examples (rows) of 3 inputs; the last input is always 1.",
        f"X = np.array([{_rows(network.X, 14)}])",
        "# The target output of each example, as a column: shape (4, 1).",
        f"y = np.array([{network.y.T.tolist()[0]}]).T",
    ]
    if ps in TWO_LAYER_DATA:
        lines += ["", "# The post's first, easier dataset (2 inputs), for the network without a hidden layer.",
                  f"X_TWO_LAYER = np.array([{_rows(network.X_TWO_LAYER, 24)}])",
                  f"y_TWO_LAYER = np.array([{network.y_TWO_LAYER.T.tolist()[0]}]).T"]
    lines += [
        "",
        f"ALPHAS = {network.ALPHAS}",
        f"HIDDEN_SIZES = {network.HIDDEN_SIZES}",
        "",
        "# Training iterations of the experiments. You run the post's full experiment (60 000);",
        "# the autograder lowers this budget (nbgrader_config.py sets it to 3000) so grading stays fast.",
        'ITERATIONS = int(os.environ.get("FROM_MEMORY_ITERATIONS", "60000"))',
    ]
    if ps in PROGRESS:
        lines += ["# The experiments print each run's error six times: every 10 000 iterations at the",
                  "# post's budget, as the post does, and every 500 at the autograder's.",
                  "REPORT_EVERY = max(1, ITERATIONS // 6)"]
    if ps not in NO_HELPER:
        lines += ["", "", "# The post's way of drawing random starting weights (problem set 1).",
                  mutants.oracle_source("random_synapse").rstrip("\n")]
    return "\n".join(lines)


def example_failure() -> str:
    """What the seed notebook's precedence bug makes the small case of `hidden_delta` show."""
    from from_memory.kernel.compare import StepFailed
    from from_memory.kernel.known import expect

    case = known_cases.CASES["hidden_delta"]
    bug = next(m for m in mutants.CATALOG if m.slug == "hidden_delta__precedence")
    try:
        expect(bug.function, known_cases.call_values(case), known_cases.answer(case).tolist())
    except StepFailed as failure:
        return "\n".join("    " + line for line in failure._render_traceback_()[:-1])
    raise AssertionError("the small case of `hidden_delta` misses the seed notebook's bug")


def how_graded() -> str:
    return f"""\
**How this notebook is graded.** Every function you write is followed by a test cell. Its
visible part runs your function on one small case and compares the result with the answer
of the reference network, so running the cell (or *Validate*) tells you straight away
whether your function is right there, and where it differs:

{example_failure()}

When you submit, hidden tests compare each function with the reference on fresh inputs of
other sizes, and grade it on its own: a function that calls a wrong one of yours is graded
with the reference's version in its place. Results are numpy arrays of float64 (numpy's
default; integers where a step counts) or plain numbers: a float32 result, a list, or an
object of a class of your own is graded as wrong, with a message saying why. A function must
leave the arrays it is given as they were. Keep the function names and arguments exactly as
given, and don't add or delete cells. Before you submit, run *Kernel → Restart & Run All*
and check that nothing fails."""


def recall_intro(ps: str, drills: tuple) -> str:
    sets = sorted({introduced_in(f)[2] for f in drills})
    where = f"problem set {sets[0]}" if len(sets) == 1 else (
        f"problem sets {', '.join(sets[:-1])} and {sets[-1]}")
    return f"""\
## From memory ({len(drills)} points)

First, write again {len(drills)} functions of {where}, from memory: don't open your
old notebooks or the post. Each cell below says what its function takes and returns; the
code is yours to recall, in a blank cell. The post's one recommendation is to rebuild the
network from memory, and recalling a function, more than reading it again, is what makes it
stick. Each function is worth 1 point; the rest of this notebook uses yours."""


def drill_cells(ps: str) -> list:
    drills = SCHEDULE.get(ps, ())
    if not drills:
        return []
    cells = [markdown("recall-intro", recall_intro(ps, drills))]
    for index, function in enumerate(drills):
        earlier = [f for f in drills[:index] if f in calls(function)]
        origin = introduced_in(function)[2]
        statement = contracts.render(function, may_call=earlier, lead="Write")
        cells += [
            markdown(f"recall-{function.replace('_', '-')}",
                     f"### `{function}` (problem set {origin}, 1 point)\n\n{statement}"),
            code(RECALL + function, solution_source(function, blank=True),
                 _nbgrader(RECALL + function, solution=True)),
            code(TEST + RECALL + function, test_source(function),
                 _nbgrader(TEST + RECALL + function, grade=True, locked=True, points=1)),
        ]
    return cells


def _code_without_markers(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if line.strip() not in MARKERS)


def needed(nb, defined: set) -> list[str]:
    """Course functions the notebook's code uses, directly or through the reference, not defined in it."""
    names = set()
    for cell in nb.cells:
        if cell.cell_type == "code":
            tree = ast.parse(_code_without_markers(cell.source))
            names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    todo = [n for n in names if n in ORACLE_ORDER]
    seen = set()
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += calls(name)
    return [name for name in ORACLE_ORDER if name in seen - defined]


def provided_cells(nb, ps: str) -> list:
    defined = set(new_functions(nb)) | set(SCHEDULE.get(ps, ())) | helpers(ps)
    functions = needed(nb, defined)
    if not functions:
        return []
    listing = ", ".join(f"`{f}`" for f in functions)
    intro = (f"## Provided (read-only)\n\nThe functions of earlier problem sets that this one needs and "
             f"does not ask you to recall: {listing}. Run the cell; they call your functions above.")
    body = "\n\n\n".join(mutants.oracle_source(f).rstrip("\n") for f in functions)
    source = "# Provided: functions from earlier problem sets (read-only).\n\n" + body
    return [markdown("provided-intro", intro),
            code("provided", source, _nbgrader("provided", locked=True))]


GENERATED = ("how-graded", "recall-", RECALL, TEST + RECALL, "provided", "task-")


def _generated(cell) -> bool:
    return str(cell.get("id", "")).startswith(GENERATED)


def helpers(ps: str) -> set:
    """Functions the setup cell defines."""
    return set() if ps in NO_HELPER else {"random_synapse"}


def build(ps: str, nb):
    """The notebook ``nb`` of ``ps`` with every generated part written anew."""
    cells = [c for c in nb.cells if not _generated(c)]
    setup_at = next(i for i, c in enumerate(cells) if meta(c).get("grade_id") == "setup")
    title, *setup_intro = cells[:setup_at]
    head = [title, markdown("how-graded", how_graded()), *setup_intro,
            code("setup", setup_source(ps), _nbgrader("setup", locked=True)), *drill_cells(ps)]
    body = []
    for cell in cells[setup_at + 1:]:
        grade_id = meta(cell).get("grade_id", "")
        if cell.cell_type == "code" and meta(cell).get("solution") and grade_id in ORACLE_ORDER:
            may_call = [f for f in calls(grade_id) if f not in helpers(ps)]
            body.append(markdown(f"task-{grade_id.replace('_', '-')}",
                                 contracts.render(grade_id, may_call=may_call)))
            cell.source = solution_source(grade_id, blank=grade_id in BLANK)
        elif cell.cell_type == "code" and meta(cell).get("grade") and grade_id.startswith(TEST):
            cell.source = test_source(step_of(grade_id))
        body.append(cell)
    out = nbformat.v4.new_notebook(metadata=nb.metadata)
    out.cells = head + body
    out.cells = head + provided_cells(out, ps) + body
    return out


def build_all(root: Path = REPO, check: bool = False) -> list[str]:
    """Rebuild every source notebook (or, with ``check``, only compare); return the stale ones."""
    stale = []
    for ps in ASSIGNMENTS:
        before = path(ps, root).read_text(encoding="utf-8")
        after = text(build(ps, read(ps, root)))
        if after != before:
            stale.append(ps)
            if not check:
                path(ps, root).write_text(after, encoding="utf-8")
    return stale


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m from_memory.course.build", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only report stale notebooks (exit 1 if any)")
    args = parser.parse_args(argv)
    stale = build_all(check=args.check)
    verb = "out of date" if args.check else "rewritten"
    print(f"{verb}: {', '.join(stale)}" if stale else "source notebooks are up to date")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
