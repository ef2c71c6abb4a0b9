"""Autograde one class four ways and compare: stock nbgrader, ours, bare execution, the floor.

1. stock: ``nbgrader autograde <ps>``, one command per problem set, serial, as shipped
   (``FROM_MEMORY_STOCK_AUTOGRADE=1``: the checks judged in the kernel);
2. ours: ``from-memory autograde --jobs N`` (all problem sets in one command);
3. plain: the same notebooks executed by nbclient alone (a fresh kernel each, N at a
   time, no nbgrader, no gradebook);
4. floor: the same notebooks' cells executed in forks of one warm interpreter with numpy,
   matplotlib, the kernel side and the judge imported (:mod:`floor`): what grading would
   cost with zero overhead.

Stock and ours start from identical fresh copies (config, source/, release/, the class's
submitted/ and a gradebook holding only the released assignments) and must end with
identical grades (checked). Plain and floor run the notebooks stock autograded (the
students' code with the tests restored, so the very same code). The class is the demo
class (``submitted/*/*`` of this course) when there is one, else a small class made with
the submission factory. Then, per notebook, where ours spends CPU (kernel start, the
instructor's setup cells with their imports, the student's cells, the checks in the
kernel, the judge in the grader, sanitizing and recording). The last line is
``speedup: X.XX  overhead: Y%``: speedup is stock wall clock over ours; overhead is ours
over the floor, CPU per notebook.

    python benchmarks/bench_autograde.py                     # jobs = number of CPUs
    python benchmarks/bench_autograde.py --jobs 2 --students 6
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from from_memory import course

BIN = Path(sys.executable).parent


def make_class(base: Path, students: int | None) -> str:
    """Fill ``base/submitted``: the demo class if this course has one, else a factory class."""
    demo = sorted(p for p in (ROOT / "submitted").glob("*") if p.is_dir() and any(p.iterdir()))
    if demo:
        for folder in demo[:students]:
            shutil.copytree(folder, base / "submitted" / folder.name)
        return f"demo class ({len(demo[:students])} students from {ROOT / 'submitted'})"
    from from_memory.examples import submissions

    count = students or 8
    for i in range(count):
        for ps in course.released(base):
            nb = submissions.passes_all(ps) if i % 2 == 0 else submissions.blank(ps)
            submissions.write_submission(nb, base, f"student{i:02d}", ps)
    return f"factory class ({count} students, half passes_all, half blank)"


def timed(command, cwd, env=None) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall seconds, CPU seconds of it and all it started, result) of a command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=cwd, env=env or course.environment(), capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done


def grades(root: Path) -> dict:
    """{(student, assignment, grade cell): (auto_score, needs_manual_grade)} from the gradebook."""
    grades = course.cell_grades(course.sqlite_url(root))
    return {key: (g.auto_score, g.needs_manual_grade) for key, g in grades.items()}


def course_settings(root: Path) -> dict:
    """Run the course's nbgrader_config.py as nbgrader would (its environment settings included)."""
    from traitlets.config import Config

    config = Config()
    code = compile((root / "nbgrader_config.py").read_text(), "nbgrader_config.py", "exec")
    exec(code, {"get_config": lambda: config, "__file__": str(root / "nbgrader_config.py")})  # noqa: S102 - the course's config, run as nbgrader does
    return config


def floor_of(notebooks: list[str], jobs: int) -> float:
    """CPU seconds of the floor (:mod:`floor`), measured in a process of its own."""
    code = (f"import sys, json; sys.path.insert(0, {str(ROOT / 'benchmarks')!r}); import floor; "
            f"print(json.dumps(floor.floor(json.loads(sys.argv[1]), {jobs})))")
    env = {**course.environment(), "FROM_MEMORY_ITERATIONS": "3000", "NBGRADER_EXECUTION": "autograde"}
    done = subprocess.run([sys.executable, "-c", code, json.dumps(notebooks)], env=env,
                          capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def breakdown(root: Path) -> dict[str, float]:
    """Mean CPU seconds per graded notebook by part, from the engine's status file."""
    from from_memory.engine.status import read_status

    rows = [o.cpu for o in read_status(root).values() if o.status == "graded" and o.cpu]
    names = ("start", "setup", "student", "checks", "judge", "record")
    return {name: sum(r.get(name, 0.0) for r in rows) / max(len(rows), 1) for name in names}


def _execute_plain(args) -> float:
    """Execute one notebook with nbclient in its folder; return its wall seconds."""
    path, timeout = args
    import nbformat
    from nbclient import NotebookClient

    started = time.perf_counter()
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=nb.metadata.get("kernelspec", {}).get("name", "python3"),
        resources={"metadata": {"path": os.path.dirname(path)}},
        allow_errors=True,
    ).execute()
    return time.perf_counter() - started


