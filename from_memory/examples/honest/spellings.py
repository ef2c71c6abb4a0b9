"""Changes of one function (see :mod:`from_memory.examples.honest.rewrite`): the same numbers, written otherwise.

Every change here keeps the function's results (to the checker's tolerances) and leaves
a function it has nothing to say about unchanged (returns None).
"""

from __future__ import annotations

import ast

from from_memory.examples.honest import rewrite
from from_memory.examples.honest.loops import LOOPED
from from_memory.examples.styles import ToDotMethod, ToNpMatmul, is_np, restyle

# numpy functions a student may alias or import by name: {numpy name: the student's name}.
NUMPY_NAMES = {
    "dot": "dot", "exp": "exp", "mean": "mean", "abs": "absolute", "zeros_like": "zeros_like",
    "empty": "empty", "flatnonzero": "flatnonzero", "asarray": "asarray",
}
# The lambdas' names (none of them a name the notebooks' own cells assign).
SHORT = {
    "sigmoid": "sig", "sigmoid_output_to_derivative": "sig_slope", "output_error": "miss_of",
    "output_delta": "delta_of", "mean_abs_error": "mae", "direction_changes": "flipped",
    "forward_two_layer": "predict", "alpha_sweep": "sweep_alphas", "hidden_size_sweep": "sweep_sizes",
}
COURSE_STEPS = (
    "sigmoid", "sigmoid_output_to_derivative", "random_synapse", "init_synapses", "forward_two_layer",
    "forward", "output_error", "mean_abs_error", "output_delta", "hidden_delta", "weight_gradients",
    "direction_changes", "train_two_layer", "train", "train_counting_directions", "alpha_sweep",
    "hidden_size_sweep", "total_direction_changes", "iterations_to_reach", "thirteen_line_network",
)


class _NumpyByName(ast.NodeTransformer):
    """``np.exp(...)`` becomes ``exp(...)``; records the names used."""

    def __init__(self):
        self.used = {}

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and is_np(func.value) and func.attr in NUMPY_NAMES:
            self.used[func.attr] = NUMPY_NAMES[func.attr]
            node.func = ast.Name(NUMPY_NAMES[func.attr], ast.Load())
        return node


def _by_name(code: str, top) -> tuple[str, str] | None:
    tree = ast.parse(code)
    names = _NumpyByName()
    tree = names.visit(tree)
    if not names.used:
        return None
    return top(names.used), rewrite.unparsed(tree)


def aliases_at_cell_top(name: str, code: str):
    """``dot = np.dot`` at the top of the cell, ``dot(a, b)`` in the function."""
    return _by_name(code, lambda used: "\n".join(
        f"{mine} = np.{theirs}" for theirs, mine in sorted(used.items())))


def from_numpy_import(name: str, code: str):
    """``from numpy import dot, exp`` at the top of the cell."""
    return _by_name(code, lambda used: "from numpy import " + ", ".join(sorted(set(used.values()))))


class _SigmoidCalls(ast.NodeTransformer):
    """``1 / (1 + np.exp(-(e)))`` becomes ``sig(e)``."""

    found = False

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if (isinstance(node.op, ast.Div) and isinstance(node.left, ast.Constant) and node.left.value == 1
                and isinstance(node.right, ast.BinOp) and isinstance(node.right.op, ast.Add)
                and isinstance(node.right.left, ast.Constant) and node.right.left.value == 1
                and isinstance(node.right.right, ast.Call)
                and isinstance(node.right.right.func, ast.Attribute) and node.right.right.func.attr == "exp"
                and len(node.right.right.args) == 1 and isinstance(node.right.right.args[0], ast.UnaryOp)
                and isinstance(node.right.right.args[0].op, ast.USub)):
            self.found = True
            return ast.Call(ast.Name("sig", ast.Load()), [node.right.right.args[0].operand], [])
        return node


def lambda_at_cell_top(name: str, code: str):
    """A one-line function as a lambda at the top of the cell (``sig = lambda x: ...``), the
    ``def`` calling it; elsewhere the sigmoid's formula through such a lambda."""
    function = rewrite.function_node(code)
    body = rewrite.body_without_docstring(function)
    if len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value is not None:
        short = SHORT.get(name, f"{name}_fn")
        args = ast.unparse(function.args)
        call = ", ".join(rewrite.parameters(code))
        top = f"{short} = lambda {args}: {ast.unparse(body[0].value)}"
        return top, f"def {name}({args}):\n    return {short}({call})\n"
    tree = ast.parse(code)
    calls = _SigmoidCalls()
    tree = calls.visit(tree)
    if not calls.found:
        return None
    return "sig = lambda x: 1 / (1 + np.exp(-x))", rewrite.unparsed(tree)


def _restyled(style: str):
    def change(name: str, code: str):
        new = restyle(code, (style,))
        return None if rewrite.same_code(new, code) else new
    change.__doc__ = f"The demo class's {style!r} restyling."
    return change


matmul_operator = _restyled("matmul_operator")
renamed_locals = _restyled("renamed")


def _transformed(transformer):
    def change(name: str, code: str):
        new = rewrite.unparsed(transformer().visit(ast.parse(code)))
        return None if rewrite.same_code(new, code) else new
    change.__doc__ = transformer.__doc__
    return change


np_matmul = _transformed(ToNpMatmul)
dot_method = _transformed(ToDotMethod)


