"""Grade the corpora through the real pipeline, in one batch, and check every outcome.

``python -m from_memory.examples.adversarial`` (or ``make adversarial``) builds a temporary
course (a copy of ``nbgrader_config.py``, ``source/`` and ``release/``), hands in the
hostile corpus (:mod:`from_memory.examples.hostile`) next to a few honest students, and
runs release -> autograde -> verify -> grades -> feedback -> class report, all problem
sets in one batch. ``python -m from_memory.examples.honest`` runs the same batch with
the honest corpus added. Then it checks:

* each case's outcome (automatic points from the gradebook, flag from verify) is the
  expected one, its test cells say what the case expects, and where asked its feedback
  page shows no hidden test;
* the batch completed: every notebook has an autograde outcome and a verify result;
* every honest student's step scores equal those of a batch of honest students alone;
* every submitted file is byte-identical after grading;
* nothing was written outside the course's output folders, nor into a canary folder
  beside the course;
* no process started while grading is still running afterwards;
* the class report lists every flagged notebook, and ``grades.csv`` every flag;
* no feedback page shows the source of a hidden test.

It prints a table ``case | expected | actual | ok`` and, last, ``adversarial: K/N as expected``;
the exit status is 1 unless K == N.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.server
import importlib
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from from_memory import course
from from_memory.course import handback
from from_memory.examples import evidence
from from_memory.examples.corpus import Context, matches, outcome_of
from from_memory.examples.submissions import ASSIGNMENTS

REPO = Path(__file__).resolve().parents[2]
# What grading may write in the course folder (everything else must stay as it was).
OUTPUTS = ("autograded/", "feedback/", "reports/", "gradebook.db")
TIMEOUT = 60  # seconds per notebook (CPU time, as this course counts it): the infinite loop costs this much
CORPORA = {"hostile": "from_memory.examples.hostile", "honest": "from_memory.examples.honest"}


@dataclass(frozen=True)
class Row:
    case: str
    expected: str
    actual: str
    ok: bool
    corpus: str = "batch"  # hostile, honest, clean (graded alone too) or batch (batch-wide)
    assignment: str = ""


def load_corpus(name: str = "hostile"):
    """The corpus module ``name`` (``CASES``, and ``CLEAN`` for the hostile one)."""
    return importlib.import_module(CORPORA[name])


# -- the course ---------------------------------------------------------------------


def make_course(folder: Path, assignments) -> Path:
    """A course in ``folder``: the repository's config, source/ and release/, ``assignments`` released."""
    folder.mkdir(parents=True)
    shutil.copy(REPO / course.CONFIG_FILE, folder / course.CONFIG_FILE)
    for part in ("source", "release"):
        shutil.copytree(
            REPO / part, folder / part, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_*")
        )
    course.release(folder, list(assignments))
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


def step_scores(root: Path, assignments) -> dict[tuple[str, str, str], tuple]:
    """``{(student, assignment, grade_id): (score, needs_manual_grade)}`` from the gradebook."""
    grades = course.cell_grades(course.sqlite_url(root), list(assignments))
    return {key: (g.score, g.needs_manual_grade) for key, g in grades.items()}


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


@contextlib.contextmanager
def serving_the_reference():
    """A local HTTP server handing out the reference's source: a stand-in for any helper
    outside the grading sandbox that a kernel might connect to. Yields its port."""
    from solutions import network

    body = Path(network.__file__).read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def _grade(root: Path, assignments, jobs: int, timeout: float, log) -> list:
    from from_memory.engine.grading import autograde

    started = time.monotonic()
    outcomes = autograde(root, list(assignments), jobs=jobs, timeout=timeout, force=True, progress=False)
    log(f"autograde {root.name}: {len(outcomes)} notebooks in {time.monotonic() - started:.0f} s")
    return outcomes


# -- the run ------------------------------------------------------------------------


