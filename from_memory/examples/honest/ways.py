"""Ways of writing a correct notebook: changes of one function, and changes of the notebook.

Each way is a class of behaviour a real student shows; :data:`WAYS` applies each one to
every problem set where it changes something.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

from from_memory.examples import submissions
from from_memory.examples.corpus import cell_index, new_cell, test_cells
from from_memory.examples.honest import rewrite, spellings
from from_memory.examples.styles import dot_operands

CAPSTONE_WITH_HELPERS = (
    "\n\n".join(rewrite.reference_source(n) for n in ("sigmoid", "sigmoid_output_to_derivative", "forward"))
    + '''

def thirteen_line_network(X, y, alpha=0.5, hidden_dim=4, iterations=ITERATIONS, seed=1):
    np.random.seed(seed)
    synapse_0 = 2 * np.random.random((X.shape[1], hidden_dim)) - 1
    synapse_1 = 2 * np.random.random((hidden_dim, 1)) - 1
    for _ in range(iterations):
        layer_1, layer_2 = forward(X, synapse_0, synapse_1)
        layer_2_delta = (layer_2 - y) * sigmoid_output_to_derivative(layer_2)
        layer_1_delta = layer_2_delta.dot(synapse_1.T) * sigmoid_output_to_derivative(layer_1)
        synapse_1 -= alpha * layer_1.T.dot(layer_2_delta)
        synapse_0 -= alpha * X.T.dot(layer_1_delta)
    return synapse_0, synapse_1, layer_2
''')


@dataclass(frozen=True)
class Way:
    name: str
    make: Callable[[str], object]  # problem set -> notebook, or None where it does not apply

    @property
    def description(self) -> str:
        return (self.make.__doc__ or "").strip().splitlines()[0]


def by_function(change) -> Callable[[str], object]:
    def make(ps):
        return rewrite.notebook(ps, change)
    make.__doc__ = change.__doc__
    return make


def course_named_helpers(ps: str):
    """The earlier steps a function calls, written again in its own cell (the capstone: its own
    ``sigmoid``, ``sigmoid_output_to_derivative`` and ``forward``)."""
    if ps == "ps6_capstone":
        return submissions.with_function(ps, "thirteen_line_network", CAPSTONE_WITH_HELPERS)
    return rewrite.notebook(ps, spellings.course_named_helpers)


# -- changes of the notebook ---------------------------------------------------------------


def extra_cells(ps: str):
    """Markdown notes and scratch cells of the student's own after every test cell."""
    nb = submissions.passes_all(ps)
    nb.cells.insert(1, new_cell("markdown", "*My notes: rerun everything before handing in.*", "my-notes"))
    for number, grade_id in enumerate(test_cells(nb)):
        name = grade_id.removeprefix("test_")
        if name not in _defined(nb):
            continue
        at = cell_index(nb, grade_id) + 1
        scratch = (f"# scratch: what does `{name}` take?\n"
                   f"print({name}.__name__, {name}.__code__.co_varnames[:{name}.__code__.co_argcount])\n")
        nb.cells.insert(at, new_cell("markdown", f"Checked `{name}`; on to the next part.", f"note-{number}"))
        nb.cells.insert(at + 1, new_cell("code", scratch, f"scratch-{number}"))
    return nb


def _defined(nb) -> set[str]:
    names = set()
    for cell in nb.cells:
        if cell.cell_type == "code":
            names |= {name for name, _, _ in rewrite.functions_of(cell.source)}
    return names


class _ToMatmulHelper(ast.NodeTransformer):
    """``np.dot(a, b)`` and ``a.dot(b)`` become ``matmul(a, b)``, the student's helper."""

    def visit_Call(self, node):
        self.generic_visit(node)
        operands = dot_operands(node)
        return ast.Call(ast.Name("matmul", ast.Load()), list(operands), []) if operands else node


HELPER_CELL = '''# My helpers, moved up here so that every cell below can use them.
def matmul(a, b):
    """The matrix product, named as I think of it."""
    return np.dot(a, b)


def shapes(*arrays):
    return [np.shape(a) for a in arrays]
'''


def moved_cells(ps: str):
    """A helper cell of the student's own moved up under the setup, used below; the student's
    own cells reordered (a scratch cell, the "try it" text below its code)."""
    nb = rewrite.notebook(ps, spellings._transformed(_ToMatmulHelper)) or submissions.passes_all(ps)
    nb.cells.insert(cell_index(nb, "setup") + 1, new_cell("code", HELPER_CELL, "my-helpers"))
    first_test = next(iter(test_cells(nb)))
    nb.cells.insert(cell_index(nb, first_test) + 1,
                    new_cell("code", "print(shapes(X, y))\n", "my-shapes"))
    free = [i for i, c in enumerate(nb.cells) if "nbgrader" not in c.metadata]
    code = [i for i in free if nb.cells[i].cell_type == "code" and i - 1 in free
            and nb.cells[i - 1].cell_type == "markdown"]
    if code:
        last = code[-1]
        nb.cells[last - 1], nb.cells[last] = nb.cells[last], nb.cells[last - 1]
    return nb


def raising_scratch_cells(ps: str):
    """Scratch cells that raise (a matrix product of the wrong shapes, a name not yet defined)."""
    nb = submissions.passes_all(ps)
    first_test = next(iter(test_cells(nb)))
    nb.cells.insert(cell_index(nb, first_test) + 1, new_cell(
        "code", "# do the shapes line up this way round?\nnp.dot(X, np.zeros((4, 1)))\n", "try-shapes"))
    nb.cells.insert(len(nb.cells), new_cell("code", "print(my_final_answer)\n", "unfinished"))
    return nb


WAYS = [
    Way("aliases-at-cell-top", by_function(spellings.aliases_at_cell_top)),
    Way("from-numpy-import", by_function(spellings.from_numpy_import)),
    Way("lambda-at-cell-top", by_function(spellings.lambda_at_cell_top)),
    Way("matmul-operator", by_function(spellings.matmul_operator)),
    Way("np-matmul", by_function(spellings.np_matmul)),
    Way("dot-method", by_function(spellings.dot_method)),
    Way("explicit-loops", by_function(spellings.explicit_loops)),
    Way("own-helper", by_function(spellings.own_helper)),
    Way("course-named-helpers", course_named_helpers),
    Way("prints-inside", by_function(spellings.prints_inside)),
    Way("extra-cells", extra_cells),
    Way("moved-cells", moved_cells),
    Way("raising-scratch-cells", raising_scratch_cells),
    Way("numpy-scalars", by_function(spellings.numpy_scalars)),
    Way("zero-d-arrays", by_function(spellings.zero_d_arrays)),
    Way("float-literals", by_function(spellings.float_literals)),
    Way("integer-counts", by_function(spellings.integer_counts)),
    Way("renamed-locals", by_function(spellings.renamed_locals)),
    Way("keyword-calls", by_function(spellings.keyword_calls)),
]