class _FloatLiterals(ast.NodeTransformer):
    """Integer constants in arithmetic become floats: ``1 / (1 + ...)`` is ``1.0 / (1.0 + ...)``."""

    def visit_BinOp(self, node):
        self.generic_visit(node)
        for side in ("left", "right"):
            value = getattr(node, side)
            if isinstance(value, ast.Constant) and type(value.value) is int:
                setattr(node, side, ast.Constant(float(value.value)))
        return node


float_literals = _transformed(_FloatLiterals)


class _WhileLoops(ast.NodeTransformer):
    """``for j in range(n):`` becomes a counter and ``while j < n:``."""

    def visit_For(self, node):
        self.generic_visit(node)
        it = node.iter
        if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"
                and len(it.args) == 1 and isinstance(node.target, ast.Name) and not node.orelse):
            return node
        counter = "iteration" if node.target.id == "_" else node.target.id
        start = ast.parse(f"{counter} = 0").body[0]
        step = ast.parse(f"{counter} += 1").body[0]
        test = ast.Compare(ast.Name(counter, ast.Load()), [ast.Lt()], [it.args[0]])
        return [start, ast.While(test, [*node.body, step], [])]


def explicit_loops(name: str, code: str):
    """Python loops where numpy does it at once (:data:`LOOPED`); ``while`` for ``for ... range``."""
    if name in LOOPED:
        return LOOPED[name]
    return _transformed(_WhileLoops)(name, code)


def own_helper(name: str, code: str):
    """The work in a helper of the student's own name, ``my_<name>``, which ``<name>`` calls."""
    function = rewrite.function_node(code)
    helper = code.replace(f"def {name}(", f"def my_{name}(", 1)
    call = ", ".join(rewrite.parameters(code))
    return f"{helper}\n\ndef {name}({ast.unparse(function.args)}):\n    return my_{name}({call})\n"


def _called_steps(code: str, name: str) -> list[str]:
    called = [
        node.func.id for node in ast.walk(ast.parse(code))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    ]
    return [c for c in dict.fromkeys(called) if c in COURSE_STEPS and c != name]


def course_named_helpers(name: str, code: str):
    """The earlier steps the function calls, written again in its cell, above it (the same code)."""
    helpers = [rewrite.reference_source(step) for step in _called_steps(code, name)]
    helpers = [h for h in helpers if h]
    if not helpers:
        return None
    return "\n\n".join(helpers) + "\n\n" + code


class _KeywordCalls(ast.NodeTransformer):
    """Calls of course steps with positional arguments pass them by keyword."""

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.args and node.func.id in COURSE_STEPS:
            names = rewrite.reference_parameters(node.func.id)
            if names and len(node.args) <= len(names) and not any(isinstance(a, ast.Starred) for a in node.args):
                node.keywords = [ast.keyword(n, a) for n, a in zip(names, node.args, strict=False)] + node.keywords
                node.args = []
        return node


keyword_calls = _transformed(_KeywordCalls)


class _Prints(ast.NodeTransformer):
    """A print as the function's first line, and one every 1000 iterations of a ``range`` loop."""

    def visit_For(self, node):
        self.generic_visit(node)
        if isinstance(node.iter, ast.Call) and getattr(node.iter.func, "id", "") == "range" \
                and isinstance(node.target, ast.Name):
            t = node.target.id
            node.body.insert(0, ast.parse(f"if {t} % 1000 == 0:\n    print('iteration', {t})").body[0])
        return node


def prints_inside(name: str, code: str):
    """``print`` calls inside the function: on entry, and every 1000 iterations of its loops."""
    tree = _Prints().visit(ast.parse(code))
    function = next(n for n in tree.body if isinstance(n, ast.FunctionDef))
    docstring = len(function.body) - len(rewrite.body_without_docstring(function))
    function.body.insert(docstring, ast.parse(f"print('{name}: working on it')").body[0])
    return rewrite.unparsed(tree)


def numpy_scalars(name: str, code: str):
    """``np.float64`` and ``np.int64`` results where the reference converts to ``float``/``int``."""
    if name == "mean_abs_error":
        return f"def {name}(layer_2_error):\n    return np.mean(np.abs(layer_2_error))\n"
    if name == "iterations_to_reach":
        return (f"def {name}(errors, target):\n    below = np.flatnonzero(np.asarray(errors) < target)\n"
                "    return below[0] if below.size else None\n")
    return None


def zero_d_arrays(name: str, code: str):
    """A 0-d array where the reference returns a number: ``np.asarray(np.mean(...))``."""
    if name == "mean_abs_error":
        return f"def {name}(layer_2_error):\n    return np.asarray(np.mean(np.abs(layer_2_error)))\n"
    return None


def integer_counts(name: str, code: str):
    """Direction changes and their counts in integer arithmetic."""
    if name == "direction_changes":
        return (f"def {name}(weight_update, prev_weight_update):\n"
                "    return np.abs((weight_update > 0).astype(int) - (prev_weight_update > 0).astype(int))\n")
    if name == "train_counting_directions":
        return code.replace("_direction_count = np.zeros_like(synapse_0)",
                            "_direction_count = np.zeros(synapse_0.shape, dtype=int)").replace(
            "_direction_count = np.zeros_like(synapse_1)", "_direction_count = np.zeros(synapse_1.shape, dtype=int)")
    return None
