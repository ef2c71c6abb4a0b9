"""The submission factory, and the notebook structure it relies on (no nbgrader runs here)."""

from __future__ import annotations

import ast
import re

import nbformat
import pytest

from from_memory.course import build
from from_memory.examples import submissions
from from_memory.judge import checks

ASSIGNMENTS = submissions.ASSIGNMENTS

# The graded functions of each assignment, in notebook order (their names are fixed by the oracle).
FUNCTIONS = {
    "ps1_forward": ["sigmoid", "init_synapses", "forward_two_layer", "forward"],
    "ps2_backprop": [
        "sigmoid_output_to_derivative",
        "output_error",
        "output_delta",
        "hidden_delta",
        "weight_gradients",
        "train_two_layer",
    ],
    "ps3_alpha": ["mean_abs_error", "train", "alpha_sweep", "plot_error_curves"],
    "ps4_directions": ["direction_changes", "train_counting_directions", "total_direction_changes"],
    "ps5_hidden": ["hidden_size_sweep", "iterations_to_reach", "plot_hidden_sizes"],
    "ps6_capstone": ["thirteen_line_network"],
}
WRITTEN_ANSWERS = {
    "ps3_alpha": ["alpha_answer"],
    "ps4_directions": ["directions_answer"],
    "ps5_hidden": ["hidden_answer"],
}
# The recall drills of each notebook: its solution cells `recall_<function>`, first of all.
DRILLS = {ps: [f"recall_{f}" for f in build.SCHEDULE.get(ps, ())] for ps in ASSIGNMENTS}
# The graded test cells of each notebook, in order: a drill's, then a function's own check,
# except that the capstone's function is graded from four sides (checks.PROPERTIES).
TESTS = {
    ps: [f"test_{d}" for d in DRILLS[ps]]
    + [f"test_{s}" for s in ({**FUNCTIONS, "ps6_capstone": [*checks.PROPERTIES, "thirteen_line_network"]})[ps]]
    for ps in ASSIGNMENTS
}
HIDDEN_BLOCK = re.compile(
    r"\n### BEGIN HIDDEN TESTS\nfrom from_memory\.kernel import check_(\w+); check_(\w+)\((\w+)\)\n"
    r"### END HIDDEN TESTS$"
)
VISIBLE_IMPORT = re.compile(r"^from from_memory\.kernel\.known import (expect|expect_lines)$", re.MULTILINE)


def nbgrader_cells(nb, **flags):
    return [
        cell
        for cell in nb.cells
        if "nbgrader" in cell.metadata
        and all(cell.metadata["nbgrader"].get(k) == v for k, v in flags.items())
    ]


# -- the factory ---------------------------------------------------------------------------------


@pytest.mark.parametrize("ps", ASSIGNMENTS)
def test_solution_code_names_every_function_and_written_answer(ps):
    assert list(submissions.solution_code(ps)) == DRILLS[ps] + FUNCTIONS[ps] + WRITTEN_ANSWERS.get(ps, [])


@pytest.mark.parametrize("ps", ASSIGNMENTS)
def test_solution_code_is_one_marker_free_function_per_cell(ps):
    for grade_id, code in submissions.solution_code(ps).items():
        if grade_id in WRITTEN_ANSWERS.get(ps, []):
            assert len(code.split()) > 40, f"{ps}: the model answer {grade_id} is too short"
            continue
        assert "### BEGIN SOLUTION" not in code
        assert "### END SOLUTION" not in code
        tree = ast.parse(code)
        assert [type(node) for node in tree.body] == [ast.FunctionDef], f"{ps}/{grade_id}"
        assert tree.body[0].name == grade_id.removeprefix("recall_")


def test_passes_all_fills_every_stub_and_blank_fills_none():
    for ps in ASSIGNMENTS:
        filled = nbgrader_cells(submissions.passes_all(ps), solution=True)
        stubs = nbgrader_cells(submissions.blank(ps), solution=True)
        assert not any(
            "YOUR CODE HERE" in c.source or "YOUR ANSWER HERE" in c.source for c in filled
        )
        assert all("YOUR CODE HERE" in c.source or "YOUR ANSWER HERE" in c.source for c in stubs)


def test_fill_changes_only_the_named_cells_of_a_copy():
    release = submissions.release_notebook("ps1_forward")
    before = nbformat.writes(release)
    stub = "def forward(layer_0, synapse_0, synapse_1):\n    pass"
    filled = submissions.fill(release, {"forward": stub})
    assert nbformat.writes(release) == before, "fill must not modify the notebook it is given"
    changed = [
        new.metadata.get("nbgrader", {}).get("grade_id", new.id)
        for old, new in zip(release.cells, filled.cells, strict=True)
        if old.source != new.source
    ]
    assert changed == ["forward"]


def test_fill_rejects_an_unknown_grade_id_by_name():
    with pytest.raises(ValueError, match="'forwrd'"):
        submissions.fill(submissions.release_notebook("ps1_forward"), {"forwrd": "pass"})


def test_fill_rejects_a_test_cell():
    with pytest.raises(ValueError, match="'test_forward'"):
        submissions.fill(submissions.release_notebook("ps1_forward"), {"test_forward": "pass"})


def test_with_function_plants_one_cell_and_keeps_the_rest_correct():
    wrong_sign = "def output_error(layer_2, y):\n    return y - layer_2"
    planted = submissions.with_function("ps2_backprop", "output_error", wrong_sign)
    reference = submissions.passes_all("ps2_backprop")
    differing = [
        cell.metadata["nbgrader"]["grade_id"]
        for cell, ref in zip(planted.cells, reference.cells, strict=True)
        if cell.source != ref.source
    ]
    assert differing == ["output_error"]


