"""Run a student's function on the judge's inputs and describe what came back, as plain data.

This is all a hidden test does inside the student's kernel. It asks the judge (through a
transport: a channel to the grader's process, or the judge itself when the notebook is
graded by stock nbgrader) for the step's *spec*: the calls to make and the helpers that
may be swapped. It then calls the function on private copies of each call's arguments,
quietly, restoring numpy's global random state afterwards, and records for each call
what it returned (:mod:`from_memory.kernel.wire` data), or the exception it raised, and
which arguments it changed in place. It never compares anything: the judge does.

When the spec names helpers to swap (earlier steps that failed their own checks in this
notebook, among those the step may lean on), the function is run a second time with
those names bound to stubs that ask the judge for the reference's answer, so that one
wrong step costs only its own points. The function's own name is never swapped.
"""

from __future__ import annotations

import contextlib
import copy
import io
import types
import warnings

import numpy as np

from from_memory.kernel import wire

KIT_PACKAGES = ("solutions", "from_memory")
# numpy's global random state at the start of every call: a function that forgets to seed
# draws the same numbers in the kernel and in the judge's runs of the catalog's mistakes.
CALL_SEED = 12345


@contextlib.contextmanager
def silenced():
    """Graded code says nothing to the test cell: no prints, no warnings.

    nbgrader scores a test cell 0 when it writes to stderr, so a warning from a
    correct function (an overflow on a fresh input) must not reach it.
    """
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def integrity_problem(name: str, function) -> str | None:
    """Is ``function`` a plain function of the student's own? A message when not."""
    if function is None:
        return f"`{name}` is not defined: run the cell that defines it."
    if not isinstance(function, types.FunctionType):
        return f"`{name}` should be a function defined with `def {name}(...)`, got {type(function).__name__}."
    module = getattr(function, "__module__", None) or ""
    if module.split(".")[0] in KIT_PACKAGES:
        return f"`{name}` must be your own function written in this notebook, not imported from the course kit."
    return None


def _same(before, after) -> bool:
    """Is ``after`` still what ``before`` was (arrays by shape, dtype and values; containers item by item)?"""
    if type(before) is not type(after):
        return False
    if isinstance(before, dict):
        return before.keys() == after.keys() and all(_same(before[k], after[k]) for k in before)
    if isinstance(before, list | tuple):
        return len(before) == len(after) and all(_same(b, a) for b, a in zip(before, after, strict=True))
    if isinstance(before, np.ndarray):
        return (
            isinstance(after, np.ndarray)
            and before.shape == after.shape
            and before.dtype == after.dtype
            and bool(np.array_equal(before, after, equal_nan=before.dtype.kind in "fc"))
        )
    try:
        return bool(before == after)
    except Exception:  # noqa: BLE001 - a comparison that raises is a change we cannot prove absent
        return False


def figure_data(figure) -> dict | None:
    """A matplotlib Figure as data: per axes its labels, scale and lines (label, y values)."""
    from matplotlib.figure import Figure

    if not isinstance(figure, Figure):
        return None
    axes = []
    for ax in figure.get_axes():
        lines = [
            {"label": str(line.get_label()), "ydata": np.asarray(line.get_ydata(), dtype=float)}
            for line in ax.get_lines()
        ]
        axes.append({"xlabel": str(ax.get_xlabel()), "ylabel": str(ax.get_ylabel()),
                     "yscale": str(ax.get_yscale()), "lines": lines})
    return {"figure": axes}


def call(function, args: list, names: list[str], plot: bool = False) -> dict:
    """Call ``function(*args)`` on copies; return ``{"value": ...}`` or ``{"raised": ...}``, and ``"mutated"``.

    ``names`` are the arguments' names, for the judge's messages. With ``plot``, a
    returned Figure is described by :func:`figure_data` and closed. The call starts from
    numpy's global random state seeded with :data:`CALL_SEED`; the caller's state is put
    back afterwards.
    """
    given = [copy.deepcopy(a) for a in args]
    kept = [copy.deepcopy(a) for a in args]
    state = np.random.get_state()
    outcome: dict = {}
    try:
        np.random.seed(CALL_SEED)  # every call starts from the same global random state
        with silenced():
            result = function(*given)
        if plot:
            data = figure_data(result)
            if data is not None:
                import matplotlib.pyplot as plt

                plt.close(result)
                result = data
        outcome["value"] = result
    except Exception as error:  # the student's code failing is a result, not a crash
        first = (str(error).splitlines() or [""])[0]
        outcome["raised"] = {"type": type(error).__name__, "message": first[:300]}
    finally:
        np.random.set_state(state)
    outcome["mutated"] = [n for n, b, a in zip(names, kept, given, strict=True) if not _same(b, a)]
    return outcome


def global_names(code: types.CodeType) -> set:
    """Global names a function's code reads, comprehensions and inner functions included."""
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= global_names(constant)
    return names


def reachable(function: types.FunctionType) -> set:
    """Global names ``function`` reads, and those of the notebook's functions it calls, and so on."""
    home = function.__globals__
    names: set = set()
    todo = [function]
    seen = set()
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for name in global_names(current.__code__):
            names.add(name)
            value = home.get(name)
            if isinstance(value, types.FunctionType) and value.__globals__ is home:
                todo.append(value)
    return names


def _rebound(function: types.FunctionType, namespace: dict) -> types.FunctionType:
    copy_ = types.FunctionType(function.__code__, namespace, function.__name__, function.__defaults__,
                               function.__closure__)
    copy_.__kwdefaults__ = function.__kwdefaults__
    return copy_


def with_helpers(function: types.FunctionType, helpers: dict) -> types.FunctionType:
    """The same function over a copy of its globals in which ``helpers`` replace those names.

    The notebook's other functions in that copy are rebuilt over it too, so a helper is
    replaced wherever the function reaches it (``train`` calls ``forward``, which calls the
    replaced ``sigmoid``).
    """
    home = function.__globals__
    namespace = dict(home)
    namespace.update(helpers)
    for name, value in list(namespace.items()):
        if name not in helpers and isinstance(value, types.FunctionType) and value.__globals__ is home:
            namespace[name] = _rebound(value, namespace)
    return _rebound(function, namespace)


def run(step: str, function, transport) -> None:
    """Ask ``transport`` for ``step``'s spec, call ``function`` as it says, and record the outcomes."""
    spec = transport.spec(step)
    name = spec["function"]
    problem = integrity_problem(name, function)
    record: dict = {"integrity": problem, "runs": []}
    if problem is None:
        calls = spec["calls"]
        order = spec["order"]
        plot = spec.get("plot", False)

        def outcomes(candidate):
            return [call(candidate, [c[n] for n in order if n in c], [n for n in order if n in c], plot)
                    for c in calls]

        record["runs"].append(outcomes(function))
        swap = [h for h in spec.get("swap", ()) if h != name and h in reachable(function)]
        if swap:
            stubs = {helper: transport.helper_stub(helper) for helper in swap}
            record["swapped"] = swap
            record["runs"].append(outcomes(with_helpers(function, stubs)))
    record["runs"] = [[_encoded(o) for o in run_] for run_ in record["runs"]]
    transport.record(step, record)


def _encoded(outcome: dict) -> dict:
    """The outcome with its value reduced to plain data now, in the kernel (see :mod:`wire`)."""
    if "value" in outcome:
        outcome = {**outcome, "value": wire.plain(outcome["value"])}
    return outcome
