"""Hidden-test checks: one ``check_<step>(student_function)`` per graded step.

A hidden test cell is one line, e.g.
``from from_memory.kernel import check_forward; check_forward(forward)``.
Each check calls the student's function and the oracle (``solutions.network``)
on the same fresh, seeded inputs and on the post's own data, compares layer by
layer (type, shape, numbers, NaN/inf, values), and stops at the first problem
with a short message. When a known mistake from the catalog
(:mod:`from_memory.judge.mutants`) reproduces the student's result, the message names it.

No double penalty: when a step's function calls earlier steps by their course
names (``train`` calling ``forward``), a failing run is tried once more with those
names bound to the oracle's versions, so each step is graded on its own.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import io
import re
import types
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from from_memory.judge import inputs
from from_memory.kernel.compare import (
    STEP_ATOL,
    STEP_RTOL,
    TRAINING_ATOL,
    TRAINING_RTOL,
    StepFailed,
    compare,
)
from solutions import network, plots

FRESH_CASES = 4
KIT_FOLDERS = tuple(str(Path(m.__file__).resolve().parent) for m in (network, inputs))


@dataclass(frozen=True)
class Step:
    """A graded step: the oracle function it must match and how to compare."""

    name: str
    oracle: Callable
    training: bool = False  # looser tolerances for results of many iterations
    blog_cases: Callable[[], list] = list
    tweak: Callable[[dict], dict] = lambda kwargs: kwargs  # adjust fresh inputs

    @property
    def parameters(self) -> list[str]:
        return list(inspect.signature(self.oracle).parameters)

    @property
    def outputs(self) -> list[str]:
        return [slot.name for slot in self.oracle.signature.outputs]

    @property
    def tolerances(self) -> tuple[float, float]:
        return (TRAINING_RTOL, TRAINING_ATOL) if self.training else (STEP_RTOL, STEP_ATOL)


@dataclass
class Verdict:
    """What a check found: passed, or the first problem and the mistake it looks like."""

    step: str
    passed: bool
    message: str = ""
    mistake: str | None = None  # a mutant slug from the catalog
    cases: int = 0
    notes: list = field(default_factory=list)


# -- the post's own data, as each step sees it ---------------------------------


def _blog_synapses(hidden_dim=4):
    return network.init_synapses(3, hidden_dim, 1)


def _blog_forward():
    synapse_0, synapse_1 = _blog_synapses()
    layer_1, layer_2 = network.forward(network.X, synapse_0, synapse_1)
    layer_2_error = network.output_error(layer_2, network.y)
    layer_2_delta = network.output_delta(layer_2_error, layer_2)
    layer_1_delta = network.hidden_delta(layer_2_delta, synapse_1, layer_1)
    return locals()


def _from_blog(*names, **extra):
    def cases():
        values = {**_blog_forward(), "layer_0": network.X, "y": network.y, **extra}
        return [{name: values[name] for name in names}]

    return cases


def _blog_training(**kwargs):
    return lambda: [{"X": network.X, "y": network.y, "seed": 1, **kwargs}]


def _weight_updates():
    synapse_0_update, _ = network.weight_gradients(**_from_blog(
        "layer_0", "layer_1", "layer_1_delta", "layer_2_delta")()[0])
    flipped = synapse_0_update.copy()
    flipped[0] *= -1
    return [{"weight_update": flipped, "prev_weight_update": synapse_0_update}]


def _small_training(kwargs):
    return {**kwargs, "iterations": inputs.TRAINING_ITERATIONS}


STEPS = {
    step.name: step
    for step in [
        Step("sigmoid", network.sigmoid, blog_cases=lambda: [{"x": np.dot(network.X, _blog_synapses()[0])}]),
        Step("init_synapses", network.init_synapses,
             blog_cases=lambda: [{"n_inputs": 3, "hidden_dim": 4, "seed": 1}]),
        Step("forward_two_layer", network.forward_two_layer,
             blog_cases=lambda: [{"layer_0": network.X_TWO_LAYER, "synapse_0": network.init_synapses(2, 1, 1)[0]}]),
        Step("forward", network.forward,
             blog_cases=lambda: [dict(zip(("synapse_0", "synapse_1"), _blog_synapses()), layer_0=network.X)]),
        Step("sigmoid_output_to_derivative", network.sigmoid_output_to_derivative,
             blog_cases=lambda: [{"output": _blog_forward()["layer_1"]}]),
        Step("output_error", network.output_error, blog_cases=_from_blog("layer_2", "y")),
        Step("mean_abs_error", network.mean_abs_error, blog_cases=_from_blog("layer_2_error")),
        Step("output_delta", network.output_delta, blog_cases=_from_blog("layer_2_error", "layer_2")),
        Step("hidden_delta", network.hidden_delta,
             blog_cases=_from_blog("layer_2_delta", "synapse_1", "layer_1")),
        Step("weight_gradients", network.weight_gradients,
             blog_cases=_from_blog("layer_0", "layer_1", "layer_1_delta", "layer_2_delta")),
        Step("direction_changes", network.direction_changes, blog_cases=_weight_updates),
        Step("train_two_layer", network.train_two_layer, training=True,
             blog_cases=lambda: [{"X": network.X_TWO_LAYER, "y": network.y_TWO_LAYER,
                                  "iterations": 10000, "seed": 1}]),
        Step("train", network.train, training=True, tweak=_small_training,
             blog_cases=_blog_training(alpha=10, hidden_dim=4, iterations=2000)),
        Step("train_counting_directions", network.train_counting_directions, training=True,
             tweak=_small_training, blog_cases=_blog_training(alpha=10, hidden_dim=4, iterations=2000)),
        Step("alpha_sweep", network.alpha_sweep, training=True, tweak=_small_training,
             blog_cases=_blog_training(alphas=(0.1, 1, 10), hidden_dim=4, iterations=500)),
        Step("hidden_size_sweep", network.hidden_size_sweep, training=True, tweak=_small_training,
             blog_cases=_blog_training(alpha=1, hidden_sizes=(4, 32), iterations=500)),
        Step("total_direction_changes", network.total_direction_changes, training=True,
             tweak=_small_training,
             blog_cases=lambda: [{"X": network.X, "y": network.y, "alphas": (1, 10), "iterations": 1000}]),
        Step("iterations_to_reach", network.iterations_to_reach,
             blog_cases=lambda: [{"errors": network.train(network.X, network.y, 10, iterations=2000)[2],
                                  "target": 0.01},
                                 {"errors": np.array([0.5, 0.4, 0.4]), "target": 0.4}]),
        Step("thirteen_line_network", network.thirteen_line_network, training=True,
             tweak=_small_training, blog_cases=_blog_training(alpha=0.5, hidden_dim=4, iterations=2000)),
    ]
}


# -- running one function on one case ------------------------------------------


class _Raised:
    """The outcome of a call that raised: compared by exception type."""

    def __init__(self, error: BaseException):
        self.error = error

    def __str__(self):
        first_line = (str(self.error).splitlines() or [""])[0]
        return f"{type(self.error).__name__}: {first_line}".rstrip(": ")


@contextlib.contextmanager
def silenced():
    """Run graded code without a word to the test cell: no warnings, no prints.

    nbgrader scores a test cell 0 when it writes to stderr, so a warning from a
    correct function (an overflow on a fresh input) must not reach it; whatever the
    code prints is dropped too, so the cell shows the checker's verdict alone.
    """
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def call(function: Callable, step: Step, kwargs: dict):
    """Call ``function`` positionally in the oracle's parameter order, on private copies.

    The global numpy RNG is restored afterwards, and the call is :func:`silenced`,
    so grading leaves the student's notebook as it found it and says only its verdict.
    """
    args = [copy.deepcopy(kwargs[name]) for name in step.parameters if name in kwargs]
    state = np.random.get_state()
    try:
        with silenced():
            return function(*args)
    except Exception as error:  # the student's code failing is a result, not a crash
        return _Raised(error)
    finally:
        np.random.set_state(state)


def _named_outputs(step: Step, result):
    """Split a result into ``[(label, value)]`` following the oracle's declared outputs."""
    outputs = step.outputs
    if len(outputs) <= 1:
        return [(f"`{step.name}`'s result", result)]
    return [(f"`{step.name}`'s `{name}`", value) for name, value in zip(outputs, result)]


