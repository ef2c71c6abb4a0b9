"""The cost floor of grading: a notebook's cells executed in an interpreter that has everything imported.

Grading cannot cost less than running the student's cells and the checks. This measures
exactly that: one process imports numpy, matplotlib (Agg), the kit's kernel side and the
judge, and warms the judge's cached reference outcomes; then, per notebook, a fork of it
executes every code cell of the (autograded) notebook in order, in the notebook's folder,
with the hidden checks judged in that same process. No kernel, no messaging, no nbgrader.
The CPU seconds of those forks, per notebook, are the floor.

    python benchmarks/floor.py autograded/*/*/*.ipynb       # prints CPU seconds per notebook
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


def _execute(path: str) -> None:
    """Run the notebook's code cells in order, here (a forked child), quietly."""
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


def floor(paths, jobs: int = 1) -> float:
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
                _execute(os.path.abspath(path))
            finally:
                os._exit(0)
        running.append(pid)
    for pid in running:
        os.waitpid(pid, 0)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv=None) -> int:
    paths = list(sys.argv[1:] if argv is None else argv)
    total = floor(paths)
    print(f"floor: {total / max(len(paths), 1):.3f} s CPU per notebook ({len(paths)} notebooks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
