"""Sabotage: submissions that attack the batch, the notebook's structure or the checker in the kernel.

Every case starts from a right notebook (:func:`correct`) or one whose four functions are
wrong (:func:`wrong`, honestly 0/5) and makes one edit, named by what it does:

* execution: infinite loops, memory bombs, killing kernels or the grading worker, exits,
  segfaults, processes left running, floods of output; the batch must survive them;
* structure: test cells deleted, edited, duplicated, moved, re-weighted, unlocked; cells
  that claim to be the instructor's; files that are not notebooks;
* the checker in the kernel: numpy's comparisons patched, ``AssertionError`` redefined,
  errors swallowed or hidden, a fake checker module. Verdicts are made outside the
  kernel, so none of them changes a score; the static scan flags each;
* not the student's own work: the post's numbers pasted in, the kit imported or read.
"""

from __future__ import annotations

import copy

from from_memory.examples import submissions
from from_memory.examples.corpus import Case, edit_cell, with_code_after, with_kernel, with_new_cell
from from_memory.examples.hostile.base import PS, correct, wrong


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

    def lit(a):
        return f"np.array({a.tolist()!r})"

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
        "graded: 0/5, flagged: claims to be the instructor's",
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
        "graded: 0/5, flagged: changes a library it does not own (`np.isclose`)",
        lambda ctx: with_code_after(wrong(), "sigmoid", ISCLOSE_PATCH),
    ),
    Case(
        "patches-numpy-while-graded",
        "graded: 0/5, flagged: changes a library it does not own (`numpy.isclose`)",
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
        "graded: 0/5, flagged: changes a library it does not own (`builtins.AssertionError`)",
        lambda ctx: with_code_after(wrong(), "sigmoid", ASSERTION_ERROR_PATCH),
    ),
    Case(
        "swallows-assertion-errors",
        "graded: 0/5, flagged: changes how errors are shown (`set_custom_exc`)",
        lambda ctx: with_code_after(wrong(), "sigmoid", SWALLOW_ASSERTIONS),
    ),
    Case(
        "hides-tracebacks",
        "graded: 0/5, flagged: changes how errors are shown (`showtraceback`)",
        lambda ctx: with_code_after(wrong(), "sigmoid", HIDE_TRACEBACKS),
    ),
    Case(
        "fake-checker-in-sys-modules",
        "graded: 0/5, flagged: edits the table of loaded modules (`sys.modules`)",
        lambda ctx: with_code_after(wrong(), "sigmoid", FAKE_CHECKER),
    ),
    Case(
        "patches-checker-attribute",
        "graded: 0/5, flagged: imports the course kit",
        lambda ctx: with_code_after(wrong(), "sigmoid", PATCH_CHECKER),
    ),
    # -- not the student's own work
    Case("hard-coded-blog-outputs", "graded: 1/5", hard_coded),
    Case(
        "imports-solution-module",
        "graded: 0/5, flagged: imports the course kit",
        lambda ctx: submissions.fill(
            wrong(), {"sigmoid": "from solutions.network import sigmoid\n"}
        ),
    ),
    Case(
        "wraps-solution-module",
        "graded: 0/5, flagged: imports the course kit",
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
        "flagged: refused by the sandbox (OperationalError: unable to open database file)",
        edits_the_gradebook,
    ),
]

# Honest students: their grades must be the same with and without the corpus in the batch.
CLEAN = [
    Case("clean-correct", "graded: 5/5", lambda ctx: correct()),
    Case("clean-blank", "graded: 0/5", lambda ctx: submissions.blank(PS)),
    Case(
        "clean-wrong-sigmoid",
        "graded: 4/5",
        lambda ctx: submissions.with_function(
            PS, "sigmoid", "def sigmoid(x):\n    return 1 / (1 + np.exp(x))\n"
        ),
    ),
]