def difference(step: Step, got, expected, rtol=None, atol=None) -> str | None:
    """How ``got`` differs from the oracle's ``expected`` result, or None."""
    default_rtol, default_atol = step.tolerances
    rtol, atol = rtol or default_rtol, atol or default_atol
    if isinstance(got, _Raised):
        return f"`{step.name}` raised {got}"
    outputs = step.outputs
    if len(outputs) > 1:
        if not isinstance(got, tuple | list) or len(got) != len(outputs):
            shown = type(got).__name__ if not isinstance(got, tuple | list) else f"{len(got)} values"
            return f"`{step.name}` should return {len(outputs)} values ({', '.join(outputs)}), got {shown}."
    for (label, value), (_, want) in zip(_named_outputs(step, got), _named_outputs(step, expected)):
        if isinstance(value, list) and np.ndim(want) == 1:
            value = np.asarray(value)  # an error trace kept in a list is fine
        problem = compare(label, value, want, rtol, atol)
        if problem:
            return problem
    return None


def describe_case(kwargs: dict, blog: bool) -> str:
    if blog:
        return "on the post's own data"
    shapes = [f"`{k}` {tuple(np.shape(v))}" for k, v in kwargs.items() if isinstance(v, np.ndarray)]
    others = [f"`{k}`={v!r}" for k, v in kwargs.items() if not isinstance(v, np.ndarray)]
    return "on a fresh input (" + ", ".join(shapes + others) + ")"


