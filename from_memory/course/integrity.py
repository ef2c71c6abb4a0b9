"""A static scan of what a student wrote: what no honest answer to this course needs.

:func:`scan` reads the code a student wrote (solution cells and cells they added;
locked cells are restored by nbgrader) and flags importing the course kit, patching
numpy, builtins, the checker or IPython's error display, stopping the kernel, and
touching files. It decides no grade: verdicts are reached outside the kernel (see
:mod:`from_memory.engine.execute`), so these flags only ask a person to look.

``python -m from_memory.course.integrity NOTEBOOK`` prints the flags as JSON.
"""

from __future__ import annotations

import ast
import json
import sys
from dataclasses import asdict, dataclass

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
RECHECK_TIMEOUT = 300  # seconds (of the course's ParallelAutograde.clock) to re-grade one notebook
MEMORY_MB = 4096  # address space of a kernel that re-grades a notebook


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


def main(argv=None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m from_memory.course.integrity NOTEBOOK", file=sys.stderr)
        return 2
    print(json.dumps([asdict(f) for f in scan(args[0])], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
