"""Rewriting a notebook's correct solutions function by function, whichever cell defines them.

A way of writing (:mod:`from_memory.examples.honest.ways`) is a change of one function:
``change(name, code) -> None | code | (top, code)``, where ``code`` is the source of one
top-level ``def`` and ``top`` goes at the top of its cell (an alias, an import). It is
applied to every solution cell that defines a function of that name, so it reaches the
same function in a step's cell and in a "From memory" drill (``recall_<function>``).
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable

from from_memory.examples import submissions

Change = Callable[[str, str], "None | str | tuple[str, str]"]


def functions_of(code: str) -> list[tuple[str, int, int]]:
    """``(name, first line, last line)`` (0-based, inclusive) of each top-level ``def`` of ``code``."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    return [
        (node.name, min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1, node.end_lineno - 1)
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
    ]


def rewrite_cell(code: str, change: Change) -> str | None:
    """``code`` with each of its functions passed through ``change``; None when nothing changed."""
    lines = code.splitlines()
    tops, pieces, last, changed = [], [], 0, False
    for name, first, end in functions_of(code):
        pieces.append("\n".join(lines[last:first]))
        original = "\n".join(lines[first:end + 1]) + "\n"
        new = change(name, original)
        if isinstance(new, tuple):
            top, new = new
            tops.append(top.strip("\n"))
        if new is None or new == original:
            new = original
        else:
            changed = True
        pieces.append(new.rstrip("\n"))
        last = end + 1
    pieces.append("\n".join(lines[last:]))
    if not changed:
        return None
    top = "\n".join(t for t in dict.fromkeys(tops) if t)
    body = "\n".join(p for p in pieces if p is not None).strip("\n")
    return (top + "\n\n\n" if top else "") + body + "\n"


def rewrite_solutions(solutions: dict[str, str], change: Change) -> dict[str, str] | None:
    """``{grade_id: new code}`` of the solution cells ``change`` changes, or None when none."""
    answers = {}
    for grade_id, code in solutions.items():
        new = rewrite_cell(code, change)
        if new is not None:
            answers[grade_id] = new
    return answers or None


def rewritten(ps: str, change: Change) -> dict[str, str] | None:
    """:func:`rewrite_solutions` of ``ps``'s reference solutions (drills included)."""
    return rewrite_solutions(submissions.solution_code(ps), change)


def notebook(ps: str, change: Change):
    """The reference notebook of ``ps`` rewritten by ``change``; None where it changes nothing."""
    answers = rewritten(ps, change)
    if answers is None:
        return None
    return submissions.fill(submissions.passes_all(ps), answers)


# -- small tools for changes -----------------------------------------------------------


def function_node(code: str) -> ast.FunctionDef:
    return next(node for node in ast.parse(code).body if isinstance(node, ast.FunctionDef))


def unparsed(tree) -> str:
    ast.fix_missing_locations(tree)
    return ast.unparse(tree) + "\n"


def same_code(a: str, b: str) -> bool:
    return ast.dump(ast.parse(a)) == ast.dump(ast.parse(b))


def parameters(code: str) -> list[str]:
    return [a.arg for a in function_node(code).args.args]


def body_without_docstring(function: ast.FunctionDef) -> list:
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
            and isinstance(body[0].value.value, str):
        return body[1:]
    return body


def reference_source(name: str) -> str | None:
    """The reference's function ``name`` as a student would write it (no decorator), or None."""
    from solutions import network

    function = getattr(network, name, None)
    if not inspect.isfunction(function):
        return None
    lines = inspect.getsource(function).splitlines()
    return "\n".join(line for line in lines if not line.startswith("@")) + "\n"


def reference_parameters(name: str) -> list[str] | None:
    from solutions import network

    function = getattr(network, name, None)
    return list(inspect.signature(function).parameters) if inspect.isfunction(function) else None
