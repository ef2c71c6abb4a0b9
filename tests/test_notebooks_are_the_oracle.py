"""Is every function in the source notebooks (solutions and provided code) the oracle's own code?

One home for the reference network: the notebooks show the oracle's functions, so the hidden
tests compare students with exactly the code their instructor's solution holds.
"""

import ast
from pathlib import Path

import nbformat
import pytest

from from_memory.judge import mutants

ROOT = Path(__file__).resolve().parents[1]
SOURCE_NOTEBOOKS = sorted(ROOT.glob("source/*/*.ipynb"))
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def code_without_markers(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if line.strip() not in MARKERS)


def functions(notebook_path):
    notebook = nbformat.read(notebook_path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.parse(code_without_markers(cell.source)).body:
            if isinstance(node, ast.FunctionDef):
                yield cell.metadata.get("nbgrader", {}).get("grade_id"), node


def test_there_are_six_source_notebooks():
    assert [p.parent.name for p in SOURCE_NOTEBOOKS] == [
        "ps1_forward", "ps2_backprop", "ps3_alpha", "ps4_directions", "ps5_hidden", "ps6_capstone"]


@pytest.mark.parametrize("path", SOURCE_NOTEBOOKS, ids=lambda p: p.parent.name)
def test_notebook_functions_are_the_oracles_source(path):
    found = list(functions(path))
    assert found, f"{path.name} defines no functions"
    for grade_id, node in found:
        oracle = ast.parse(mutants.oracle_source(node.name)).body[0]
        assert ast.dump(node) == ast.dump(oracle), f"{path.name}: `{node.name}` ({grade_id}) differs from the oracle"


@pytest.mark.parametrize("path", SOURCE_NOTEBOOKS, ids=lambda p: p.parent.name)
def test_each_graded_function_has_a_hidden_check_of_the_same_name(path):
    notebook = nbformat.read(path, as_version=4)
    solutions = {node.name for grade_id, node in functions(path) if grade_id == node.name}
    hidden = "\n".join(c.source for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade"))
    for name in solutions:
        assert f"check_{name}({name})" in hidden, f"{path.name}: no hidden `check_{name}` call"