def test_an_unknown_assignment_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown assignment 'ps7'"):
        submissions.release_notebook("ps7")


def test_write_submission_writes_where_nbgrader_collects(tmp_path):
    nb = submissions.passes_all("ps6_capstone")
    path = submissions.write_submission(nb, tmp_path, "ada", "ps6_capstone")
    assert path == tmp_path / "submitted" / "ada" / "ps6_capstone" / "ps6_capstone.ipynb"
    assert nbformat.read(path, as_version=4) == nb


def test_write_submission_rejects_a_student_name_that_is_not_a_folder(tmp_path):
    with pytest.raises(ValueError, match="student name"):
        submissions.write_submission(
            submissions.blank("ps1_forward"), tmp_path, "../x", "ps1_forward"
        )


# -- the source notebooks ------------------------------------------------------------------------


@pytest.mark.parametrize("ps", ASSIGNMENTS)
def test_source_notebook_is_clean(ps):
    nb = submissions.source_notebook(ps)
    nbformat.validate(nb)
    assert set(nb.metadata) == {"kernelspec"}
    assert nb.metadata.kernelspec.name == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == []
            assert cell.execution_count is None


@pytest.mark.parametrize("ps", ASSIGNMENTS)
def test_every_function_is_followed_by_its_test_cell(ps):
    nb = submissions.source_notebook(ps)
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    for name in DRILLS[ps] + FUNCTIONS[ps]:
        own_tests = [t for t in TESTS[ps] if t == f"test_{name}" or checks.function_of(t[5:]) == name]
        following = ids[ids.index(name) + 1 : ids.index(name) + 1 + len(own_tests)]
        assert following == own_tests, f"{ps}: {own_tests} should follow {name}"
    grade_ids = [i for i in ids if i]
    assert len(grade_ids) == len(set(grade_ids)), f"{ps}: grade ids must be unique"


@pytest.mark.parametrize("ps", ASSIGNMENTS)
def test_test_cells_end_with_exactly_the_hidden_check_call(ps):
    tests = nbgrader_cells(submissions.source_notebook(ps), grade=True, solution=False)
    assert [c.metadata.nbgrader.grade_id for c in tests] == TESTS[ps]
    for cell in tests:
        meta = cell.metadata.nbgrader
        assert meta.locked
        assert 1 <= meta.points <= 3
        match = HIDDEN_BLOCK.search(cell.source)
        assert match, f"{ps}/{meta.grade_id}: the hidden block is not the one-line check call"
        name = meta.grade_id.removeprefix("test_").removeprefix("recall_")
        assert match.groups() == (name, name, checks.function_of(name))
        assert cell.source[match.start() + 1 :] == build.HIDDEN_BLOCK.format(
            step=name, function=checks.function_of(name)
        )
        if meta.grade_id.startswith("test_recall_"):
            assert meta.points == 1, f"{ps}/{meta.grade_id}: a drill is worth 1 point"


@pytest.mark.parametrize("ps", ASSIGNMENTS)
def test_visible_test_code_is_a_small_case_checked_by_expect_alone(ps):
    for cell in nbgrader_cells(submissions.release_notebook(ps), grade=True, solution=False):
        visible = cell.source
        assert VISIBLE_IMPORT.search(visible), f"{ps}/{cell.metadata.nbgrader.grade_id}"
        assert "expect(" in visible or "expect_lines(" in visible
        # the kit appears only as that import: no checker, no reference
        assert visible.count("from_memory") == 1
        assert "solutions" not in visible
        assert "check_" not in visible
        assert "assert " not in visible


@pytest.mark.parametrize("ps", ASSIGNMENTS)
def test_visible_test_code_lines_are_short(ps):
    for cell in nbgrader_cells(submissions.release_notebook(ps), grade=True, solution=False):
        for line in cell.source.splitlines():
            assert len(line) <= 76, f"{ps}/{cell.metadata.nbgrader.grade_id}: {line!r}"


@pytest.mark.parametrize("ps", ASSIGNMENTS)
def test_graded_parts_are_worth_one_to_three_points(ps):
    graded = nbgrader_cells(submissions.source_notebook(ps), grade=True)
    assert all(1 <= c.metadata.nbgrader.points <= 3 for c in graded)
    written = [c for c in graded if c.cell_type == "markdown"]
    assert [c.metadata.nbgrader.grade_id for c in written] == WRITTEN_ANSWERS.get(ps, [])
    for cell in written:
        assert cell.metadata.nbgrader.solution
        assert not cell.metadata.nbgrader.locked


@pytest.mark.parametrize("ps", ASSIGNMENTS)
def test_setup_cell_defines_the_data_and_the_budget(ps):
    cells = submissions.source_notebook(ps).cells
    (setup,) = [c for c in cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup"]
    assert setup.metadata.nbgrader.locked
    for line in (
        "import os",
        "import numpy as np",
        "ALPHAS = (0.001, 0.01, 0.1, 1, 10, 100, 1000)",
        "HIDDEN_SIZES = (4, 8, 16, 32)",
        'ITERATIONS = int(os.environ.get("FROM_MEMORY_ITERATIONS", "60000"))',
    ):
        assert line in setup.source.splitlines(), f"{ps}: setup lacks {line!r}"
    assert "X = np.array(" in setup.source
    assert "y = np.array(" in setup.source


@pytest.mark.parametrize("ps", ASSIGNMENTS)
def test_provided_code_never_needs_the_kit(ps):
    for cell in submissions.source_notebook(ps).cells:
        if cell.cell_type == "code" and not cell.metadata.get("nbgrader", {}).get("grade"):
            assert "from_memory" not in cell.source
            assert "solutions" not in cell.source
            assert "@signature" not in cell.source
