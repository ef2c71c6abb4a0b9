"""The cost floor of grading: a notebook's cells executed in an interpreter that has everything imported.

Grading cannot cost less than running the student's cells and the checks. This measures
exactly that: one process imports numpy, matplotlib (Agg), the kit's kernel side and the
judge, and warms the judge's cached reference outcomes; then, per notebook, a fork of it
executes every code cell of the (autograded) notebook in order, in the notebook's folder,
with the hidden checks judged in that same process. After each cell, the figures it left
open are drawn to PNG and closed, as a kernel's inline backend does at the end of a cell
(the autograded notebook holds those images): the cells' own work, outputs included.
No kernel, no messaging, no nbgrader. The CPU seconds of those forks, per notebook, are
the floor; with ``--no-figures`` the figures are left undrawn (the cells' code alone).

    python benchmarks/floor.py autograded/*/*/*.ipynb       # prints CPU seconds per notebook
    python benchmarks/floor.py --no-figures autograded/*/*/*.ipynb
"""

from __future__ import annotations

import json
import os
import resource
import sys
from pathlib import Path


def warm_up() -> None:
    """Import what a notebook and its checks use, and let the judge compute its reference outcomes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot
    import numpy  # noqa: F401

    import from_memory.kernel  # noqa: F401
    from from_memory.judge import verdicts

    for name in verdicts.CHECKS:
        verdicts.reference_outcomes(name)
    figure = matplotlib.pyplot.figure()
    figure.gca().plot([0, 1], [1, 10])
    draw_figures()


def draw_figures() -> None:
    """Draw every open figure to PNG and close it: matplotlib_inline's end of a cell, with its settings."""
    import matplotlib.pyplot as plt
    from IPython.core.pylabtools import print_figure
    from matplotlib._pylab_helpers import Gcf
    from matplotlib_inline.config import InlineBackend

    options = InlineBackend().print_figure_kwargs
    for manager in Gcf.get_all_fig_managers():
        print_figure(manager.canvas.figure, "png", **options)
    plt.close("all")


def _execute(path: str, figures: bool = True) -> None:
    """Run the notebook's code cells in order, here (a forked child), quietly; draw their figures."""
    import contextlib
    import io

    os.chdir(os.path.dirname(path))
    notebook = json.loads(Path(path).read_text())
    namespace = {"__name__": "__main__"}
    sink = io.StringIO()
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), contextlib.suppress(Exception):
            exec(compile("\n".join(lines), path, "exec"), namespace)  # noqa: S102 - the measured work
        if figures:
            with contextlib.suppress(Exception):
                draw_figures()


def floor(paths, jobs: int = 1, figures: bool = True) -> float:
    """Total CPU seconds of executing ``paths`` in forks of this warm process, ``jobs`` at a time."""
    warm_up()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    running = []
    for path in paths:
        if len(running) >= jobs:
            os.waitpid(running.pop(0), 0)
        pid = os.fork()
        if pid == 0:
            try:
                _execute(os.path.abspath(path), figures)
            finally:
                os._exit(0)
        running.append(pid)
    for pid in running:
        os.waitpid(pid, 0)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv=None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    figures = "--no-figures" not in args
    paths = [a for a in args if a != "--no-figures"]
    total = floor(paths, figures=figures)
    print(f"floor: {total / max(len(paths), 1):.3f} s CPU per notebook ({len(paths)} notebooks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
