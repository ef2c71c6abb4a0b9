"""Wrong functions that try to reach the reference at call time, without an import statement the scan reads.

Each trick is a helper ``_reference(name)`` written at the top of the student's first
solution cell; every wrong function of the notebook first asks it for the reference's
function of its own name and calls that, and falls back on its own (wrong) code when
the helper finds nothing or fails. Graded as it should be, a trick changes nothing: the
notebook scores what its wrong functions score (0 in problem set 1). Where the static
scan can see the trick (``__import__``, ``sys.modules``, ``gc``, ``inspect``, ``open``,
``exec``...), the notebook is also flagged; the spellings that hide from the scan must
still score 0.
"""

from __future__ import annotations

from pathlib import Path

from from_memory.examples import submissions
from from_memory.examples.corpus import Case, graded, points_of
from from_memory.examples.hostile.base import PS, PS1_STEPS, WRONG, prelude, with_functions, wrong

ASKS = (
    "    try:\n"
    "        found = _reference('{name}')\n"
    "    except Exception:\n"
    "        found = None\n"
    "    if callable(found):\n"
    "        return found({args})\n"
)

# Picking the reference's function out of a frame's locals: the function itself, or a
# checker's record of it (any object with an ``oracle``).
PICK = '''
def _pick(name, values):
    for value in list(values):
        try:
            candidates = (value, getattr(value, "oracle", None))
        except Exception:
            continue
        for candidate in candidates:
            if (callable(candidate) and getattr(candidate, "__name__", "") == name
                    and getattr(candidate, "__module__", "__main__") not in ("__main__", None)):
                return candidate
    return None
'''
BUILTIN = '''
def _builtin(word):
    table = __builtins__ if isinstance(__builtins__, dict) else vars(__builtins__)
    return table[word]
'''


def from_source(run: str = "exec") -> str:
    """A helper running the reference's source as the student's own code (``run`` runs it).

    Decorators and imports of the kit are left out, so only reading the text matters.
    """
    return f'''
def _from_source(text, name):
    lines = [line for line in text.splitlines() if not line.startswith(("@signature", "from solutions"))]
    namespace = {{**globals(), "__name__": "__main__"}}
    {run}("\\n".join(lines), namespace)
    return namespace[name]
'''


HIDDEN_RUN = BUILTIN + from_source('_builtin("ex" + "ec")')


def _network_file() -> str:
    from solutions import network

    return str(Path(network.__file__).resolve())


# -- the helpers, one per trick ----------------------------------------------------------

REFLECTION = {
    "getattr-on-dunder-import": '''
def _reference(name):
    module = __import__("solu" + "tions.net" + "work", fromlist=["_"])
    return getattr(module, name)
''',
    "importlib-import-module": '''
import importlib

def _reference(name):
    return getattr(importlib.import_module("solutions" + "." + "network"), name)
''',
    "import-through-builtins-table": BUILTIN + '''
def _reference(name):
    module = _builtin("__imp" + "ort__")("solu" + "tions.network", fromlist=["_"])
    return getattr(module, name)
''',
    "sys-modules-lookup": '''
import sys

def _reference(name):
    for key, module in list(sys.modules.items()):
        if key.startswith("solutions") and callable(getattr(module, name, None)):
            return getattr(module, name)
''',
    "sys-modules-through-getattr": '''
import sys

def _reference(name):
    loaded = getattr(sys, "mod" + "ules")
    return getattr(loaded.get("solutions" + ".network"), name, None)
''',
    "gc-get-objects": '''
import gc

def _reference(name):
    for thing in gc.get_objects():
        if callable(thing) and getattr(thing, "__name__", "") == name and str(
                getattr(thing, "__module__", "")).startswith("solutions"):
            return thing
''',
}

FRAMES = {
    "sys-getframe-walk": PICK + '''
import sys

def _reference(name):
    frame = sys._getframe(1)
    while frame is not None:
        found = _pick(name, frame.f_locals.values())
        if found is not None:
            return found
        frame = frame.f_back
''',
    "inspect-currentframe-f-back": PICK + '''
import inspect

def _reference(name):
    frame = inspect.currentframe().f_back
    while frame is not None:
        found = _pick(name, frame.f_locals.values())
        if found is not None:
            return found
        frame = frame.f_back
''',
    "inspect-stack": PICK + '''
import inspect

def _reference(name):
    for record in inspect.stack()[1:]:
        found = _pick(name, record.frame.f_locals.values())
        if found is not None:
            return found
''',
    "traceback-frames-without-import": PICK + '''
def _reference(name):
    try:
        raise LookupError(name)
    except LookupError as error:
        frame = error.__traceback__.tb_frame.f_back
    while frame is not None:
        found = _pick(name, frame.f_locals.values())
        if found is not None:
            return found
        frame = frame.f_back
''',
}


