"""Does the package show its layers: imports one way only, small modules, a kernel side that stays small?"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "from_memory"
LAYERS = ["kernel", "judge", "engine", "course", "examples"]  # each may import only those before it
# Imports against the grain, each made only when it is used: without a grader process (stock
# nbgrader), a hidden test's check has to bring the judge into the kernel; and the CLI, the top
# of everything, runs the demo class.
ALLOWED = {("kernel/__init__.py", "from_memory.judge.local"), ("course/commands.py", "from_memory.examples.")}
MAX_LINES = 420


def modules():
    return sorted(p for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE)


def imported(path: Path) -> set[str]:
    """Every ``from_memory.*`` module a file imports, at its top or inside functions."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return {n for n in names if n.startswith("from_memory.")}


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_module_imports_only_its_own_layer_and_those_below(path):
    layer = LAYERS.index(path.relative_to(PACKAGE).parts[0])
    where = str(path.relative_to(PACKAGE))
    for name in imported(path):
        parts = name.split(".")
        if len(parts) < 2 or parts[1] not in LAYERS:
            continue
        if any(where == w and name.startswith(prefix) for w, prefix in ALLOWED):
            continue
        assert LAYERS.index(parts[1]) <= layer, f"{where} imports {name}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_is_over_a_few_screens(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(PACKAGE)} has {lines} lines"


def test_the_kernel_side_imports_neither_the_judge_nor_the_reference():
    code = (
        "import sys\nimport from_memory.kernel, from_memory.kernel.probe, from_memory.kernel.channel\n"
        "import from_memory.kernel.compare, from_memory.kernel.wire\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('solutions', 'from_memory.judge', "
        "'from_memory.engine', 'from_memory.course', 'nbgrader', 'matplotlib')))\nprint(bad)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


NOTEBOOK_LIBRARIES = ("nbformat", "nbgrader", "nbconvert", "nbclient")
# A layer whose modules import those blocks the slow modules nbformat's import would pull in, when
# it is entered: a package on its import, the engine in its grading module (the engine package
# itself stays free of side effects: the warm template, and so every kernel, imports it). The
# mutation report is a script of its own, run once per `make mutation`; the judge below the
# engine may not import the engine.
UNBLOCKED = {"judge/mutation.py"}
ENTRY = {"engine": "from_memory.engine.grading"}


def imports_a_notebook_library_at_its_top(path: Path) -> bool:
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        else:
            continue
        if any(n.split(".")[0] in NOTEBOOK_LIBRARIES for n in names):
            return True
    return False


def layers_reaching_notebook_libraries() -> list[str]:
    return sorted({p.relative_to(PACKAGE).parts[0] for p in modules()
                   if imports_a_notebook_library_at_its_top(p) and str(p.relative_to(PACKAGE)) not in UNBLOCKED})


def test_the_layers_reaching_notebook_libraries_are_found():
    assert {"engine", "course", "examples"} <= set(layers_reaching_notebook_libraries())


@pytest.mark.parametrize("layer", layers_reaching_notebook_libraries())
def test_a_layer_reaching_notebook_libraries_blocks_their_slow_unused_imports(layer):
    """Entering the layer, then importing nbformat, in a fresh interpreter, loads none of the slow unused modules."""
    from from_memory.engine.environment import SLOW_UNUSED_MODULES

    code = (f"import sys\nimport {ENTRY.get(layer, 'from_memory.' + layer)}\nimport nbformat, jsonschema\n"
            f"print([m for m in {SLOW_UNUSED_MODULES!r} if sys.modules.get(m) is not None])\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
