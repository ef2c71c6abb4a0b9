"""Autograde throughput on the demo class: the local pool, then a 2-worker Dask LocalCluster.

Copies the course (config, source/, release/) to a temporary folder, generates the demo
class there, releases it, then grades every submitted notebook with ``--force`` semantics,
once per executor, and prints notebooks per minute of autograde wall clock (sanitizing,
executing and recording all included). The cluster is started and its workers import
nbgrader before the clock starts, as a long-running cluster would have them.

    python benchmarks/bench_scale.py                 # local pool (all cores) and LocalCluster(2)
    python benchmarks/bench_scale.py --jobs 2 --workers 2 --repeat 2
    python benchmarks/bench_scale.py --skip-local --threads 2     # 2 notebooks at once per worker
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def make_course(folder: Path) -> Path:
    from from_memory import course
    from from_memory.examples import demo_class

    for name in ("source", "release"):
        shutil.copytree(REPO / name, folder / name)
    shutil.copy(REPO / "nbgrader_config.py", folder)
    demo_class.generate(folder)
    course.release(folder)
    return folder


def _warm() -> None:
    import nbgrader.preprocessors  # noqa: F401 - first use costs seconds in a fresh worker


def timed(root: Path, **kwargs) -> tuple[float, list]:
    from from_memory.engine.grading import autograde

    load = os.getloadavg()[0]
    started = time.perf_counter()
    outcomes = autograde(root, force=True, progress=False, **kwargs)
    seconds = time.perf_counter() - started
    print(f"  run: {seconds:.1f} s (1-minute load average before it: {load:.1f} on {os.cpu_count()} cores)", flush=True)
    return seconds, outcomes


def report(label: str, seconds: float, outcomes) -> dict:
    graded = sum(o.status == "graded" for o in outcomes)
    failed = sum(o.failed for o in outcomes)
    rate = 60 * len(outcomes) / seconds
    print(f"{label}: {len(outcomes)} notebooks ({graded} graded, {failed} flagged) in {seconds:.1f} s "
          f"= {rate:.0f} notebooks/min", flush=True)
    for o in outcomes:
        if o.failed:
            print(f"  flagged {o.line()}", flush=True)
    return {(o.student, o.assignment): (o.status, o.score) for o in outcomes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=None, help="local pool size (default: all cores)")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster workers")
    parser.add_argument("--threads", type=int, default=1, help="threads (notebooks at once) per worker")
    parser.add_argument("--skip-local", action="store_true", help="time the LocalCluster only")
    parser.add_argument("--repeat", type=int, default=1, help="runs per executor (the best is kept)")
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        root = make_course(Path(tmp) / "course")
        local_scores = None
        if not args.skip_local:
            local = min((timed(root, jobs=args.jobs) for _ in range(args.repeat)), key=lambda r: r[0])
            local_scores = report(f"local pool (jobs={args.jobs or 'all cores'})", *local)
        started = time.perf_counter()
        with LocalCluster(n_workers=args.workers, threads_per_worker=args.threads, processes=True,
                          dashboard_address=":0") as cluster, \
                Client(cluster) as client:
            client.run(_warm)
            print(f"LocalCluster start: {time.perf_counter() - started:.1f} s", flush=True)
            dask = min((timed(root, scheduler=client) for _ in range(args.repeat)), key=lambda r: r[0])
        dask_scores = report(f"Dask LocalCluster ({args.workers} workers x {args.threads} thread(s))", *dask)
        if local_scores is not None:
            same = "same" if dask_scores == local_scores else "DIFFERENT"
            print(f"{same} scores and statuses from both executors")


if __name__ == "__main__":
    main()
