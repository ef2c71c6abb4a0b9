"""Verify: after autograde, look at every submission once more, outside the student's kernel.

For each submitted notebook:

* **autograde**: the reason it could not be graded, from ``reports/autograde_status.json``;
* **structure**: its nbgrader cells against the released notebook's: a test cell
  deleted, a cell duplicated, cells out of order, a cell's nbgrader metadata changed
  (points, grade, lock), a cell that claims to be the instructor's but is not;
* **scan**: :func:`from_memory.course.integrity.scan` of the code the student wrote (judged
  by the release's cells, not by metadata the student could have edited);
* **sandbox**: a write the kernel's sandbox refused, as it shows in a student's cell;
* **re-check**: for a notebook graded by stock nbgrader (its checks judged inside the
  student's kernel, where code can patch them), test cells that passed there but fail
  when the notebook is executed again on the grading engine, its checks judged in the
  grader's process. A notebook the engine graded needs no re-check: no code of the
  student's ever ran next to its judge.

Every finding is a flag with a one-line reason. All of them go to
``reports/integrity.json``; :func:`add_flag_column` puts them in ``reports/grades.csv``
(column ``flag``) and the class report lists them under flagged submissions.

    from from_memory.course.verify import verify
    results = verify(".", ["ps1_forward"], jobs=2)
"""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from from_memory import course
from from_memory.course import integrity
from from_memory.course.findings import Finding
from from_memory.course.structure import structure, trusted_view

INTEGRITY_FILE = Path("reports") / "integrity.json"
FLAG_COLUMN = "flag"
# What reading a file that is not a notebook raises (nbformat's NotJSONError is a ValueError;
# JSON of the wrong shape fails on its first missing or mistyped field).
UNREADABLE = (OSError, ValueError, TypeError, AttributeError, KeyError)
LINE_LIMIT = 300  # characters of a flag line in grades.csv
KINDS = ("autograde", "file", "structure", "scan", "sandbox", "recheck")
# How a write the sandbox refused looks in a cell's error output (open(), os.*, sqlite3).
# How a refused read or write shows in a cell's error: Python's own, and sqlite's two (the gradebook
# unreadable, or readable but not writable where only writes are refused).
REFUSED = ("[Errno 13] Permission denied", "unable to open database file", "attempt to write a readonly database")


@dataclass
class Verification:
    """What verify found about one submitted notebook."""

    student: str
    assignment: str
    notebook: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        return bool(self.findings)

    def line(self) -> str:
        where = f"{self.student}/{self.assignment}"
        return (
            f"{where}: flagged: {flag_line(f.reason for f in self.findings)}"
            if self.flagged
            else f"{where}: ok"
        )


def flag_line(reasons) -> str:
    """The reasons as one line, each once, cut at :data:`LINE_LIMIT` characters."""
    text = "; ".join(dict.fromkeys(" ".join(r.split()) for r in reasons))
    return text if len(text) <= LINE_LIMIT else text[: LINE_LIMIT - 3] + "..."


def _read(path: Path):
    import nbformat

    return nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)


@dataclass
class _Todo:
    """One submitted notebook: what the parent found, and the autograded notebook to re-grade."""

    result: Verification
    regrade: Path | None = None  # graded in the kernel (stock nbgrader): judge it once more, here
    autograded: Path | None = None


def _look(root: Path, student, assignment, notebook, outcome) -> _Todo:
    """The checks that read files only (structure, scan, refused writes)."""
    import nbformat

    todo = _Todo(Verification(student, assignment, notebook))
    add = todo.result.findings.append
    failed_reason = outcome.reason if outcome is not None and outcome.failed else ""
    if failed_reason:
        add(Finding("autograde", f"could not be graded: {failed_reason}"))
    released = _read(root / "release" / assignment / f"{notebook}.ipynb")
    try:
        submitted = _read(root / "submitted" / student / assignment / f"{notebook}.ipynb")
        found = structure(submitted, released)
        found += [
            Finding("scan", f.reason, f.where)
            for f in integrity.scan(trusted_view(submitted, released))
        ]
    except (*UNREADABLE, nbformat.ValidationError) as error:  # not JSON, empty, JSON not a notebook
        if not failed_reason:
            reason = f"the submitted file is not a readable notebook ({type(error).__name__})"
            add(Finding("file", reason))
        return todo
    todo.result.findings.extend(found)
    autograded = root / "autograded" / student / assignment / f"{notebook}.ipynb"
    if autograded.is_file():
        view = trusted_view(_read(autograded), released)
        for where, error in refused_access(view):
            add(Finding("sandbox", f"tried to reach files outside its folder, refused by the sandbox ({error})", where))
        todo.autograded = autograded
        if outcome is None or not outcome.judged:
            todo.regrade = autograded
    return todo