def cases(step: Step) -> list[tuple[dict, bool]]:
    """The step's fresh seeded inputs, then the post's own data."""
    fresh = [
        (step.tweak(inputs.fresh(step.oracle.signature, np.random.default_rng(seed))), False)
        for seed in range(FRESH_CASES)
    ]
    return fresh + [(kwargs, True) for kwargs in step.blog_cases()]


# -- integrity and no double penalty -------------------------------------------


def _integrity_problem(name: str, function) -> str | None:
    if function is None:
        return f"`{name}` is not defined: run the cell that defines it."
    if not isinstance(function, types.FunctionType):
        return f"`{name}` should be a function defined with `def {name}(...)`, got {type(function).__name__}."
    home = str(Path(inspect.getfile(function)).resolve().parent)
    if function.__module__.startswith(("solutions", "from_memory")) or home in KIT_FOLDERS:
        return f"`{name}` must be your own function written in this notebook, not imported from the course kit."
    return None


def _global_names(code: types.CodeType) -> set:
    """Global names a function's code reads, comprehensions and inner functions included."""
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= _global_names(constant)
    return names


def with_oracle_helpers(function: types.FunctionType) -> types.FunctionType | None:
    """The same function, with the earlier steps it calls bound to the oracle's versions.

    Returns None when it calls none of them.
    """
    names = _global_names(function.__code__) & (set(STEPS) | {"random_synapse"})
    if not names:
        return None
    namespace = dict(function.__globals__)
    namespace.update({name: getattr(network, name) for name in names})
    return types.FunctionType(
        function.__code__, namespace, function.__name__, function.__defaults__, function.__closure__
    )


# -- the check -----------------------------------------------------------------


def run(step_name: str, function) -> Verdict:
    """Grade ``function`` as ``step_name``; never raises for the student's faults."""
    step = STEPS[step_name]
    problem = _integrity_problem(step_name, function)
    if problem:
        return Verdict(step_name, False, problem)
    candidates = [function]
    isolated = with_oracle_helpers(function)
    if isolated is not None:
        candidates.append(isolated)
    all_cases = cases(step)
    for candidate in candidates:
        for kwargs, blog in all_cases:
            got = call(candidate, step, kwargs)
            problem = difference(step, got, call(step.oracle, step, kwargs))
            if problem:
                failure = (problem, kwargs, blog, got)
                break
        else:
            return Verdict(step_name, True, f"`{step_name}` matches the reference on {len(all_cases)} inputs.",
                           cases=len(all_cases))
        # A later candidate is the isolated run: its failure is this step's own.
        last_failure = failure
    problem, kwargs, blog, got = last_failure
    message = f"{problem}\nThat was {describe_case(kwargs, blog)}."
    mistake = diagnose(step, kwargs, got)
    if mistake is not None:
        message += f"\nLikely mistake: {mistake.hint} [{mistake.slug}]"
    return Verdict(step_name, False, message, mistake=mistake.slug if mistake else None)


def diagnose(step: Step, kwargs: dict, got):
    """The catalog mutant of this step that reproduces ``got`` on ``kwargs``, if any."""
    from from_memory.judge import mutants  # the catalog builds functions: load it only when needed

    for mutant in mutants.for_step(step.name):
        produced = call(mutant.function, step, kwargs)
        if isinstance(got, _Raised) or isinstance(produced, _Raised):
            if isinstance(got, _Raised) and isinstance(produced, _Raised) and type(got.error) is type(
                produced.error
            ):
                return mutant
            continue
        if difference(step, got, produced) is None:
            return mutant
    return None


