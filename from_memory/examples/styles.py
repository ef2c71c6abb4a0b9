"""Spellings of the same numpy: rewrites of a correct solution that keep its behaviour.

The demo class's ``messy`` students (:mod:`from_memory.examples.demo_class`) and the honest
corpus (:mod:`from_memory.examples.honest`) write the reference's code as other students
would: ``a @ b``, ``np.dot(a, b)``, ``a.dot(b)``, ``np.matmul``, ``np.transpose(a)``, other
local names, comments, prints. Each rewrite works on the syntax tree, so the result is the
same computation, spelled differently.
"""

from __future__ import annotations

import ast
import re

# Ways a correct solution can be written differently (see :func:`restyle`).
STYLES = (
    "matmul_operator",
    "np_dot",
    "np_transpose",
    "renamed",
    "commented",
    "printing",
    "helper_cell",
)



HELPER_CELL = """\
# My scratch cell: shapes of things, to check my matrix products as I go.
import numpy as np


def shapes(*arrays):
    return [np.shape(a) for a in arrays]


print(shapes(np.zeros((4, 3)), np.zeros((3, 4))), "->", np.shape(np.zeros((4, 3)) @ np.zeros((3, 4))))
"""


def restyle(code: str, styles: tuple[str, ...]) -> str:
    """``code`` rewritten in ``styles``; every style keeps the behaviour (see :data:`STYLES`)."""
    unknown = [s for s in styles if s not in STYLES]
    if unknown:
        raise ValueError(f"unknown style {unknown[0]!r} (known: {', '.join(STYLES)})")
    tree = ast.parse(code)
    if "matmul_operator" in styles:
        tree = _ToMatmul().visit(tree)
    if "np_dot" in styles:
        tree = _ToNpDot().visit(tree)
    if "np_transpose" in styles:
        tree = _ToNpTranspose().visit(tree)
    if "renamed" in styles:
        for function in [n for n in tree.body if isinstance(n, ast.FunctionDef)]:
            _rename_locals(function)
    ast.fix_missing_locations(tree)
    text = ast.unparse(tree) + "\n"
    functions = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    if "commented" in styles:
        text = _add_comments(text, functions)
    if "printing" in styles:
        text += "".join(f'\nprint("{name} is defined, trying it next")\n' for name in functions)
    return text


def dot_operands(node):
    """``(a, b)`` when the call ``node`` is ``np.dot(a, b)`` or ``a.dot(b)``; None otherwise."""
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr == "dot") or node.keywords:
        return None
    args = node.args if is_np(func.value) else [func.value, *node.args]
    return tuple(args) if len(args) == 2 else None


class _ToMatmul(ast.NodeTransformer):
    """``np.dot(a, b)`` and ``a.dot(b)`` become ``a @ b``."""

    def visit_Call(self, node):
        self.generic_visit(node)
        operands = dot_operands(node)
        return ast.BinOp(operands[0], ast.MatMult(), operands[1]) if operands else node


class _ToNpDot(ast.NodeTransformer):
    """``a.dot(b)`` and ``a @ b`` become ``np.dot(a, b)``."""

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "dot"
            and not is_np(func.value)
            and len(node.args) == 1
            and not node.keywords
        ):
            return np_call("dot", func.value, node.args[0])
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.MatMult):
            return np_call("dot", node.left, node.right)
        return node


class _ToNpTranspose(ast.NodeTransformer):
    """``a.T`` becomes ``np.transpose(a)``."""

    def visit_Attribute(self, node):
        self.generic_visit(node)
        if node.attr == "T" and isinstance(node.ctx, ast.Load):
            function = ast.Attribute(ast.Name("np", ast.Load()), "transpose", ast.Load())
            return ast.Call(function, [node.value], [])
        return node


def is_np(node) -> bool:
    return isinstance(node, ast.Name) and node.id == "np"


# Whole-word replacements, tried in order, to make a student's own local names.
_SHORTER = (
    ("weight_update", "step"),
    ("direction_count", "flips"),
    ("derivative", "grad"),
    ("synapse_", "w"),
    ("layer_", "l"),
    ("error", "err"),
    ("delta", "d"),
    ("prev_", "last_"),
    ("hidden_", "h_"),
)


_PREFERRED = {
    "j": "iteration",
    "i": "k",
    "alpha": "rate",
    "size": "width",
    "fig": "figure",
    "ax": "axes",
}


def _rename_locals(function: ast.FunctionDef) -> None:
    """Give the function's local variables other names (parameters keep theirs)."""
    parameters = {
        a.arg for a in function.args.args + function.args.kwonlyargs + function.args.posonlyargs
    }
    declared = {
        name
        for node in ast.walk(function)
        if isinstance(node, ast.Global | ast.Nonlocal)
        for name in node.names
    }
    names = [node for node in ast.walk(function) if isinstance(node, ast.Name)]
    assigned = {n.id for n in names if isinstance(n.ctx, ast.Store)}
    taken = {n.id for n in names} | parameters
    renames = {}
    for name in sorted(assigned - parameters - declared):
        if name.startswith("_"):
            continue
        new = name
        for old, short in _SHORTER:
            new = new.replace(old, short)
        if new == name:
            new = _PREFERRED.get(name, f"my_{name}")
        while new in taken or new in renames.values():
            new += "_"
        renames[name] = new
    for node in names:
        if node.id in renames:
            node.id = renames[node.id]


def _add_comments(text: str, functions: list[str]) -> str:
    """A comment above the cell, above each loop and each return, and one trailing comment."""
    lines = [
        f"# {', '.join(functions) or 'my code'}: written from memory, then checked against the post"
    ]
    for line in text.splitlines():
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if stripped.startswith("return "):
            lines.append(f"{indent}# hand back what the next step needs")
        elif stripped.startswith("for "):
            lines.append(f"{indent}# the training loop: one pass over the data each time round")
        if re.match(r"\w+ = np\.zeros", stripped):
            line += "  # start from nothing"
        lines.append(line)
    return "\n".join(lines) + "\n"


class ToNpMatmul(ast.NodeTransformer):
    """``np.dot(a, b)``, ``a.dot(b)`` and ``a @ b`` become ``np.matmul(a, b)``."""

    def visit_Call(self, node):
        self.generic_visit(node)
        operands = dot_operands(node)
        return np_call("matmul", *operands) if operands else node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        return np_call("matmul", node.left, node.right) if isinstance(node.op, ast.MatMult) else node


class ToDotMethod(ast.NodeTransformer):
    """``np.dot(a, b)`` becomes ``a.dot(b)``."""

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "dot" and is_np(func.value) and len(node.args) == 2:
            return ast.Call(ast.Attribute(node.args[0], "dot", ast.Load()), [node.args[1]], [])
        return node


def np_call(attr: str, *args):
    return ast.Call(ast.Attribute(ast.Name("np", ast.Load()), attr, ast.Load()), list(args), [])
