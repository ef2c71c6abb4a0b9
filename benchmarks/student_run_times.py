"""How long each release notebook takes a student, filled in correctly, top to bottom.

Every problem set's release notebook is filled with the reference solutions (the
submission factory's ``passes_all``) and executed by nbclient on a fresh kernel in a
folder of its own, at the experiments' student budget (``FROM_MEMORY_ITERATIONS``
unset: the post's 60 000 iterations), as a student's "Restart and run all" would. It
prints wall and CPU seconds per notebook, the load average beside each, and fails if
a notebook raises or takes more than the limit.

    python benchmarks/student_run_times.py             # all six, 60 s limit each
    python benchmarks/student_run_times.py ps3_alpha --limit 90
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def run(ps: str, folder: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one filled notebook executed top to bottom."""
    import nbformat
    from nbclient import NotebookClient

    from from_memory.examples import submissions

    nb = submissions.passes_all(ps)
    path = folder / ps / f"{ps}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv=None) -> int:
    from from_memory import course

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="*", help="problem sets (default: all released)")
    parser.add_argument("--limit", type=float, default=60.0, help="seconds allowed per notebook")
    args = parser.parse_args(argv)
    os.environ.pop("FROM_MEMORY_ITERATIONS", None)  # the student's budget, the post's
    os.environ.pop("NBGRADER_EXECUTION", None)
    names = args.assignments or course.released(ROOT)
    slow = []
    with tempfile.TemporaryDirectory(prefix="student-run-") as work:
        for ps in names:
            load = os.getloadavg()[0]
            wall, cpu = run(ps, Path(work))
            print(f"{ps:16s} {wall:6.1f} s wall {cpu:6.1f} s CPU  (load average {load:.1f})", flush=True)
            if wall > args.limit:
                slow.append(ps)
    print(f"slowest allowed {args.limit:g} s; over it: {', '.join(slow) or 'none'}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