# -- plots, judged through the figure's data -----------------------------------


@dataclass(frozen=True)
class PlotStep:
    """A graded plot: the student's function draws an oracle sweep; its lines are read back."""

    name: str
    oracle: Callable
    key_name: str  # how each line's label names its setting
    sweep: Callable[[], dict]


PLOTS = {
    plot.name: plot
    for plot in [
        PlotStep("plot_error_curves", plots.plot_error_curves, "alpha",
                 lambda: network.alpha_sweep(network.X, network.y, (0.1, 1, 10), iterations=200)),
        PlotStep("plot_hidden_sizes", plots.plot_hidden_sizes, "hidden",
                 lambda: network.hidden_size_sweep(network.X, network.y, 1, (4, 8, 32), iterations=200)),
    ]
}
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def figure_problem(plot: PlotStep, figure, sweep: dict) -> str | None:
    """What is wrong with the figure drawn for ``sweep``, or None."""
    from matplotlib.figure import Figure

    name = f"`{plot.name}`"
    if isinstance(figure, _Raised):
        return f"{name} raised {figure}"
    if not isinstance(figure, Figure):
        return f"{name} should return the matplotlib Figure (`return fig`), got {type(figure).__name__}."
    axes = figure.get_axes()
    lines = [line for ax in axes for line in ax.get_lines()]
    if not lines:
        return f"{name} draws no lines: use `fig, ax = plt.subplots()` and `ax.plot(errors, label=...)`."
    for key, errors in sweep.items():
        labelled = [
            line for line in lines
            if any(float(n) == float(key) for n in NUMBER.findall(str(line.get_label())))
        ]
        if not labelled:
            return (f"{name} draws no line labelled with {plot.key_name} {key}: "
                    f"pass `label=f\"{plot.key_name}={{...}}\"` to `ax.plot`.")
        problem = compare(f"The line for {plot.key_name}={key}", np.asarray(labelled[0].get_ydata(), float),
                          np.asarray(errors), STEP_RTOL, STEP_ATOL)
        if problem:
            return problem + " It should show the error at every iteration."
    if not any("iter" in ax.get_xlabel().lower() for ax in axes):
        return f"{name}: label the x axis with the iteration, e.g. `ax.set_xlabel(\"iteration\")`."
    if not any("error" in ax.get_ylabel().lower() for ax in axes):
        return f"{name}: label the y axis with the error, e.g. `ax.set_ylabel(\"mean absolute error\")`."
    return None


def draw(plot: PlotStep, function, sweep: dict) -> str | None:
    """Call a plot function on a copy of ``sweep`` and judge the figure; the figure is closed after."""
    import matplotlib.pyplot as plt

    state = np.random.get_state()
    try:
        with silenced():
            figure = function(copy.deepcopy(sweep))
    except Exception as error:
        figure = _Raised(error)
    finally:
        np.random.set_state(state)
    try:
        return figure_problem(plot, figure, sweep)
    finally:
        if not isinstance(figure, _Raised) and hasattr(figure, "savefig"):
            plt.close(figure)


def run_plot(plot_name: str, function) -> Verdict:
    plot = PLOTS[plot_name]
    problem = _integrity_problem(plot_name, function)
    if problem:
        return Verdict(plot_name, False, problem)
    sweep = plot.sweep()
    problem = draw(plot, function, sweep)
    if problem is None:
        return Verdict(plot_name, True, f"`{plot_name}` draws every curve of the sweep, labelled.", cases=1)
    from from_memory.judge import mutants

    mistake = next(
        (m for m in mutants.for_step(plot_name) if draw(plot, m.function, sweep) == problem), None
    )
    if mistake is not None:
        problem += f"\nLikely mistake: {mistake.hint} [{mistake.slug}]"
    return Verdict(plot_name, False, problem, mistake=mistake.slug if mistake else None)


# -- the capstone, judged on behaviour -------------------------------------------


def _capstone(function, alpha=0.5, hidden_dim=4, iterations=2000, seed=1, X=None, y=None):
    step = STEPS["thirteen_line_network"]
    kwargs = {"X": network.X if X is None else X, "y": network.y if y is None else y, "alpha": alpha,
              "hidden_dim": hidden_dim, "iterations": iterations, "seed": seed}
    return call(function, step, kwargs)


