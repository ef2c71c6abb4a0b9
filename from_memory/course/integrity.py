"""Integrity around grading: a static scan before execution, a clean re-check after.

Before: :func:`scan` reads the code a student wrote (solution cells and cells they
added; locked cells are restored by nbgrader) and flags what no honest answer to
this course needs: importing the course kit, patching numpy, builtins, the
checker or IPython's error display, stopping the kernel, touching files.

After: :func:`recheck` rebuilds the student's graded functions from the
autograded notebook in a fresh Python process (locked cells run as written;
from the student's cells only definitions, imports and literal constants), grades
them with a pristine checker, and :func:`disagreements` lists each test cell that
passed in the kernel but fails the clean re-check. A patch made inside the
kernel, however clever, cannot reach that process.

``python -m from_memory.course.integrity NOTEBOOK`` prints both as JSON.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

KIT_MODULES = ("solutions", "from_memory", "nbgrader")
KERNEL_STOPPERS = {("os", "_exit"), ("sys", "exit"), ("os", "kill"), ("os", "abort"), ("signal", "signal")}
DISPLAY_HOOKS = {"showtraceback", "_render_traceback_", "excepthook", "set_custom_exc", "InteractiveShell"}
FILE_MODULES = {"shutil", "subprocess", "pathlib", "io", "glob", "tempfile"}
OS_FILE_CALLS = {"remove", "unlink", "rename", "replace", "system", "popen", "open", "chdir", "makedirs", "mkdir",
                 "rmdir", "listdir", "scandir", "walk"}
FILE_METHODS = {"write_text", "write_bytes", "read_text", "read_bytes", "tofile", "unlink", "rmdir", "touch"}
NUMPY_FILE_CALLS = {"load", "save", "savez", "loadtxt", "savetxt", "genfromtxt", "fromfile", "memmap"}
PATCHED_NAMESPACES = {"np", "numpy", "builtins", "__builtins__", "sys", "math", "matplotlib", "plt"}
CHECK_CALL = re.compile(r"check_(\w+)\((\w+)\)")
RECHECK_TIMEOUT = 120  # seconds for re-grading one notebook in a fresh process


@dataclass(frozen=True)
class Flag:
    """One reason a submission needs a person's look; ``where`` is a grade_id or cell number."""

    reason: str
    where: str


def student_cells(notebook):
    """``(where, source)`` of the cells a student wrote: solution cells and cells they added."""
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("locked") or meta.get("grade"):
            continue  # restored from the gradebook by nbgrader at autograde time
        yield meta.get("grade_id") or f"cell {index + 1}", cell.source


def _dotted(node) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def _touches_files(dotted: str) -> bool:
    head, _, last = dotted.rpartition(".")
    root = head.split(".")[0]
    return (
        dotted == "open"
        or root in FILE_MODULES
        or (head == "os" and last in OS_FILE_CALLS)
        or last in FILE_METHODS
        or (root in ("np", "numpy") and last in NUMPY_FILE_CALLS)
    )


def scan_source(source: str, where: str) -> list[Flag]:
    """Flags for one cell's code (IPython magics and shell lines are left out of the parse)."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError as error:
        return [Flag(f"code does not parse: {error.msg} (line {error.lineno})", where)]
    flags = []

    def flag(reason):
        if reason not in {f.reason for f in flags}:
            flags.append(Flag(reason, where))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [alias.name for alias in node.names] + [getattr(node, "module", None) or ""]
            if any(name.split(".")[0] in KIT_MODULES for name in names):
                flag("imports the course kit (the reference solution or the checker)")
            if any(name.split(".")[0] in ("builtins", "ctypes", "gc", "inspect") for name in names):
                flag("imports interpreter internals (builtins, ctypes, gc or inspect)")
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.Delete):
            targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]
            for target in targets:
                dotted = _dotted(target)
                if isinstance(target, ast.Attribute | ast.Subscript) and dotted.split(".")[0] in PATCHED_NAMESPACES:
                    flag(f"changes a library it does not own (`{dotted}`)")
                if isinstance(target, ast.Name) and target.id in ("AssertionError", "print", "isinstance", "type"):
                    flag(f"redefines the built-in `{target.id}`")
        elif isinstance(node, ast.Call):
            dotted = _dotted(node.func)
            head, _, last = dotted.rpartition(".")
            if (head.split(".")[-1], last) in KERNEL_STOPPERS or dotted in ("exit", "quit"):
                flag(f"tries to stop the kernel (`{dotted}`)")
            if last in ("setattr", "delattr") and node.args and _dotted(node.args[0]).split(".")[0] in (
                PATCHED_NAMESPACES | set(KIT_MODULES)
            ):
                flag(f"changes a library it does not own (`{dotted}` on `{_dotted(node.args[0])}`)")
            if last in ("__import__", "import_module", "exec", "eval", "compile"):
                flag(f"runs code built at run time (`{dotted}`)")
            if _touches_files(dotted):
                flag(f"reads, writes or runs files (`{dotted}`)")
            if last == "get_ipython":
                flag("reaches into the IPython kernel (`get_ipython`)")
        elif isinstance(node, ast.Attribute) and node.attr in DISPLAY_HOOKS:
            flag(f"changes how errors are shown (`{_dotted(node)}`)")
        elif isinstance(node, ast.Attribute) and node.attr == "modules" and _dotted(node.value) == "sys":
            flag("edits the table of loaded modules (`sys.modules`)")
    return flags


def scan(notebook) -> list[Flag]:
    """Flags for everything the student wrote in ``notebook`` (a NotebookNode or a path)."""
    if not isinstance(notebook, nbformat.NotebookNode):
        notebook = nbformat.read(str(notebook), as_version=4)
    return [flag for where, source in student_cells(notebook) for flag in scan_source(source, where)]


# -- the clean re-check ---------------------------------------------------------


def _trusted_statements(source: str) -> str:
    """Definitions, imports and literal constants of a student's cell; nothing that runs."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return ""
    keep = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            keep.append(node)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [alias.name for alias in node.names] + [getattr(node, "module", None) or ""]
            if not any(n.split(".")[0] in KIT_MODULES + ("builtins", "ctypes", "gc") for n in names):
                keep.append(node)
        elif isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
            try:
                ast.literal_eval(node.value)
                keep.append(node)
            except ValueError:
                pass
    return ast.unparse(ast.Module(body=keep, type_ignores=[]))


