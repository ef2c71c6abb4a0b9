"""Hostile and broken submissions of problem set 1, each made by a small factory.

Every case starts from the submission factory (:func:`passes_all` or a notebook whose
four functions are wrong) and makes one edit, named by what it does. ``expected`` is
the outcome the grading pipeline must reach, as data:

* ``graded: S/M``      graded automatically, total score S of M, no flag;
* ``flagged: <text>``  flagged for a person, ``<text>`` a substring of its one-line reason.

A factory takes a :class:`Context` (where the course and the canary folder are) and
returns a notebook, or ``bytes`` for a file that is not a notebook at all.
``CLEAN`` are honest students graded in the same batch as the corpus and alone.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

from from_memory.examples import submissions

PS = "ps1_forward"
MAX = 5  # points of problem set 1: sigmoid 1, init_synapses 1, forward_two_layer 1, forward 2



def _pasted(function: str) -> str:
    """``function`` returning the answer its test cell states for the small case, whatever it is given."""
    from from_memory.course import known_cases

    case = known_cases.CASES[function]
    answer = known_cases.answer(case)
    values = [answer] if not known_cases.result_names(case) else list(answer)
    body = ", ".join(f"np.array({value.tolist()!r})" for value in values)
    parameters = ", ".join(known_cases.parameters(function))
    return f"def {function}({parameters}):\n    return {body}\n"


# Wrong answers that pass every visible check: each returns the numbers its test cell states
# for the small case, pasted in. The hidden tests try fresh inputs: an honest grade is 0/5.
WRONG = {name: _pasted(name) for name in ("sigmoid", "init_synapses", "forward_two_layer", "forward")}


@dataclass(frozen=True)
class Context:
    course: Path  # the temporary course root
    canary: Path  # a folder outside the course that grading must never touch


@dataclass(frozen=True)
class Case:
    name: str  # what the submission does
    expected: str  # "graded: S/M" or "flagged: <reason substring>"
    build: Callable[[Context], nbformat.NotebookNode | bytes]


# -- factories -----------------------------------------------------------------


def correct():
    return submissions.passes_all(PS)


def wrong():
    """Every function wrong, every visible check passing: honestly 0/5."""
    return submissions.fill(submissions.release_notebook(PS), WRONG)


def _cell_index(nb, grade_id):
    for index, cell in enumerate(nb.cells):
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return index
    raise KeyError(grade_id)


def with_code_after(nb, grade_id, code):
    """``nb`` with ``code`` appended to the solution cell ``grade_id`` (runs before its test)."""
    nb = copy.deepcopy(nb)
    cell = nb.cells[_cell_index(nb, grade_id)]
    cell.source = cell.source.rstrip("\n") + "\n\n" + code
    return nb


def with_new_cell(nb, code, metadata=None):
    """``nb`` with a code cell the student added at the very top (before every test cell)."""
    nb = copy.deepcopy(nb)
    cell = nbformat.v4.new_code_cell(code)
    if metadata:
        cell.metadata.update(metadata)
    nb.cells.insert(0, cell)
    return nb


def edit_cell(nb, grade_id, change):
    nb = copy.deepcopy(nb)
    change(nb, _cell_index(nb, grade_id))
    return nb


def _delete(nb, index):
    del nb.cells[index]


def _duplicate(nb, index):
    """Copy a cell as Jupyter does: same content and metadata, a cell id of its own."""
    twin = copy.deepcopy(nb.cells[index])
    twin["id"] = nb.cells[index]["id"] + "-copy"
    nb.cells.insert(index + 1, twin)


def _move_before_its_function(nb, index):
    """Move a test cell up above the solution cell it tests."""
    cell = nb.cells.pop(index)
    nb.cells.insert(index - 1, cell)


def _neuter(nb, index):
    nb.cells[index].source = "pass  # nothing to see here"


def _points(nb, index):
    nb.cells[index].metadata["nbgrader"]["points"] = 100


def _ungraded(nb, index):
    nb.cells[index].metadata["nbgrader"]["grade"] = False


def _unlocked_and_renamed(nb, index):
    meta = nb.cells[index].metadata["nbgrader"]
    meta["grade_id"] = "my_own_cell"
    meta["locked"] = False


def with_kernel(nb, name):
    nb = copy.deepcopy(nb)
    nb.metadata["kernelspec"] = {"display_name": name, "language": name, "name": name}
    return nb


# Patches that make every failing check look passed in the kernel.
ISCLOSE_PATCH = (
    "np.isclose = lambda a, b, **k: np.ones(np.broadcast(a, b).shape, bool)\n"
    "np.allclose = lambda *a, **k: True\n"
)
HIDE_TRACEBACKS = "get_ipython().showtraceback = lambda *a, **k: None\n"
SWALLOW_ASSERTIONS = "get_ipython().set_custom_exc((AssertionError,), lambda *a, **k: None)\n"
FAKE_CHECKER = (
    "import sys, types\n"
    "fake = types.ModuleType('from_memory.judge.checks')\n"
    "def _passes(function):\n"
    "    print(f'`{function.__name__}` matches the reference.')\n"
    "for step in ('sigmoid', 'init_synapses', 'forward_two_layer', 'forward'):\n"
    "    setattr(fake, 'check_' + step, _passes)\n"
    "sys.modules['from_memory.judge.checks'] = fake\n"
)
PATCH_CHECKER = (
    "import from_memory.judge.checks as grader\n"
    "grader.run_step = lambda name, f: grader.Verdict(name, True, 'matches')\n"
)
ASSERTION_ERROR_PATCH = (
    "import builtins\n"
    "class AssertionError(Exception):\n"
    "    pass\n"
    "builtins.AssertionError = AssertionError\n"
)


def _blog_untrained():
    """What the post prints for the untrained network, which a cheat returns as is."""
    from solutions import network

    synapse_0, synapse_1 = network.init_synapses(3, 4, 1)
    layer_1, layer_2 = network.forward(network.X, synapse_0, synapse_1)
    two = network.forward_two_layer(network.X_TWO_LAYER, network.init_synapses(2, 1, 1)[0])
    return synapse_0, synapse_1, layer_1, layer_2, two


def hard_coded(ctx):
    """The post's printed numbers pasted in: right on the post's data, no computation."""
    synapse_0, synapse_1, layer_1, layer_2, two = _blog_untrained()
    lit = lambda a: f"np.array({a.tolist()!r})"
    answers = {
        "init_synapses": (
            f"def init_synapses(n_inputs, hidden_dim, seed=1):\n"
            f"    return {lit(synapse_0)}, {lit(synapse_1)}\n"
        ),
        "forward_two_layer": f"def forward_two_layer(layer_0, synapse_0):\n    return {lit(two)}\n",
        "forward": f"def forward(layer_0, synapse_0, synapse_1):\n    return {lit(layer_1)}, {lit(layer_2)}\n",
    }
    return submissions.fill(correct(), answers)


def writes_outside(ctx):
    code = (
        f"open({str(ctx.canary / 'from-the-kernel.txt')!r}, 'w').write('owned')\n"
        "open('../../../planted.py', 'w').write('print(1)')\n"
    )
    return with_code_after(correct(), "sigmoid", code)


def kills_neighbours(ctx):
    """SIGKILL every other kernel grading this course (found by its working folder)."""
    code = (
        "import os, signal\n"
        "for entry in os.listdir('/proc'):\n"
        "    if entry.isdigit() and int(entry) != os.getpid():\n"
        "        try:\n"
        f"            if os.readlink(f'/proc/{{entry}}/cwd').startswith({str(ctx.course / 'autograded')!r}):\n"
        "                os.kill(int(entry), signal.SIGKILL)\n"
        "        except OSError:\n"
        "            pass\n"
    )
    return with_code_after(correct(), "forward", code)


def edits_the_gradebook(ctx):
    code = (
        "import sqlite3\n"
        "db = sqlite3.connect('../../../gradebook.db')\n"
        "db.execute('UPDATE grade SET manual_score = 0')\n"
        "db.commit()\n"
    )
    return with_code_after(correct(), "sigmoid", code)


CASES = [
    # -- execution: the batch must survive these
    Case(
        "infinite-loop",
        "flagged: timed out",
        lambda ctx: with_code_after(correct(), "forward", "while True:\n    pass\n"),
    ),
    Case(
        "memory-bomb",
        "graded: 5/5",
        lambda ctx: with_code_after(
            correct(), "forward", "hog = [bytearray(10**8) for _ in range(10**4)]\n"
        ),
    ),
    Case(
        "kills-neighbour-kernels", "flagged: tries to stop the kernel (`os.kill`)", kills_neighbours
    ),
    Case(
        "kills-the-grading-worker",
        "flagged: tries to stop the kernel (`os.kill`)",
        lambda ctx: with_code_after(
            correct(), "sigmoid", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n"
        ),
    ),
    Case(
        "os-exit",
        "flagged: kernel died",
        lambda ctx: with_code_after(correct(), "sigmoid", "import os\nos._exit(3)\n"),
    ),
    Case(
        "sys-exit",
        "flagged: tries to stop the kernel (`sys.exit`)",
        lambda ctx: with_code_after(correct(), "sigmoid", "import sys\nsys.exit('bye')\n"),
    ),
    Case(
        "kernel-segfault",
        "flagged: kernel died: killed by SIGSEGV",
        lambda ctx: with_code_after(correct(), "sigmoid", "import ctypes\nctypes.string_at(0)\n"),
    ),
    Case(
        "leaves-a-process-running",
        "flagged: reads, writes or runs files (`subprocess.Popen`)",
        lambda ctx: with_code_after(
            correct(),
            "sigmoid",
            "import subprocess\nsubprocess.Popen(['sleep', '600'], start_new_session=True)\n",
        ),
    ),
    Case(
        "huge-printed-output",
        "graded: 5/5",
        lambda ctx: with_code_after(
            correct(), "sigmoid", "for i in range(200_000):\n    print('spam ' * 20, i)\n"
        ),
    ),
    # -- the test cells and their metadata
    Case(
        "test-cell-deleted",
        "flagged: test cell `test_forward` was deleted",
        lambda ctx: edit_cell(correct(), "test_forward", _delete),
    ),
    Case("pastes-the-stated-answers", "graded: 0/5", lambda ctx: wrong()),
    Case(
        "test-cell-edited-to-pass",
        "graded: 0/5",
        lambda ctx: edit_cell(edit_cell(wrong(), "test_sigmoid", _neuter), "test_forward", _neuter),
    ),
    Case(
        "test-cell-duplicated",
        "flagged: `test_sigmoid` appears 2 times",
        lambda ctx: edit_cell(correct(), "test_sigmoid", _duplicate),
    ),
    Case(
        "test-cells-reordered",
        "flagged: out of order",
        lambda ctx: edit_cell(correct(), "test_forward", _move_before_its_function),
    ),
    Case(
        "test-cell-points-inflated",
        "flagged: metadata of `test_forward` was changed",
        lambda ctx: edit_cell(correct(), "test_forward", _points),
    ),
    Case(
        "test-cell-marked-ungraded",
        "flagged: metadata of `test_sigmoid` was changed",
        lambda ctx: edit_cell(wrong(), "test_sigmoid", _ungraded),
    ),
    Case(
        "test-cell-renamed-and-unlocked",
        "flagged: test cell `test_forward` was deleted",
        lambda ctx: edit_cell(correct(), "test_forward", _unlocked_and_renamed),
    ),
    Case(
        "fake-locked-cell-patching-numpy",
        "flagged: claims to be the instructor's",
        lambda ctx: with_new_cell(
            wrong(),
            "import numpy as np\n" + ISCLOSE_PATCH,
            {
                "nbgrader": {
                    "grade": False,
                    "grade_id": "setup_extra",
                    "locked": True,
                    "schema_version": 3,
                    "solution": False,
                    "task": False,
                }
            },
        ),
    ),
    # -- the file itself
    Case("not-json", "flagged: not valid JSON", lambda ctx: b'{"cells": [ this is not json'),
    Case(
        "json-but-not-a-notebook",
        "flagged: could not be graded",
        lambda ctx: (
            b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code"}]}'
        ),
    ),
    Case("empty-file", "flagged: not valid JSON", lambda ctx: b""),
    Case("wrong-kernel", "graded: 5/5", lambda ctx: with_kernel(correct(), "ir")),
    # -- faking passes in the kernel
    Case(
        "patches-numpy-isclose",
        "flagged: fails a clean re-check",
        lambda ctx: with_code_after(wrong(), "sigmoid", ISCLOSE_PATCH),
    ),
    Case(
        "patches-numpy-while-graded",
        "flagged: changed the grader's tools",
        lambda ctx: submissions.fill(
            wrong(),
            {
                "sigmoid": (
                    "def sigmoid(x):\n    import numpy\n"
                    "    numpy.isclose = lambda a, b, **k: numpy.ones(numpy.broadcast(a, b).shape, bool)\n"
                    "    return 0.5 + 0.0 * x\n"
                )
            },
        ),
    ),
    Case(
        "redefines-assertion-error",
        "flagged: changes a library it does not own (`builtins.AssertionError`)",
        lambda ctx: with_code_after(wrong(), "sigmoid", ASSERTION_ERROR_PATCH),
    ),
    Case(
        "swallows-assertion-errors",
        "flagged: changes how errors are shown (`set_custom_exc`)",
        lambda ctx: with_code_after(wrong(), "sigmoid", SWALLOW_ASSERTIONS),
    ),
    Case(
        "hides-tracebacks",
        "flagged: changes how errors are shown (`showtraceback`)",
        lambda ctx: with_code_after(wrong(), "sigmoid", HIDE_TRACEBACKS),
    ),
    Case(
        "fake-checker-in-sys-modules",
        "flagged: fails a clean re-check",
        lambda ctx: with_code_after(wrong(), "sigmoid", FAKE_CHECKER),
    ),
    Case(
        "patches-checker-attribute",
        "flagged: fails a clean re-check",
        lambda ctx: with_code_after(wrong(), "sigmoid", PATCH_CHECKER),
    ),
    # -- not the student's own work
    Case("hard-coded-blog-outputs", "graded: 1/5", hard_coded),
    Case(
        "imports-solution-module",
        "flagged: imports the course kit",
        lambda ctx: submissions.fill(
            wrong(), {"sigmoid": "from solutions.network import sigmoid\n"}
        ),
    ),
    Case(
        "wraps-solution-module",
        "flagged: fails a clean re-check",
        lambda ctx: submissions.fill(
            wrong(),
            {
                "sigmoid": (
                    "from solutions import network as reference\n"
                    "def sigmoid(x):\n    return reference.sigmoid(x)\n"
                )
            },
        ),
    ),
    Case(
        "reads-course-files",
        "flagged: reads, writes or runs files",
        lambda ctx: with_code_after(
            correct(),
            "sigmoid",
            "hidden = open('../../../source/ps1_forward/ps1_forward.ipynb').read()\n",
        ),
    ),
    Case("writes-outside-submission", "flagged: refused by the sandbox", writes_outside),
    Case(
        "edits-the-gradebook",
        "flagged: refused by the sandbox (OperationalError: attempt to write a readonly database)",
        edits_the_gradebook,
    ),
]

# Honest students: their grades must be the same with and without the corpus in the batch.
CLEAN = {
    "clean-correct": lambda ctx: correct(),
    "clean-blank": lambda ctx: submissions.blank(PS),
    "clean-wrong-sigmoid": lambda ctx: submissions.with_function(
        PS, "sigmoid", "def sigmoid(x):\n    return 1 / (1 + np.exp(x))\n"
    ),
}
