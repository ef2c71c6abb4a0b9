"""Grade the adversarial corpus through the real pipeline and check every outcome.

``python -m from_memory.examples.adversarial`` (or ``make adversarial``) builds a temporary
course (a copy of ``nbgrader_config.py``, ``source/`` and ``release/``), hands in
the corpus of ``tests/adversarial/corpus.py`` next to a few honest students, and
runs release -> autograde -> verify -> grades -> class report. Then it checks:

* each case's outcome (score or flag in ``reports/grades.csv``) is the expected one;
* the batch completed: every notebook has an autograde outcome and a verify result;
* every honest student's step scores equal those of a batch of honest students alone;
* every submitted file is byte-identical after grading;
* nothing was written outside the course's output folders, nor into a canary folder
  beside the course;
* no process started while grading is still running afterwards.

It prints a table ``case | expected | actual | ok`` and, last, ``adversarial: K/N as expected``;
the exit status is 1 unless K == N.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from from_memory import course

REPO = Path(__file__).resolve().parents[2]
# What grading may write in the course folder (everything else must stay as it was).
OUTPUTS = ("autograded/", "feedback/", "reports/", "gradebook.db")
TIMEOUT = 30  # seconds of wall clock per notebook: the infinite loop costs this much


@dataclass(frozen=True)
class Row:
    case: str
    expected: str
    actual: str
    ok: bool


def load_corpus():
    """The hostile corpus (:mod:`from_memory.examples.hostile`)."""
    from from_memory.examples import hostile

    return hostile


def matches(expected: str, actual: str) -> bool:
    """``graded: S/M`` must be equal; ``flagged: text`` must be flagged with ``text`` in the reason."""
    kind, _, detail = expected.partition(": ")
    if kind == "graded":
        return actual == expected
    if kind == "flagged":
        return actual.startswith("flagged: ") and detail in actual
    raise ValueError(f"an expected outcome starts with 'graded: ' or 'flagged: ', got {expected!r}")


# -- the course ---------------------------------------------------------------------


def make_course(folder: Path, assignment: str) -> Path:
    """A course in ``folder``: the repository's config, source/ and release/, ``assignment`` released."""
    folder.mkdir(parents=True)
    shutil.copy(REPO / course.CONFIG_FILE, folder / course.CONFIG_FILE)
    for part in ("source", "release"):
        shutil.copytree(
            REPO / part, folder / part, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_*")
        )
    course.release(folder, [assignment])
    return folder


def hand_in(root: Path, student: str, assignment: str, made) -> Path:
    path = root / "submitted" / student / assignment / f"{assignment}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(made, bytes):
        path.write_bytes(made)
    else:
        nbformat.write(made, path)
    return path


def fingerprints(*folders: Path) -> dict[str, str]:
    """``{path: sha256}`` of every file under ``folders``."""
    found = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def step_scores(root: Path, assignment: str) -> dict[tuple[str, str], tuple]:
    """``{(student, grade_id): (score, needs_manual_grade)}`` from the gradebook."""
    grades = course.cell_grades(course.sqlite_url(root), [assignment])
    return {
        (student, cell): (g.score, g.needs_manual_grade) for (student, _, cell), g in grades.items()
    }


def kill_processes_under(folder: Path) -> list[str]:
    """Kill every process whose working folder is under ``folder``; describe each one killed."""
    import os
    import signal

    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            cwd = os.readlink(entry / "cwd")
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        if cwd == str(folder) or cwd.startswith(str(folder) + "/"):
            found.append(f"{command} (in {Path(cwd).relative_to(folder)})")
            try:
                os.kill(int(entry.name), signal.SIGKILL)
            except OSError:
                pass
    return found


def grade_rows(root: Path) -> dict[str, dict]:
    with (root / course.GRADES_CSV).open(newline="") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


def outcome(row: dict | None, expected: str) -> str:
    """What ``grades.csv`` says of a student: ``flagged: <reason>`` or ``graded: S/M``."""
    if row is None:
        return "missing from grades.csv"
    if row.get("flag"):
        reasons = row["flag"].split("; ")
        wanted = expected.partition(": ")[2]
        return "flagged: " + next((r for r in reasons if wanted and wanted in r), reasons[0])
    return f"graded: {float(row['score']):g}/{float(row['max_score']):g}"


def _grade(root: Path, assignment: str, jobs: int, timeout: float, log) -> list:
    from from_memory.engine.grading import autograde

    started = time.monotonic()
    outcomes = autograde(root, [assignment], jobs=jobs, timeout=timeout, force=True, progress=False)
    log(f"autograde {root.name}: {len(outcomes)} notebooks in {time.monotonic() - started:.0f} s")
    return outcomes


# -- the run ------------------------------------------------------------------------