def graded_calls(notebook) -> dict[str, tuple[str, str]]:
    """``{test cell grade_id: (step, name of the function checked)}`` for the test cells that call a check.

    The two differ when one function is graded on several properties
    (``check_thirteen_line_network_learns(thirteen_line_network)``).
    """
    calls = {}
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade"):
            match = CHECK_CALL.search(cell.source)
            if match:
                calls[meta["grade_id"]] = (match.group(1), match.group(2))
    return calls


def graded_steps(notebook) -> dict[str, str]:
    """``{test cell grade_id: step}`` for the test cells that call a check."""
    return {grade_id: step for grade_id, (step, _) in graded_calls(notebook).items()}


def _restore(pristine) -> list[str]:
    """Put back any attribute replaced or deleted since the snapshot; return their names.

    Names added since (numpy loads submodules lazily) cannot change what the checker calls.
    """
    changed = []
    for module, attributes in pristine:
        current = vars(module)
        for name, value in attributes.items():
            if current.get(name) is not value and not name.startswith("__"):
                changed.append(f"{module.__name__}.{name}")
                setattr(module, name, value)
    return changed


def _recheck_here(path: str) -> dict:
    """Run inside the fresh process: the checker is imported before any student code."""
    import builtins

    import matplotlib

    matplotlib.use("Agg")
    import numpy as np

    from from_memory.judge import checks
    from from_memory.kernel import compare

    guarded = (np, builtins, checks, compare)
    pristine = [(module, dict(vars(module))) for module in guarded]
    # No schema validation: it costs seconds per process and the notebook was already graded.
    notebook = nbformat.from_dict(json.loads(Path(path).read_text()))
    for cell in notebook.cells:  # on disk a cell's source may be a list of lines
        cell.source = "".join(cell.source) if isinstance(cell.source, list) else cell.source
    namespace = {"__name__": "__main__"}
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            continue
        code = cell.source if meta.get("locked") else _trusted_statements(cell.source)
        try:
            exec(compile(code, f"<cell {meta.get('grade_id', '')}>", "exec"), namespace)
        except Exception:  # a broken cell leaves its names undefined; the check says so
            continue
    results = {}
    for grade_id, (step, function) in graded_calls(notebook).items():
        verdict = checks.run_step(step, namespace.get(function))
        tampered = _restore(pristine)
        if tampered:
            results[grade_id] = {"passed": False, "message": f"`{step}` changed the grader's tools while being "
                                 f"graded ({', '.join(tampered[:3])})"}
        else:
            results[grade_id] = {"passed": verdict.passed, "message": verdict.message.splitlines()[0]}
    return results


def recheck(path, timeout: float = RECHECK_TIMEOUT) -> dict:
    """Re-grade the notebook at ``path`` in a fresh process: ``{test grade_id: {passed, message}}``."""
    command = [sys.executable, "-m", "from_memory.course.integrity", "--recheck-only", str(Path(path).resolve())]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=Path(path).parent)
    except subprocess.TimeoutExpired:
        return {"*": {"passed": False, "message": f"the clean re-check took over {timeout:.0f} s"}}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"*": {"passed": False, "message": f"the clean re-check failed: {last}"}}
    return json.loads(done.stdout.strip().splitlines()[-1])


def kernel_results(notebook) -> dict[str, bool]:
    """``{test grade_id: passed}`` as the autograder's kernel reported it (no error output = passed)."""
    results = {}
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and meta.get("grade_id") in graded_steps(notebook):
            results[meta["grade_id"]] = not any(o.get("output_type") == "error" for o in cell.get("outputs", []))
    return results


def disagreements(path) -> list[Flag]:
    """Test cells that passed in the kernel but fail the clean re-check, with the re-check's reason."""
    notebook = nbformat.read(str(path), as_version=4)
    clean = recheck(path)
    if "*" in clean:
        return [Flag(clean["*"]["message"], "*")]
    flags = []
    for grade_id, passed in kernel_results(notebook).items():
        again = clean.get(grade_id)
        if passed and again is not None and not again["passed"]:
            flags.append(Flag(f"passed in the notebook but fails a clean re-check: {again['message']}", grade_id))
    return flags


def main(argv=None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--recheck-only"]:
        print(json.dumps(_recheck_here(args[1])))
        return 0
    if len(args) != 1:
        print("usage: python -m from_memory.course.integrity NOTEBOOK", file=sys.stderr)
        return 2
    report = {"scan": [asdict(f) for f in scan(args[0])], "recheck": [asdict(f) for f in disagreements(args[0])]}
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