def run(
    workdir: Path | None = None,
    *,
    corpora=("hostile",),
    only=None,
    clean: bool = True,
    jobs: int = 2,
    timeout: float = TIMEOUT,
    log=None,
) -> list[Row]:
    """Grade the cases of ``corpora`` (those named in ``only``, default all) in one batch.

    With ``clean``, the hostile corpus's honest students are handed in too, and graded
    alone as well. Returns one row per case, per honest student and per batch-wide check.
    """
    from from_memory.course import verify as verify_stage
    from from_memory.course.report import write_report

    cases = [
        (name, case)
        for name in corpora
        for case in load_corpus(name).CASES
        if only is None or case.name in only
    ]
    clean_cases = list(load_corpus("hostile").CLEAN) if clean else []
    every = [c for _, c in cases] + clean_cases
    assignments = [a for a in ASSIGNMENTS if a in {c.assignment for c in every}]
    log = log or (lambda text: print(text, file=sys.stderr, flush=True))
    base = Path(tempfile.mkdtemp(prefix="from-memory-adversarial-", dir=workdir))
    started = time.monotonic()
    released = make_course(base / "released", assignments)
    log(f"released {', '.join(assignments)} in {time.monotonic() - started:.0f} s")
    clean_root = Path(shutil.copytree(released, base / "clean-only"))
    root = Path(shutil.copytree(released, base / "course"))
    canary = base / "canary"
    canary.mkdir()
    (canary / "do-not-touch.txt").write_text("grading must never write here\n")

    with serving_the_reference() as port:
        context = Context(root, canary, port)
        for case in clean_cases:
            hand_in(clean_root, case.name, case.assignment, case.build(Context(clean_root, canary, port)))
        for case in every:
            hand_in(root, case.name, case.assignment, case.build(context))
        before = fingerprints(base)
        if clean_cases:
            _grade(clean_root, [a for a in assignments if any(c.assignment == a for c in clean_cases)],
                   jobs, timeout, log)
        outcomes = _grade(root, assignments, jobs, timeout, log)
        stage = time.monotonic()
        checked = verify_stage.verify(root, assignments, jobs=jobs)
        course.export_grades(root)
        verify_stage.add_flag_column(root)
        log(f"verify and grades {time.monotonic() - stage:.0f} s")
        stage = time.monotonic()
        try:
            pages = handback.feedback(root, assignments, jobs=jobs, partial=True).files
            feedback_error = ""
        except course.CourseError as error:
            pages, feedback_error = sorted((root / "feedback").glob("*/*/*.html")), str(error)
        report = write_report(root).read_text(encoding="utf-8")
        log(f"feedback and report {time.monotonic() - stage:.0f} s")
        log(f"whole run {time.monotonic() - started:.0f} s")
        after = fingerprints(base)

    scores = evidence.automatic_scores(root, assignments)
    reasons = evidence.flag_reasons(root)
    hidden = evidence.hidden_test_text(root, assignments)
    rows = []
    for corpus_name, case in cases:
        rows.append(_case_row(root, case, corpus_name, scores, reasons, hidden, before, after))
    if clean_cases:
        clean_scores = step_scores(clean_root, assignments)
        mixed_scores = step_scores(root, assignments)
        for case in clean_cases:
            row = _case_row(root, case, "clean", scores, reasons, hidden, before, after)
            key = (case.name, case.assignment)
            want = {k: v for k, v in clean_scores.items() if k[:2] == key}
            got = {k: v for k, v in mixed_scores.items() if k[:2] == key}
            same = bool(want) and want == got
            rows.append(Row(case.name, case.expected + " (as in a clean-only batch)",
                            row.actual + ("" if same else " (step scores differ from a clean-only batch)"),
                            row.ok and same, "clean", case.assignment))
    rows += _batch_rows(base, root, clean_root, every, outcomes, checked, before, after,
                        reasons, report, pages, feedback_error, hidden)
    return rows


def _case_row(root, case, corpus_name, scores, reasons, hidden, before, after) -> Row:
    key = (case.name, case.assignment)
    actual = outcome_of(scores.get(key), reasons.get(key, []), case.expected)
    ok = matches(case.expected, actual)
    submitted = str(root / "submitted" / case.name / case.assignment / f"{case.assignment}.ipynb")
    if before[submitted] != after.get(submitted):
        actual, ok = actual + " (and its submitted file changed)", False
    for grade_id, words in case.says:
        shown = evidence.cell_text(root, case.name, case.assignment, grade_id) or ""
        if not any(w.lower() in shown.lower() for w in words):
            actual, ok = actual + f" (`{grade_id}` does not say {words[0]!r})", False
    if case.feedback_hides_tests:
        page = evidence.feedback_page(root, case.name, case.assignment)
        shown = evidence.leaks(page, hidden) if page.is_file() else ["(no feedback page)"]
        if shown:
            actual, ok = actual + f" (its feedback shows {shown[0]!r})", False
    return Row(case.name, case.expected, actual, ok, corpus_name, case.assignment)


