"""Does the bench's floor do a cell's whole work: its figures drawn as a kernel draws them?"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after the backend is chosen

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import floor  # noqa: E402 - the benchmark, found by the path above


def test_every_figure_left_open_is_drawn_to_png_with_the_inline_settings_then_closed(monkeypatch):
    import IPython.core.pylabtools as pylabtools
    from matplotlib_inline.config import InlineBackend

    drawn = []
    monkeypatch.setattr(pylabtools, "print_figure", lambda fig, fmt, **kw: drawn.append((fig, fmt, kw)))
    plt.close("all")
    first, _ = plt.subplots()
    second = plt.figure()
    floor.draw_figures()
    assert [(fig, fmt) for fig, fmt, _ in drawn] == [(first, "png"), (second, "png")]
    assert all(kw == InlineBackend().print_figure_kwargs for _, _, kw in drawn)
    assert plt.get_fignums() == []


def test_a_cell_without_figures_draws_nothing(monkeypatch):
    import IPython.core.pylabtools as pylabtools

    drawn = []
    monkeypatch.setattr(pylabtools, "print_figure", lambda *a, **kw: drawn.append(a))
    plt.close("all")
    floor.draw_figures()
    assert drawn == []