def run(
    workdir: Path | None = None, *, jobs: int = 2, timeout: float = TIMEOUT, only=None, log=None
) -> list[Row]:
    """Grade the corpus (cases named in ``only``, default all) and return one row per check."""
    from from_memory.course import verify as verify_stage
    from from_memory.course.report import write_report

    corpus = load_corpus()
    cases = [c for c in corpus.CASES if only is None or c.name in only]
    log = log or (lambda text: print(text, file=sys.stderr, flush=True))
    base = Path(tempfile.mkdtemp(prefix="from-memory-adversarial-", dir=workdir))
    assignment = corpus.PS
    started = time.monotonic()
    released = make_course(base / "released", assignment)
    log(f"released {assignment} in {time.monotonic() - started:.0f} s")
    clean_root = Path(shutil.copytree(released, base / "clean-only"))
    root = Path(shutil.copytree(released, base / "course"))
    canary = base / "canary"
    canary.mkdir()
    (canary / "do-not-touch.txt").write_text("grading must never write here\n")
    context = corpus.Context(root, canary)

    for student, build in corpus.CLEAN.items():
        hand_in(clean_root, student, assignment, build(corpus.Context(clean_root, canary)))
        hand_in(root, student, assignment, build(context))
    for case in cases:
        hand_in(root, case.name, assignment, case.build(context))
    before = fingerprints(base)

    _grade(clean_root, assignment, jobs, timeout, log)
    course.export_grades(clean_root)
    outcomes = _grade(root, assignment, jobs, timeout, log)
    checked = verify_stage.verify(root, [assignment], jobs=jobs)
    course.export_grades(root)
    verify_stage.add_flag_column(root)
    report = write_report(root).read_text(encoding="utf-8")
    log(f"whole run {time.monotonic() - started:.0f} s")
    after = fingerprints(base)

    rows = []
    grades = grade_rows(root)
    for case in cases:
        actual = outcome(grades.get(case.name), case.expected)
        submitted = str(root / "submitted" / case.name / assignment / f"{assignment}.ipynb")
        if before[submitted] != after.get(submitted):
            actual += " (and its submitted file changed)"
        rows.append(
            Row(
                case.name,
                case.expected,
                actual,
                matches(case.expected, actual) and before[submitted] == after.get(submitted),
            )
        )

    clean_scores, mixed_scores = step_scores(clean_root, assignment), step_scores(root, assignment)
    for student in corpus.CLEAN:
        want = {k: v for k, v in clean_scores.items() if k[0] == student}
        got = {k: v for k, v in mixed_scores.items() if k[0] == student}
        expected = outcome(grade_rows(clean_root).get(student), "") + " (as in a clean-only batch)"
        actual = outcome(grades.get(student), "")
        same = bool(want) and want == got and not grades.get(student, {}).get("flag")
        rows.append(
            Row(student, expected, actual + ("" if want == got else " (step scores differ)"), same)
        )

    every = {c.name for c in cases} | set(corpus.CLEAN)
    graded = {o.student for o in outcomes if o.status in ("graded", "failed")}
    verified = {v.student for v in checked}
    rows.append(
        Row(
            "(batch) completed",
            f"{len(every)} notebooks graded or failed, and verified",
            f"{len(graded & every)} graded or failed, {len(verified & every)} verified",
            graded >= every and verified >= every,
        )
    )
    changed_submissions = [p for p in before if "/submitted/" in p and before[p] != after.get(p)]
    rows.append(
        Row(
            "(files) submitted notebooks",
            "byte-identical after grading",
            f"{len(changed_submissions)} changed",
            not changed_submissions,
        )
    )
    outside = sorted(
        str(Path(p).relative_to(base))
        for p in set(before) | set(after)
        if before.get(p) != after.get(p)
        and not (
            p.startswith(str(root) + "/")
            and Path(p).relative_to(root).as_posix().startswith(OUTPUTS)
        )
        and not p.startswith(str(clean_root) + "/")
    )
    rows.append(
        Row(
            "(files) nothing written outside",
            "only autograded/, feedback/, reports/, gradebook.db; canary untouched",
            ", ".join(outside[:3]) or "nothing outside",
            not outside,
        )
    )
    left = kill_processes_under(base)
    rows.append(
        Row(
            "(processes) nothing left running",
            "no process started by grading outlives it",
            ", ".join(left[:3]) or "none",
            not left,
        )
    )
    flagged = [c.name for c in cases if grades.get(c.name, {}).get("flag")]
    section = report.partition("<h3>Flagged submissions</h3>")[2].partition("</section>")[0]
    missing = [name for name in flagged if f"<td>{name}</td>" not in section]
    rows.append(
        Row(
            "(report) flagged section",
            f"{len(flagged)} flagged students listed",
            f"missing: {', '.join(missing)}" if missing else f"{len(flagged)} listed",
            not missing,
        )
    )
    return rows


def table(rows: list[Row]) -> str:
    widths = [max(len(h), *(len(getattr(r, h)) for r in rows)) for h in ("case", "expected")]
    lines = [f"{'case':<{widths[0]}} | {'expected':<{widths[1]}} | actual | ok"]
    for r in rows:
        lines.append(
            f"{r.case:<{widths[0]}} | {r.expected:<{widths[1]}} | {r.actual} | {'ok' if r.ok else 'NO'}"
        )
    return "\n".join(lines)


def summary(rows: list[Row]) -> str:
    return f"adversarial: {sum(r.ok for r in rows)}/{len(rows)} as expected"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m from_memory.examples.adversarial", description=__doc__.split("\n")[0]
    )
    parser.add_argument("cases", nargs="*", help="only these corpus cases (default: all)")
    parser.add_argument(
        "--jobs", "-j", type=int, default=2, help="notebooks graded at once (default: 2)"
    )
    parser.add_argument(
        "--timeout", type=float, default=TIMEOUT, help=f"seconds per notebook (default: {TIMEOUT})"
    )
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        metavar="DIR",
        help="build the temporary courses in DIR and leave them there",
    )
    args = parser.parse_args(argv)
    course.skip_slow_unused_imports()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="from-memory-adversarial-") as scratch:
        rows = run(
            args.keep or Path(scratch),
            jobs=args.jobs,
            timeout=args.timeout,
            only=args.cases or None,
        )
    print(table(rows))
    print(summary(rows))
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