def _files(network: str, ps: str, port: int) -> dict[str, str]:
    """Tricks that read the reference's source (a file, the source notebook, a TCP port)."""
    notebook = f"../../../source/{ps}/{ps}.ipynb"
    return {
        "reads-reference-with-open": from_source() + f'''
def _reference(name):
    with open({network!r}) as handle:
        return _from_source(handle.read(), name)
''',
        "reads-reference-with-pathlib": from_source() + f'''
import pathlib

def _reference(name):
    return _from_source(pathlib.Path({network!r}).read_text(), name)
''',
        "reads-reference-with-np-loadtxt": from_source() + f'''
import warnings

def _reference(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lines = np.loadtxt({network!r}, dtype=str, delimiter="\\x07", comments=None)
    return _from_source("\\n".join(lines), name)
''',
        "reads-reference-with-subprocess-cat": from_source() + f'''
import subprocess

def _reference(name):
    text = subprocess.run(["cat", {network!r}], capture_output=True, text=True, timeout=10).stdout
    return _from_source(text, name)
''',
        "reads-reference-through-builtins-table": HIDDEN_RUN + f'''
def _reference(name):
    with _builtin("op" + "en")({network!r}) as handle:
        return _from_source(handle.read(), name)
''',
        "reads-source-notebook": HIDDEN_RUN + f'''
import json

def _reference(name):
    with _builtin("op" + "en")({notebook!r}) as handle:
        cells = json.load(handle)["cells"]
    for cell in cells:
        if cell.get("metadata", {{}}).get("nbgrader", {{}}).get("grade_id") == name:
            code = "".join(cell["source"])
            return _from_source(code, name)
''',
        "fetches-reference-over-tcp-socket": from_source() + f'''
import socket

def _reference(name):
    with socket.create_connection(("127.0.0.1", {port}), timeout=5) as connection:
        connection.sendall(b"GET /network.py HTTP/1.0\\r\\n\\r\\n")
        reply = b"".join(iter(lambda: connection.recv(65536), b""))
    return _from_source(reply.split(b"\\r\\n\\r\\n", 1)[1].decode(), name)
''',
        "fetches-reference-over-http": HIDDEN_RUN + f'''
import urllib.request

def _reference(name):
    with urllib.request.urlopen("http://127.0.0.1:{port}/network.py", timeout=5) as reply:
        text = reply.read().decode()
    return _from_source(text, name)
''',
    }


def asking(ps: str, steps, helper: str):
    """The notebook of ``ps`` whose ``steps`` are wrong and ask ``helper``'s ``_reference`` first."""
    functions = {step: prelude(WRONG[step], ASKS) for step in steps}
    first = steps[0]
    functions[first] = helper.strip() + "\n\n\n" + functions[first]
    return submissions.fill(wrong() if ps == PS else with_functions(ps, {}), functions)


# What the static scan reads in each spelling (None: nothing, the trick is hidden from it).
SCAN_SEES = {
    "getattr-on-dunder-import": "runs code built at run time (`__import__`)",
    "importlib-import-module": "runs code built at run time (`importlib.import_module`)",
    "import-through-builtins-table": None,
    "sys-modules-lookup": "edits the table of loaded modules (`sys.modules`)",
    "sys-modules-through-getattr": None,
    "gc-get-objects": "imports interpreter internals",
    "sys-getframe-walk": None,
    "inspect-currentframe-f-back": "imports interpreter internals",
    "inspect-stack": "imports interpreter internals",
    "traceback-frames-without-import": None,
    "reads-reference-with-open": "reads, writes or runs files (`open`)",
    "reads-reference-with-pathlib": "reads, writes or runs files (`pathlib.Path",
    "reads-reference-with-np-loadtxt": "reads, writes or runs files (`np.loadtxt`)",
    "reads-reference-with-subprocess-cat": "reads, writes or runs files (`subprocess.run`)",
    "reads-reference-through-builtins-table": None,
    "reads-source-notebook": None,
    "fetches-reference-over-tcp-socket": "runs code built at run time (`exec`)",
    "fetches-reference-over-http": None,
}


def _expected(score: str, trick: str) -> str:
    seen = SCAN_SEES[trick]
    return f"{score}, flagged: {seen}" if seen else score


def _case(name, trick, ps, steps, score, helper_of):
    return Case(
        name,
        _expected(score, trick),
        lambda ctx: asking(ps, steps, helper_of(ctx)),
        assignment=ps,
    )


def _cases() -> list[Case]:
    cases = []
    zero = graded(PS, lost=points_of(PS, *PS1_STEPS))
    for trick, helper in {**REFLECTION, **FRAMES}.items():
        cases.append(_case(trick, trick, PS, PS1_STEPS, zero, lambda ctx, h=helper: h))
    for trick in _files("", PS, 0):
        cases.append(
            _case(trick, trick, PS, PS1_STEPS, zero,
                  lambda ctx, t=trick: _files(_network_file(), PS, ctx.port)[t])
        )
    # The same tricks in other problem sets, on one wrong function each.
    elsewhere = [
        ("sys-getframe-walk", "ps5_hidden", ("iterations_to_reach",)),
        ("traceback-frames-without-import", "ps3_alpha", ("train",)),
        ("import-through-builtins-table", "ps2_backprop", ("hidden_delta", "weight_gradients")),
        ("reads-source-notebook", "ps6_capstone", ("thirteen_line_network",)),
        ("fetches-reference-over-http", "ps6_capstone", ("thirteen_line_network",)),
    ]
    for trick, ps, steps in elsewhere:
        lost = points_of(ps, *steps) if ps != "ps6_capstone" else points_of(ps, *CAPSTONE_LOST)
        cases.append(
            _case(f"{trick}-{ps.split('_')[0]}", trick, ps, steps, graded(ps, lost),
                  lambda ctx, t=trick, p=ps: {**REFLECTION, **FRAMES, **_files(_network_file(), p, ctx.port)}[t])
        )
    return cases


# base.WRONG's capstone returns the small case's numbers whatever it is given: wrong shapes
# on the post's data, so it loses all four checks.
CAPSTONE_LOST = (
    "thirteen_line_network_runs",
    "thirteen_line_network_learns",
    "thirteen_line_network_respects_settings",
    "thirteen_line_network",
)

CASES = _cases()
