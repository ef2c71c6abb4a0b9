"""Does the static scan flag what no honest answer needs, and spare honest code?"""

import nbformat
import pytest

from from_memory.course import integrity

SCAN_TABLE = [
    ("honest-code-with-str-replace-and-list-remove",
     "def f(x):\n    s = 'a'.replace('a', 'b')\n    items = [1]\n    items.remove(1)\n    return x @ x.T\n", []),
    ("magics-are-fine", "%matplotlib inline\ndef f():\n    pass\n", []),
    ("patches-numpy", "import numpy as np\nnp.isclose = lambda *a, **k: True\n",
     ["changes a library it does not own (`np.isclose`)"]),
    ("patches-numpy-with-setattr", "import numpy\nsetattr(numpy, 'allclose', lambda *a: True)\n",
     ["changes a library it does not own (`setattr` on `numpy`)"]),
    ("imports-the-solution", "from solutions.network import forward\n",
     ["imports the course kit (the reference solution or the checker)"]),
    ("imports-the-checker", "import from_memory.judge.checks as c\n",
     ["imports the course kit (the reference solution or the checker)"]),
    ("exits-the-kernel", "import os\nos._exit(0)\n", ["tries to stop the kernel (`os._exit`)"]),
    ("sys-exit", "import sys\nsys.exit()\n", ["tries to stop the kernel (`sys.exit`)"]),
    ("reads-course-files", "text = open('../../../solutions/network.py').read()\n",
     ["reads, writes or runs files (`open`)"]),
    ("writes-outside", "import pathlib\npathlib.Path('/tmp/x').write_text('hi')\n",
     ["reads, writes or runs files (`write_text`)", "reads, writes or runs files (`pathlib.Path`)"]),
    ("hides-tracebacks", "get_ipython().showtraceback = lambda *a, **k: None\n",
     ["changes how errors are shown (`showtraceback`)", "reaches into the IPython kernel (`get_ipython`)"]),
    ("swaps-modules", "import sys\nsys.modules['from_memory.judge.checks'] = None\n",
     ["edits the table of loaded modules (`sys.modules`)"]),
    ("redefines-assertionerror", "AssertionError = Exception\n", ["redefines the built-in `AssertionError`"]),
    ("builds-code-at-run-time", "exec('import os')\n", ["runs code built at run time (`exec`)"]),
    ("does-not-parse", "def f(:\n", ["code does not parse: invalid syntax (line 1)"]),
]


@pytest.mark.parametrize(("case", "code", "reasons"), SCAN_TABLE, ids=[row[0] for row in SCAN_TABLE])
def test_scan_flags_exactly_what_it_should(case, code, reasons):
    assert [flag.reason for flag in integrity.scan_source(code, case)] == reasons


def _notebook_with(tmp_path, grade_id, code, ps="ps1_forward"):
    """A source notebook (it holds the hidden tests, like an autograded one) with one answer replaced."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    notebook = nbformat.read(root / "source" / ps / f"{ps}.ipynb", as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = code
    path = tmp_path / f"{ps}.ipynb"
    nbformat.write(notebook, path)
    return path


def test_scan_reads_only_what_the_student_wrote(tmp_path):
    path = _notebook_with(tmp_path, "sigmoid", "import numpy as np\nnp.exp = abs\ndef sigmoid(x):\n    return x\n")
    assert [(f.where, f.reason) for f in integrity.scan(path)] == [
        ("sigmoid", "changes a library it does not own (`np.exp`)")]
