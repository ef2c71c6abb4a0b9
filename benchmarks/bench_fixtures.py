"""Our engine vs stock ``nbgrader autograde`` on a course that is not this kit's course.

The course is made, in a temporary folder, of nbgrader's own test notebooks (shipped in
the installed wheel under ``nbgrader/tests/apps/files/``), paired as nbgrader's tests pair
them: a source notebook per problem, the students' submissions either the released
notebook untouched, a changed or solved one (nbgrader's ``*-changed`` files, or the
release with the solutions of a solved fixture pasted in), or a cheat attempt (nbgrader's
``submitted-cheat-attempt*`` files, or the release with its test cells replaced). Its
``nbgrader_config.py`` names the course and nothing else: no setting of this kit, so our
engine adds no limit of its own. A few students skip an assignment, miss a notebook or
hand in an extra copy of one.

From two identical copies (released, with the same submissions):

* stock: ``nbgrader autograde <assignment>``, one command per assignment, serial, as shipped;
* ours:  ``from-memory autograde --jobs N --course <copy>``.

Both are timed (wall clock, and CPU of every process they start) and every grade cell of
the two gradebooks is compared (auto_score, needs_manual_grade per student, assignment,
notebook and cell). The last line is ``speedup: X.XX  cpu ratio ours/stock: Y.YY``; the
exit status is 1 when the grades differ.

    python benchmarks/bench_fixtures.py                 # 16 students, --jobs 2
    python benchmarks/bench_fixtures.py --students 4 --keep
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_autograde import BIN, timed

from from_memory.engine.environment import environment

COURSE_ID = "fixtures"
CONFIG = f'c = get_config()  # noqa: F821\nc.CourseDirectory.course_id = "{COURSE_ID}"\n'

RELEASE = "<release>"  # the released notebook, untouched
BLANKED = "<tests blanked>"  # the release with every test cell's code replaced by `pass`
KINDS = ("unchanged", "changed", "cheat")


def solved(fixture: str) -> str:
    """The release with the solution cells of ``fixture`` (same grade ids) pasted in."""
    return f"<solved from {fixture}>"


# assignment -> notebook -> (source fixture, {kind: [submission variants]}); a student of
# kind k hands in the variants of k in turn.
COURSE = {
    "ps1_cells": {
        "p1": ("submitted-unchanged.ipynb", {
            "unchanged": ["submitted-unchanged.ipynb"],
            "changed": ["submitted-changed.ipynb", "submitted-grade-cell-changed.ipynb",
                        "submitted-locked-cell-changed.ipynb"],
            "cheat": ["submitted-cheat-attempt.ipynb", "submitted-cheat-attempt-alternative.ipynb"],
        }),
        "p2": ("test.ipynb", {
            "unchanged": [RELEASE],
            "changed": ["test.ipynb", "test-with-output.ipynb"],
            "cheat": [BLANKED],
        }),
    },
    "ps2_hidden": {
        "p1": ("test-hidden-tests.ipynb", {
            "unchanged": [RELEASE],
            "changed": [solved("test.ipynb"), "test-hidden-tests.ipynb"],
            "cheat": [BLANKED],
        }),
        "p2": ("validation-zero-points.ipynb", {
            "unchanged": [RELEASE],
            "changed": [solved("test.ipynb")],
            "cheat": [BLANKED],
        }),
    },
    "ps3_files": {
        "open_relative_file": ("open_relative_file.ipynb", {
            "unchanged": [RELEASE], "changed": [RELEASE], "cheat": [RELEASE],
        }),
        "env": ("validating-environment-variable.ipynb", {
            "unchanged": [RELEASE], "changed": ["validating-environment-variable.ipynb"],
            "cheat": [BLANKED],
        }),
        "side_effects": ("side-effects.ipynb", {
            "unchanged": [RELEASE], "changed": [RELEASE], "cheat": [RELEASE],
        }),
    },
    "ps4_autotest": {
        "simple": ("autotest-simple.ipynb", {
            "unchanged": ["autotest-simple-unchanged.ipynb"],
            "changed": ["autotest-simple-changed.ipynb"], "cheat": [BLANKED],
        }),
        "multi": ("autotest-multi.ipynb", {
            "unchanged": ["autotest-multi-unchanged.ipynb"],
            "changed": ["autotest-multi-changed.ipynb"], "cheat": [BLANKED],
        }),
        "hashed": ("autotest-hashed.ipynb", {
            "unchanged": ["autotest-hashed-unchanged.ipynb"],
            "changed": ["autotest-hashed-changed.ipynb"], "cheat": [BLANKED],
        }),
        "hidden": ("autotest-hidden.ipynb", {
            "unchanged": ["autotest-hidden-unchanged.ipynb"],
            "changed": ["autotest-hidden-changed-right.ipynb"],
            "cheat": ["autotest-hidden-changed-wrong.ipynb"],
        }),
    },
    "ps5_slow": {
        "p1": ("test.ipynb", {
            "unchanged": [RELEASE], "changed": ["test.ipynb"], "cheat": [BLANKED],
        }),
        "sleepy": ("timeout.ipynb", {  # its solution sleeps 5 s
            "unchanged": [RELEASE], "changed": ["timeout.ipynb"], "cheat": [BLANKED],
        }),
    },
}
# Course files next to the notebooks (released with them, restored by autograde).
EXTRA_FILES = {"ps3_files": ["data.txt"], "ps1_cells": ["jupyter.png"]}


def fixtures_dir() -> Path:
    import nbgrader

    return Path(nbgrader.__file__).parent / "tests" / "apps" / "files"


def clean_env() -> dict[str, str]:
    """This interpreter's environment without the kit's own variables (a course of its own)."""
    return {k: v for k, v in environment().items() if not k.startswith("FROM_MEMORY_")}


def _lines(source) -> str:
    return "".join(source) if isinstance(source, list) else source


def _solution_code(source: str) -> str:
    """A solution cell's code without nbgrader's solution delimiters."""
    return "\n".join(line for line in source.splitlines()
                     if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def submission(variant: str, release_nb: Path, files: Path) -> dict:
    """The notebook a student hands in for ``variant`` (see :data:`COURSE`)."""
    if variant not in (RELEASE, BLANKED) and not variant.startswith("<solved"):
        return json.loads((files / variant).read_text())
    nb = json.loads(release_nb.read_text())
    if variant.startswith("<solved"):
        solved_nb = json.loads((files / variant[len("<solved from "):-1]).read_text())
        answers = {c["metadata"]["nbgrader"]["grade_id"]: _lines(c["source"])
                   for c in solved_nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("solution")}
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if variant == BLANKED and cell["cell_type"] == "code" and meta.get("grade") and not meta.get("solution"):
            cell["source"] = "pass"
        elif variant.startswith("<solved") and meta.get("solution") and meta.get("grade_id") in answers:
            cell["source"] = _solution_code(answers[meta["grade_id"]])
    return nb


def build_course(base: Path, students: int) -> tuple[str, int]:
    """Source, release, gradebook and submitted/ of the fixture course in ``base``."""
    files = fixtures_dir()
    (base / "nbgrader_config.py").write_text(CONFIG)
    shutil.copy(files / "autotests.yml", base / "autotests.yml")
    for ps, notebooks in COURSE.items():
        folder = base / "source" / ps
        folder.mkdir(parents=True)
        for name, (source, _) in notebooks.items():
            shutil.copy(files / source, folder / f"{name}.ipynb")
        for extra in EXTRA_FILES.get(ps, []):
            shutil.copy(files / extra, folder / extra)
    for ps in COURSE:
        _, _, done = timed([str(BIN / "nbgrader"), "generate_assignment", ps], base, env=clean_env())
        if done.returncode != 0:
            raise SystemExit(f"nbgrader generate_assignment {ps} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    count = 0
    for i in range(students):
        student, kind = f"student{i:02d}", KINDS[i % len(KINDS)]
        for j, (ps, notebooks) in enumerate(COURSE.items()):
            if i % 7 == 6 and j == i % len(COURSE):  # this student skips this assignment
                continue
            folder = base / "submitted" / student / ps
            shutil.copytree(base / "release" / ps, folder)
            for k, (name, (_, variants)) in enumerate(notebooks.items()):
                if i % 5 == 4 and k == 1:  # a notebook missing from the submission
                    (folder / f"{name}.ipynb").unlink()
                    continue
                chosen = variants[kind][(i // len(KINDS)) % len(variants[kind])]
                nb = submission(chosen, base / "release" / ps / f"{name}.ipynb", files)
                (folder / f"{name}.ipynb").write_text(json.dumps(nb, indent=1))
                count += 1
                if i == 10 and k == 0:  # a copy nbgrader does not grade
                    (folder / f"{name} copy.ipynb").write_text(json.dumps(nb, indent=1))
            if (folder / "data.txt").exists() and kind != "unchanged":  # deleted or overwritten
                data = folder / "data.txt"
                data.unlink() if kind == "changed" else data.write_text("not the course's data\n")
    kinds = ", ".join(f"{sum(i % 3 == n for i in range(students))} {k}" for n, k in enumerate(KINDS))
    return f"nbgrader's fixture notebooks, {students} students ({kinds})", count


def gradebook_grades(root: Path) -> dict[tuple, tuple]:
    """{(student, assignment, notebook, grade cell): (auto_score, needs_manual_grade)}."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", COURSE_ID) as gradebook:
        return {
            (submission.student.id, assignment.name, notebook.name, grade.name):
                (grade.auto_score, grade.needs_manual_grade)
            for assignment in gradebook.assignments
            for submission in gradebook.assignment_submissions(assignment.name)
            for notebook in submission.notebooks
            for grade in notebook.grades
        }