def refused_access(notebook) -> list[tuple[str, str]]:
    """``(where, error)`` for each of the student's cells whose run ended in a refused read or write.

    The grading kernel may write only in its own folder and may not read the course's own
    (:mod:`from_memory.engine.sandbox`); elsewhere its opens fail with ``EACCES``, which
    shows as one of these errors.
    A student who catches the error hides it from here (the write is refused all the same).
    """
    found = []
    for index, cell in enumerate(notebook.cells):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or meta.get("locked") or meta.get("grade"):
            continue
        where = meta.get("grade_id") or f"cell {index + 1}"
        for output in cell.get("outputs", []):
            error = f"{output.get('ename', '')}: {output.get('evalue', '')}"
            if output.get("output_type") == "error" and any(sign in error for sign in REFUSED):
                found.append((where, error if len(error) <= 120 else error[:117] + "..."))
    return found


def test_cell_results(notebook) -> dict[str, tuple[bool, str]]:
    """``{grade_id: (passed, first line of its message)}`` of each graded test cell that calls a check."""
    from from_memory.judge.checks import test_cell_checks

    results = {}
    for cell in notebook.cells:
        if not test_cell_checks(cell):
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        message = (str(errors[0].get("evalue", "")).splitlines() or [""])[0] if errors else ""
        results[cell.metadata["nbgrader"]["grade_id"]] = (not errors, message)
    return results


def regrade(root: Path, paths: list[Path], jobs: int) -> dict[Path, dict | str]:
    """Execute each notebook again on the grading engine, its checks judged outside the kernel.

    Each runs in a copy of its folder, under the course's strict limits. Returns, per path,
    the regraded notebook (a dict), or the one-line reason it could not be run.
    """
    import shutil

    from from_memory.engine.converter import course_limits
    from from_memory.engine.grading import nbgrader_app
    from from_memory.engine.pool import LocalPool
    from from_memory.engine.worker import Job

    app = nbgrader_app(root)
    clock = {k: v for k, v in app.config.ParallelAutograde.items() if k in ("clock", "wall_factor")}
    limits = course_limits(app.coursedir, sandbox="strict", memory_mb=integrity.MEMORY_MB,
                           timeout=integrity.RECHECK_TIMEOUT, **clock)  # timed as the course grades
    results: dict[Path, dict | str] = {}
    with tempfile.TemporaryDirectory(prefix="from-memory-regrade-") as scratch:
        pool = LocalPool(jobs, app.config, limits)
        keys, todo = {}, list(enumerate(paths))
        try:
            while todo or keys:
                while todo and pool.has_room():
                    key, path = todo.pop(0)
                    copy_dir = Path(scratch) / str(key)
                    shutil.copytree(path.parent, copy_dir)
                    for item in copy_dir.rglob("*"):
                        item.chmod(0o755 if item.is_dir() else 0o644)
                    keys[key] = path
                    pool.submit(Job(key, [str(copy_dir / path.name)], dict(os.environ, NBGRADER_EXECUTION="autograde")))
                for result in pool.results():
                    path = keys.pop(result.key)
                    notebook = result.notebooks[0]
                    results[path] = notebook.notebook if notebook.ok else notebook.reason
        finally:
            pool.close()
    return results


def disagreements(autograded: Path, regraded: dict | str) -> list[Finding]:
    """Test cells that passed when graded in the kernel but fail when judged by the grader."""
    import nbformat

    if isinstance(regraded, str):
        return [Finding("recheck", f"the re-grade outside the kernel could not run: {regraded}", "*")]
    before = test_cell_results(_read(autograded))
    after = test_cell_results(nbformat.from_dict(regraded))
    findings = []
    for grade_id, (passed, _) in before.items():
        again = after.get(grade_id)
        if passed and again is not None and not again[0]:
            findings.append(Finding(
                "recheck", f"passed when judged in the kernel but fails when judged by the grader: {again[1]}",
                grade_id))
    return findings


