"""Graded plots, judged through the figure's data: one labelled line per setting, the right values.

The student's plot function draws a sweep the judge computed with the reference. In
the kernel, the returned matplotlib Figure is read back as data
(:func:`from_memory.kernel.probe.figure_data`: per axes its labels and lines); here
that data is compared with the sweep. Pixels are never looked at.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from from_memory.judge.inputs import BLOG_ITERATIONS as ITERATIONS
from from_memory.judge.steps import Case
from from_memory.kernel.compare import STEP_ATOL, STEP_RTOL, compare
from from_memory.kernel.wire import Foreign
from solutions import network, plots

NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


@dataclass(frozen=True)
class PlotStep:
    """A graded plot: the student's function draws an oracle sweep; its lines are read back."""

    name: str
    oracle: Callable
    key_name: str  # how each line's label names its setting
    sweep: Callable[[], dict]

    kind = "plot"
    plot = True
    helpers = frozenset()

    @property
    def function(self) -> str:
        return self.name

    @property
    def parameters(self) -> list[str]:
        return ["sweep"]

    def cases(self) -> list[Case]:
        return _cases(self.name)

    def problem_of(self, figure) -> str | None:
        """What is wrong with ``figure`` (an outcome value: figure data, or anything else)."""
        return figure_problem(self, figure, self.cases()[0].kwargs["sweep"])


@functools.cache
def _cases(name: str) -> list[Case]:
    return [Case({"sweep": PLOTS[name].sweep()})]


def figure_problem(plot: PlotStep, figure, sweep: dict) -> str | None:
    """What is wrong with the figure data drawn for ``sweep``, or None."""
    name = f"`{plot.name}`"
    if not (isinstance(figure, dict) and isinstance(figure.get("figure"), list)):
        shown = str(figure) if isinstance(figure, Foreign) else type(figure).__name__
        return f"{name} should return the matplotlib Figure (`return fig`), got {shown}."
    axes = figure["figure"]
    lines = [line for ax in axes for line in ax["lines"]]
    if not lines:
        return f"{name} draws no lines: use `fig, ax = plt.subplots()` and `ax.plot(errors, label=...)`."
    for key, errors in sweep.items():
        labelled = [
            line for line in lines
            if any(float(n) == float(key) for n in NUMBER.findall(line["label"]))
        ]
        if not labelled:
            return (f"{name} draws no line labelled with {plot.key_name} {key}: "
                    f"pass `label=f\"{plot.key_name}={{...}}\"` to `ax.plot`.")
        problem = compare(f"The line for {plot.key_name}={key}", labelled[0]["ydata"],
                          np.asarray(errors), STEP_RTOL, STEP_ATOL)
        if problem:
            return problem + " It should show the error at every iteration."
    if not any("iter" in ax["xlabel"].lower() for ax in axes):
        return f"{name}: label the x axis with the iteration, e.g. `ax.set_xlabel(\"iteration\")`."
    if not any("error" in ax["ylabel"].lower() for ax in axes):
        return f"{name}: label the y axis with the error, e.g. `ax.set_ylabel(\"mean absolute error\")`."
    return None


PLOTS = {
    plot.name: plot
    for plot in [
        PlotStep("plot_error_curves", plots.plot_error_curves, "alpha",
                 lambda: network.alpha_sweep(network.X, network.y, (0.1, 1, 10), iterations=ITERATIONS)),
        PlotStep("plot_hidden_sizes", plots.plot_hidden_sizes, "hidden",
                 lambda: network.hidden_size_sweep(network.X, network.y, 1, (4, 8, 32), iterations=ITERATIONS)),
    ]
}