def _quiet() -> None:
    """Kernels inherit stderr; their start-up chatter is not part of the result."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)


def plain(notebooks: list[str], jobs: int, timeout) -> tuple[float, float]:
    """(wall, CPU) seconds to execute ``notebooks`` with nbclient, ``jobs`` at a time."""
    import multiprocessing

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    pool = multiprocessing.get_context("fork").Pool(jobs, initializer=_quiet)
    started = time.perf_counter()
    pool.map(_execute_plain, [(nb, timeout) for nb in notebooks], chunksize=1)
    wall = time.perf_counter() - started
    pool.close()
    pool.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count(), help="parallel notebooks (ours and plain)"
    )
    parser.add_argument("--students", type=int, default=None, help="use only the first N students")
    parser.add_argument("--keep", action="store_true", help="keep the temporary courses")
    args = parser.parse_args(argv)
    os.environ["PATH"] = course.environment()["PATH"]

    work = Path(tempfile.mkdtemp(prefix="bench-autograde-"))
    try:
        base = work / "base"
        base.mkdir()
        shutil.copy(ROOT / "nbgrader_config.py", base)
        for folder in ("source", "release"):
            shutil.copytree(ROOT / folder, base / folder)
        course.release(base)  # a fresh gradebook holding the released assignments
        what = make_class(base, args.students)
        names = [ps for ps in course.released(base) if course.students(base, ps)]
        stock, ours = work / "stock", work / "ours"
        shutil.copytree(base, stock)
        shutil.copytree(base, ours)
        n = sum(len(list((base / "submitted").glob(f"*/{ps}/*.ipynb"))) for ps in names)
        print(
            f"class: {what}; {n} notebooks in {len(names)} problem sets; jobs={args.jobs}; "
            f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )

        stock_env = {**course.environment(), "FROM_MEMORY_STOCK_AUTOGRADE": "1"}
        stock_wall = stock_cpu = 0.0
        for ps in names:
            wall, cpu, _ = timed([str(BIN / "nbgrader"), "autograde", ps], stock, env=stock_env)
            stock_wall, stock_cpu = stock_wall + wall, stock_cpu + cpu
        print(
            f"stock  nbgrader autograde (serial, {len(names)} commands): {stock_wall:7.1f} s wall "
            f"{stock_cpu:7.1f} s CPU  {60 * n / stock_wall:6.1f} notebooks/min",
            flush=True,
        )

        ours_wall, ours_cpu, done = timed(
            [str(BIN / "from-memory"), "autograde", "--jobs", str(args.jobs), *names], ours
        )
        print(
            f"ours   from-memory autograde --jobs {args.jobs}:        {ours_wall:7.1f} s wall "
            f"{ours_cpu:7.1f} s CPU  {60 * n / ours_wall:6.1f} notebooks/min",
            flush=True,
        )
        if done.returncode not in (0, 1):
            print(done.stderr[-2000:])
            return 1

        expected, got = grades(stock), grades(ours)
        same = expected == got
        print(f"grades identical: {'yes' if same else 'NO'} ({len(expected)} graded cells)")
        if not same:
            diff = sorted(k for k in expected.keys() | got.keys() if expected.get(k) != got.get(k))
            for key in diff[:10]:
                print(f"  {key}: stock {expected.get(key)}  ours {got.get(key)}")
            return 1

        settings = course_settings(stock)
        cell_timeout = settings.ExecutePreprocessor.get("timeout", 30)
        os.environ["NBGRADER_EXECUTION"] = "autograde"
        executed = sorted(str(p) for p in (stock / "autograded").glob("*/*/*.ipynb"))
        plain_copy = work / "plain"
        shutil.copytree(stock / "autograded", plain_copy)
        for p in plain_copy.rglob("*"):
            p.chmod(0o755 if p.is_dir() else 0o644)
        notebooks = [str(plain_copy / Path(p).relative_to(stock / "autograded")) for p in executed]
        plain_wall, plain_cpu = plain(notebooks, args.jobs, cell_timeout)
        print(
            f"plain  nbclient, {args.jobs} at a time:              {plain_wall:7.1f} s wall "
            f"{plain_cpu:7.1f} s CPU  {60 * len(notebooks) / plain_wall:6.1f} notebooks/min"
        )
        floor_cpu = floor_of(notebooks, args.jobs)
        print(f"floor  cells in forks of a warm interpreter:       {floor_cpu:7.1f} s CPU")

        per = {"stock": stock_cpu / n, "ours": ours_cpu / n, "plain": plain_cpu / len(notebooks),
               "floor": floor_cpu / len(notebooks)}
        print("per notebook, CPU: " + ", ".join(f"{k} {v:.3f} s" for k, v in per.items()))
        parts = breakdown(ours)
        print("ours, per notebook, CPU by part: " + ", ".join(f"{k} {v:.3f} s" for k, v in parts.items())
              + f"; the rest (grading workers, nbclient, process starts) "
              f"{per['ours'] - sum(parts.values()):.3f} s")
        print(f"ratios: speedup {stock_wall / ours_wall:.2f}x over stock (target >= 5); "
              f"CPU ours/plain {per['ours'] / per['plain']:.2f} (target <= 0.5); "
              f"ours/floor {per['ours'] / per['floor']:.2f} (target <= 1.5); "
              f"load average now {os.getloadavg()[0]:.1f}")
        overhead = (per["ours"] - per["floor"]) / per["floor"]
        print(f"speedup: {stock_wall / ours_wall:.2f}  overhead: {100 * overhead:.0f}%")
        return 0
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