# -- the stage --------------------------------------------------------------------------


def verify(
    course_root=".",
    assignments=None,
    *,
    student: str | None = None,
    jobs: int | None = None,
    progress=None,
) -> list[Verification]:
    """Verify every submitted notebook of ``assignments`` (default: all), ``jobs`` at a time.

    Run after autograde. A notebook graded by the grading engine had its checks judged
    outside the kernel already; one graded by stock nbgrader (in the kernel) is executed
    once more on the engine and flagged where a check that passed now fails. Writes
    ``reports/integrity.json`` (merged with earlier results of other notebooks) and
    returns one :class:`Verification` per notebook. ``progress`` is a writable stream
    for one line per notebook (default: none).
    """
    from from_memory.engine.status import read_status

    root = Path(course_root).resolve()
    names = course.choose_assignments(root, assignments)
    course.require_released(root, names)
    course.require_submissions(root, names, student)
    status = read_status(root)
    jobs = max(1, int(jobs or os.cpu_count() or 1))
    todos = []
    for assignment in names:
        for who in course.students(root, assignment):
            if student is not None and who != student:
                continue
            for path in sorted((root / "submitted" / who / assignment).glob("*.ipynb")):
                if not (root / "release" / assignment / path.name).is_file():
                    continue  # not part of the assignment: nbgrader does not grade it either
                todos.append(_look(root, who, assignment, path.stem, status.get((who, assignment, path.stem))))
    again = regrade(root, [t.regrade for t in todos if t.regrade is not None], jobs)
    for todo in todos:
        if todo.regrade is not None:
            todo.result.findings.extend(disagreements(todo.regrade, again[todo.regrade]))
        if progress:
            progress.write(todo.result.line() + "\n")
            progress.flush()
    results = [t.result for t in todos]
    _save(root, results)
    return results


def _save(root: Path, results: list[Verification]) -> Path:
    path = root / INTEGRITY_FILE
    rows = {(r["student"], r["assignment"], r["notebook"]): r for r in _rows(root)}
    for result in results:
        rows[(result.student, result.assignment, result.notebook)] = asdict(result)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([rows[key] for key in sorted(rows)], indent=1) + "\n")
    return path


def _rows(root: Path) -> list[dict]:
    path = Path(root) / INTEGRITY_FILE
    return json.loads(path.read_text()) if path.is_file() else []


def read_findings(course_root=".", kinds=KINDS) -> dict[tuple[str, str], list[Finding]]:
    """``{(student, assignment): [Finding]}`` of flagged submissions, from ``reports/integrity.json``."""
    found: dict[tuple[str, str], list[Finding]] = {}
    for row in _rows(course_root):
        findings = [Finding(**f) for f in row["findings"] if f["kind"] in kinds]
        if findings:
            found.setdefault((row["student"], row["assignment"]), []).extend(findings)
    return found


def add_flag_column(course_root=".") -> Path:
    """Add (or refresh) the ``flag`` column of ``reports/grades.csv`` from ``reports/integrity.json``.

    A flagged submission without a row (nbgrader never recorded it) gets a row of its own.
    """
    root = Path(course_root).resolve()
    path = root / course.GRADES_CSV
    if not path.is_file():
        raise course.CourseError(f"no {course.GRADES_CSV} yet: run `from-memory grades` first")
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        columns = [c for c in reader.fieldnames or [] if c != FLAG_COLUMN] + [FLAG_COLUMN]
        rows = list(reader)
    flags = {
        key: flag_line(f.reason for f in findings) for key, findings in read_findings(root).items()
    }
    listed = set()
    for row in rows:
        key = (row.get("student_id", ""), row.get("assignment", ""))
        listed.add(key)
        row[FLAG_COLUMN] = flags.get(key, "")
    for (student, assignment), line in sorted(flags.items()):
        if (student, assignment) not in listed:
            rows.append({"assignment": assignment, "student_id": student, FLAG_COLUMN: line})
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


def main(argv=None) -> int:
    """``python -m from_memory.course.verify [PS...]`` from a course folder."""
    args = list(sys.argv[1:] if argv is None else argv)
    results = verify(course.find_course_root(), args or None, progress=sys.stdout)
    print(
        f"{sum(r.flagged for r in results)} of {len(results)} notebooks flagged; see {INTEGRITY_FILE}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