def compare(expected: dict, got: dict) -> bool:
    """Print ``grades identical: ...`` and the first differences; True when identical."""
    same = expected == got
    print(f"grades identical: {'yes' if same else 'NO'} ({len(expected)} graded cells)")
    if not same:
        diff = sorted(k for k in expected.keys() | got.keys() if expected.get(k) != got.get(k))
        print(f"  {len(diff)} cells differ; the first (auto_score, needs_manual_grade):")
        for key in diff[:10]:
            print(f"  {'/'.join(key)}: stock {expected.get(key, 'absent')}  ours {got.get(key, 'absent')}")
    return same


def stock_errors(log: str) -> list[str]:
    return [line.strip() for line in log.splitlines() if "ERROR]" in line][:10]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=16)
    parser.add_argument("--jobs", type=int, default=2, help="notebooks ours runs at once")
    parser.add_argument("--keep", action="store_true", help="keep the temporary courses")
    args = parser.parse_args(argv)
    env = clean_env()

    work = Path(tempfile.mkdtemp(prefix="bench-fixtures-"))
    try:
        base = work / "base"
        base.mkdir()
        what, n = build_course(base, args.students)
        stock, ours = work / "stock", work / "ours"
        shutil.copytree(base, stock)
        shutil.copytree(base, ours)
        print(f"class: {what}; {n} notebooks in {len(COURSE)} assignments; jobs={args.jobs}; "
              f"{os.cpu_count()} CPUs; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
              flush=True)

        stock_wall = stock_cpu = 0.0
        stock_log = ""
        for ps in COURSE:
            wall, cpu, done = timed([str(BIN / "nbgrader"), "autograde", ps], stock, env=env)
            stock_wall, stock_cpu = stock_wall + wall, stock_cpu + cpu
            stock_log += done.stdout + done.stderr
            if done.returncode != 0:
                print(f"  stock: `nbgrader autograde {ps}` exited {done.returncode}")
        print(f"stock  nbgrader autograde (serial, {len(COURSE)} commands): {stock_wall:7.1f} s wall "
              f"{stock_cpu:7.1f} s CPU  {60 * n / stock_wall:6.1f} notebooks/min", flush=True)
        for line in stock_errors(stock_log):
            print(f"  stock: {line}")

        ours_wall, ours_cpu, done = timed(
            [str(BIN / "from-memory"), "autograde", "--jobs", str(args.jobs), "--course", str(ours)],
            ours, env=env)
        print(f"ours   from-memory autograde --jobs {args.jobs}:        {ours_wall:7.1f} s wall "
              f"{ours_cpu:7.1f} s CPU  {60 * n / ours_wall:6.1f} notebooks/min", flush=True)
        failed = [line for line in done.stdout.splitlines() if ": failed: " in line]
        for line in failed:
            print(f"  ours: {line}")
        if done.returncode not in (0, 1) or (done.returncode and not failed):
            print(f"  ours exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")

        same = compare(gradebook_grades(stock), gradebook_grades(ours))
        print(f"speedup: {stock_wall / ours_wall:.2f}  cpu ratio ours/stock: {ours_cpu / stock_cpu:.2f}")
        return 0 if same else 1
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
