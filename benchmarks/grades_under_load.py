"""Do grades depend on machine load? The demo class graded again and again beside a CPU hog.

Starts Debian's ``stress-ng`` (``--cpu`` workers on every core) beside the grader, then
grades the demo class ``--runs`` times, each time from a fresh copy of the course, and
compares every graded cell of every run's gradebook with the first run's. Prints one line
per run (wall clock, load average, notebooks that could not be graded, cells that differ)
and, last, ``identical: K/N runs`` (K = N when load never changed a grade).

    python benchmarks/grades_under_load.py                 # 10 runs, stress-ng on every core
    python benchmarks/grades_under_load.py --runs 3 --no-stress
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def fresh_course(folder: Path) -> Path:
    from from_memory import course
    from from_memory.examples import demo_class

    shutil.copy(ROOT / "nbgrader_config.py", folder)
    for name in ("source", "release"):
        shutil.copytree(ROOT / name, folder / name)
    demo_class.generate(folder)
    course.release(folder)
    return folder


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--no-stress", action="store_true", help="grade without the CPU hog")
    args = parser.parse_args(argv)

    from from_memory import course
    from from_memory.engine.grading import autograde

    os.environ["PATH"] = course.environment()["PATH"]
    hog = None
    if not args.no_stress:
        if not shutil.which("stress-ng"):
            print("stress-ng is missing: apt-get install stress-ng (or pass --no-stress)", file=sys.stderr)
            return 2
        hog = subprocess.Popen(["stress-ng", "--cpu", str(os.cpu_count()), "--quiet"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(5)  # let the load settle before the first run
    first = None
    same = 0
    try:
        for run in range(1, args.runs + 1):
            with tempfile.TemporaryDirectory(prefix="grades-under-load-") as work:
                root = fresh_course(Path(work))
                load = os.getloadavg()[0]
                started = time.perf_counter()
                outcomes = autograde(root, jobs=args.jobs, force=True, progress=False)
                seconds = time.perf_counter() - started
                grades = course.cell_grades(course.sqlite_url(root))
                failed = [o.line() for o in outcomes if o.failed]
            first = grades if first is None else first
            differ = sorted(k for k in first.keys() | grades.keys() if first.get(k) != grades.get(k))
            same += not differ
            print(f"run {run}: {len(outcomes)} notebooks in {seconds:.0f} s, load average {load:.1f}, "
                  f"{len(failed)} not graded, {len(differ)} of {len(grades)} graded cells differ from run 1",
                  flush=True)
            for line in failed + [f"  differs: {k}" for k in differ[:5]]:
                print(f"  {line}", flush=True)
    finally:
        if hog is not None:
            hog.terminate()
            hog.wait()
    print(f"identical: {same}/{args.runs} runs")
    return 0 if same == args.runs else 1


if __name__ == "__main__":
    sys.exit(main())
