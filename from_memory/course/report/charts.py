"""The class report's figures, drawn with matplotlib's Agg canvas (no pyplot)."""

from __future__ import annotations

import io

from from_memory.course.report.model import AssignmentResults, MisconceptionCount, StepSummary

# -- figures (matplotlib, Agg) ----------------------------------------------------


def _figure(width=5.0, height=3.0):
    """A figure drawn by the Agg canvas, without touching pyplot or the session's backend."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def score_histogram(a: AssignmentResults) -> bytes:
    figure, axes = _figure()
    top = max([a.max_score, *a.scores, 1.0])
    if top <= 20:
        bins = [b - 0.5 for b in range(int(top) + 2)]
    else:
        bins = 10
    fine = [s.score for s in a.submissions if not s.flagged]
    flagged = [s.score for s in a.submissions if s.flagged]
    axes.hist(
        [fine, flagged],
        bins=bins,
        stacked=True,
        color=["#4c72b0", "#c44e52"],
        label=["graded automatically", "flagged"],
        edgecolor="white",
    )
    if flagged:
        axes.legend(loc="upper left", fontsize=8)
    axes.set_xlabel(f"score (out of {a.max_score:g})")
    axes.set_ylabel("students")
    figure.suptitle(f"{a.name}: scores", fontsize=11)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.xaxis.get_major_locator().set_params(integer=True)
    return _png(figure)


def failure_rate_chart(name: str, steps: list[StepSummary]) -> bytes:
    figure, axes = _figure(5.0, max(1.8, 0.45 * len(steps) + 1.0))
    labels = [s.step for s in steps][::-1]
    rates = [100 * s.failure_rate for s in steps][::-1]
    bars = axes.barh(labels, rates, color="#dd8452")
    for bar, step in zip(bars, steps[::-1], strict=True):
        axes.annotate(
            f"{step.failed}/{step.graded}",
            (bar.get_width(), bar.get_y() + bar.get_height() / 2),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    axes.set_xlim(0, 110)
    axes.set_xlabel("students failing (%)")
    figure.suptitle(f"{name}: failure rate per step", fontsize=11)
    return _png(figure)


def misconception_chart(name: str, misconceptions: list[MisconceptionCount]) -> bytes:
    figure, axes = _figure(6.0, max(1.8, 0.4 * len(misconceptions) + 1.0))
    labels = [m.misconception for m in misconceptions][::-1]
    axes.barh(labels, [m.count for m in misconceptions][::-1], color="#55a868")
    axes.set_xlabel("students")
    axes.xaxis.get_major_locator().set_params(integer=True)
    figure.suptitle(f"{name}: misconceptions the checker named", fontsize=11)
    return _png(figure)