def _batch_rows(base, root, clean_root, every, outcomes, checked, before, after,
                reasons, report, pages, feedback_error, hidden) -> list[Row]:
    keys = {(c.name, c.assignment) for c in every}
    graded = {(o.student, o.assignment) for o in outcomes if o.status in ("graded", "failed")}
    verified = {(v.student, v.assignment) for v in checked}
    rows = [Row("(batch) completed", f"{len(keys)} notebooks graded or failed, and verified",
                f"{len(graded & keys)} graded or failed, {len(verified & keys)} verified",
                graded >= keys and verified >= keys)]
    changed = [p for p in before if "/submitted/" in p and before[p] != after.get(p)]
    rows.append(Row("(files) submitted notebooks", "byte-identical after grading",
                    f"{len(changed)} changed", not changed))
    outside = sorted(
        str(Path(p).relative_to(base))
        for p in set(before) | set(after)
        if before.get(p) != after.get(p)
        and not (p.startswith(str(root) + "/")
                 and Path(p).relative_to(root).as_posix().startswith(OUTPUTS))
        and not p.startswith(str(clean_root) + "/")
    )
    rows.append(Row("(files) nothing written outside",
                    "only autograded/, feedback/, reports/, gradebook.db; canary untouched",
                    ", ".join(outside[:3]) or "nothing outside", not outside))
    left = kill_processes_under(base)
    rows.append(Row("(processes) nothing left running", "no process started by grading outlives it",
                    ", ".join(left[:3]) or "none", not left))
    flagged = sorted(k for k in keys if reasons.get(k))
    missing = [f"{s}/{a}" for s, a in flagged if f"<td>{s}</td>" not in _flagged_section(report, a)]
    rows.append(Row("(report) flagged section", f"{len(flagged)} flagged notebooks listed",
                    f"missing: {', '.join(missing[:3])}" if missing else f"{len(flagged)} listed",
                    not missing))
    in_csv = evidence.csv_flags(root)
    wrong = [f"{s}/{a}" for s, a in sorted(keys) if bool(in_csv.get((s, a))) != bool(reasons.get((s, a)))]
    rows.append(Row("(grades) flag column", "grades.csv flags exactly the flagged notebooks",
                    f"differs for: {', '.join(wrong[:3])}" if wrong else "the same", not wrong))
    leaking = [(p, evidence.leaks(p, hidden)) for p in pages]
    leaking = [f"{p.parent.parent.name}: {shown[0]!r}" for p, shown in leaking if shown]
    rows.append(Row("(feedback) no hidden tests shown",
                    f"{len(pages)} feedback pages, none shows hidden test source",
                    (feedback_error + "; " if feedback_error else "")
                    + (f"{len(leaking)} show some, e.g. {leaking[0]}" if leaking else "none shows any"),
                    bool(pages) and not leaking and not feedback_error))
    return rows


def _flagged_section(report: str, assignment: str) -> str:
    section = report.partition(f'<section id="{assignment}">')[2].partition("</section>")[0]
    return section.partition("<h3>Flagged submissions</h3>")[2]


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


def options(prog: str, description: str) -> argparse.ArgumentParser:
    """The command line shared by the corpus runners."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("cases", nargs="*", help="only these corpus cases (default: all)")
    parser.add_argument("--jobs", "-j", type=int, default=2, help="notebooks graded at once (default: 2)")
    parser.add_argument("--timeout", type=float, default=TIMEOUT,
                        help=f"seconds per notebook (default: {TIMEOUT})")
    parser.add_argument("--keep", type=Path, default=None, metavar="DIR",
                        help="build the temporary courses in DIR and leave them there")
    return parser


def run_from_command_line(args, corpora) -> list[Row]:
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="from-memory-adversarial-") as scratch:
        return run(args.keep or Path(scratch), corpora=corpora, jobs=args.jobs,
                   timeout=args.timeout, only=args.cases or None)


def main(argv=None) -> int:
    parser = options("python -m from_memory.examples.adversarial", __doc__.split("\n")[0])
    rows = run_from_command_line(parser.parse_args(argv), ("hostile",))
    print(table(rows))
    print(summary(rows))
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
