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