def _shape_problem(result, hidden_dim, n=4, k=3) -> str | None:
    name = "`thirteen_line_network`"
    if isinstance(result, _Raised):
        return f"{name} raised {result}"
    if not isinstance(result, tuple | list) or len(result) != 3:
        return f"{name} should return 3 values (synapse_0, synapse_1, layer_2)."
    for label, value, shape in zip(("synapse_0", "synapse_1", "layer_2"), result,
                                   ((k, hidden_dim), (hidden_dim, 1), (n, 1))):
        problem = compare(f"{name}'s `{label}`", value, np.zeros(shape), 0, 0, values=False)
        if problem:
            return problem
    return None


def capstone_runs(function) -> str | None:
    """runs on the post's data and returns arrays of the right shapes."""
    return _shape_problem(_capstone(function), 4)


def capstone_learns(function) -> str | None:
    """learns the post's data: with alpha 10 its output rounds to the targets after 10 000 iterations."""
    result = _capstone(function, alpha=10, iterations=10000)
    problem = _shape_problem(result, 4)
    if problem:
        return problem
    layer_2 = np.asarray(result[2], float)
    if not np.array_equal(np.round(layer_2), network.y):
        shown = np.round(layer_2.ravel(), 3).tolist()
        return (f"`thirteen_line_network` does not learn the post's data: after 10 000 iterations with alpha 10 "
                f"its output is {shown}, expected close to {network.y.ravel().tolist()}.")
    return None


def capstone_respects_settings(function) -> str | None:
    """responds to each of `hidden_dim`, `seed`, `alpha` and `iterations`."""
    name = "`thirteen_line_network`"
    base = _capstone(function, iterations=50)
    problem = _shape_problem(base, 4) or _shape_problem(_capstone(function, hidden_dim=7, iterations=50), 7)
    if problem:
        return problem
    for setting, value in (("seed", 2), ("alpha", 5.0), ("iterations", 60)):
        other = _capstone(function, **{"iterations": 50, setting: value})
        if _shape_problem(other, 4) is None and np.array_equal(other[0], base[0]):
            return f"{name} ignores `{setting}`: changing it to {value} left `synapse_0` the same."
    return None


PROPERTIES = {
    "thirteen_line_network_runs": capstone_runs,
    "thirteen_line_network_learns": capstone_learns,
    "thirteen_line_network_respects_settings": capstone_respects_settings,
}


def run_property(name: str, function) -> Verdict:
    problem = _integrity_problem("thirteen_line_network", function) or PROPERTIES[name](function)
    if problem is None:
        return Verdict(name, True, f"`thirteen_line_network` {PROPERTIES[name].__doc__.strip()}", cases=1)
    from from_memory.judge import mutants

    mistake = next((m for m in mutants.for_step("thirteen_line_network")
                    if PROPERTIES[name](m.function) == problem), None)
    if mistake is not None:
        problem += f"\nLikely mistake: {mistake.hint} [{mistake.slug}]"
    return Verdict(name, False, problem, mistake=mistake.slug if mistake else None)


def function_of(step_name: str) -> str:
    """The name of the student's function that the graded step ``step_name`` calls."""
    return "thirteen_line_network" if step_name in PROPERTIES else step_name


def run_step(step_name: str, function) -> Verdict:
    """Grade ``function`` as the step, plot or capstone property named ``step_name``."""
    if step_name in PLOTS:
        return run_plot(step_name, function)
    if step_name in PROPERTIES:
        return run_property(step_name, function)
    return run(step_name, function)


def check(step_name: str, function) -> None:
    """Grade and report: print one line when it passes, raise :class:`StepFailed` when not.

    Returns None on purpose: a value would become the test cell's output, which nbgrader
    tries to read as a partial score.
    """
    verdict = run_step(step_name, function)
    if not verdict.passed:
        raise StepFailed(verdict.message)
    print(verdict.message)


def _make_check(step_name: str):
    def check_step(function):
        return check(step_name, function)

    check_step.__name__ = check_step.__qualname__ = f"check_{step_name}"
    check_step.__doc__ = f"Hidden test of `{step_name}`: compare it with the oracle; raise StepFailed if it differs."
    return check_step


for _name in [*STEPS, *PLOTS, *PROPERTIES]:
    globals()[f"check_{_name}"] = _make_check(_name)
