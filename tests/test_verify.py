"""The verify stage: does it see tampered structure, hidden code, refused writes and faked passes?"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import nbformat
import pytest

from from_memory.course import verify
from from_memory.examples import submissions
from from_memory.examples.adversarial import load_corpus

corpus = load_corpus()
PS = corpus.PS
CASES = {case.name: case for case in corpus.CASES}
REPO = Path(__file__).resolve().parents[1]


def _built(name, tmp_path):
    return CASES[name].build(corpus.Context(tmp_path, tmp_path / "canary"))


STRUCTURE_TABLE = [
    ("test-cell-deleted", ["test cell `test_forward` was deleted"]),
    ("test-cell-duplicated", ["cell `test_sigmoid` appears 2 times"]),
    ("test-cells-reordered", ["cells are out of order (`test_forward` was moved)"]),
    ("test-cell-points-inflated", ["the nbgrader metadata of `test_forward` was changed (points)"]),
    ("test-cell-marked-ungraded", ["the nbgrader metadata of `test_sigmoid` was changed (grade)"]),
    (
        "test-cell-renamed-and-unlocked",
        [
            "test cell `test_forward` was deleted",
            "cell `my_own_cell` claims to be the instructor's (locked or graded) but is not part of the assignment",
        ],
    ),
    (
        "fake-locked-cell-patching-numpy",
        [
            "cell `setup_extra` claims to be the instructor's (locked or graded) but is not part of the assignment",
        ],
    ),
    # nbgrader restores test cells' sources from the gradebook: an edit is harmless, not a flag
    ("test-cell-edited-to-pass", []),
    ("wrong-kernel", []),
]


@pytest.mark.parametrize(
    ("case", "reasons"), STRUCTURE_TABLE, ids=[row[0] for row in STRUCTURE_TABLE]
)
def test_structure_names_each_tampering_once(case, reasons, tmp_path):
    found = verify.structure(_built(case, tmp_path), submissions.release_notebook(PS))
    assert [f.reason for f in found] == reasons
    assert all(f.kind == "structure" for f in found)


def test_structure_of_every_honest_notebook_is_clean():
    for ps in submissions.ASSIGNMENTS:
        released = submissions.release_notebook(ps)
        assert verify.structure(submissions.passes_all(ps), released) == []
        assert verify.structure(submissions.blank(ps), released) == []


def test_a_cell_marked_locked_by_the_student_is_still_scanned(tmp_path):
    """Without the trusted view, the scan would skip the fake instructor's cell."""
    from from_memory.course import integrity

    submitted = _built("fake-locked-cell-patching-numpy", tmp_path)
    assert integrity.scan(submitted) == []  # what the student hoped for
    view = verify.trusted_view(submitted, submissions.release_notebook(PS))
    assert [f.reason for f in integrity.scan(view)] == [
        "changes a library it does not own (`np.isclose`)",
        "changes a library it does not own (`np.allclose`)",
    ]
    # the release's own locked cells stay locked
    assert [
        c.metadata["nbgrader"]["grade_id"]
        for c in view.cells
        if c.metadata.get("nbgrader", {}).get("locked")
    ] == [
        c.metadata["nbgrader"]["grade_id"]
        for c in submitted.cells[1:]
        if c.metadata.get("nbgrader", {}).get("locked")
    ]


def _with_error(notebook, grade_id, ename, evalue):
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.outputs = [
                nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[])
            ]
    return notebook


def test_refused_access_are_read_from_the_students_cells_only():
    nb = submissions.passes_all(PS)
    _with_error(
        nb, "sigmoid", "PermissionError", "[Errno 13] Permission denied: '/course/gradebook.db'"
    )
    _with_error(
        nb, "test_forward", "PermissionError", "[Errno 13] Permission denied: 'x'"
    )  # the instructor's
    _with_error(nb, "forward", "NameError", "name 'x' is not defined")  # an honest mistake
    assert verify.refused_access(nb) == [
        ("sigmoid", "PermissionError: [Errno 13] Permission denied: '/course/gradebook.db'")
    ]


@pytest.fixture(scope="module")
def stock_course(tmp_path_factory):
    """A course copy with problem set 1 released, its notebooks graded by stock nbgrader (checks in the kernel)."""
    from from_memory.examples.adversarial import make_course

    return make_course(tmp_path_factory.mktemp("stock") / "course", [PS])


def _stock_graded(root, student, code):
    """Hand in problem set 1 with ``sigmoid`` replaced and grade it with stock nbgrader; the notebook path."""
    import subprocess
    import sys

    from from_memory import course

    submissions.write_submission(submissions.with_function(PS, "sigmoid", code), root, student, PS)
    env = {**course.environment(root), "FROM_MEMORY_STOCK_AUTOGRADE": "1"}
    done = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", PS, "--student", student],
                          cwd=root, env=env, capture_output=True, text=True, check=False)
    path = root / "autograded" / student / PS / f"{PS}.ipynb"
    assert path.is_file(), done.stdout + done.stderr
    return path


def test_a_stock_graded_notebook_is_judged_again_outside_the_kernel(stock_course):
    """A patch of numpy fools a check run in the kernel, not one judged by the grader."""
    honest = _stock_graded(stock_course, "honest",
                           "dot = np.dot\nsig = lambda x: 1 / (1 + np.exp(-x))\ndef sigmoid(x):\n    return sig(x)\n")
    patched = _stock_graded(stock_course, "patched",
                            "import numpy as np\nnp.isclose = lambda a, b, **k: np.ones(np.broadcast(a, b).shape, bool)\n"
                            "def sigmoid(x):\n    return x\n")
    assert verify.test_cell_results(nbformat.read(patched, as_version=4))["test_sigmoid"][0]  # fooled the kernel
    again = verify.regrade(stock_course, [honest, patched], jobs=2)
    assert verify.disagreements(honest, again[honest]) == []
    (finding,) = verify.disagreements(patched, again[patched])
    assert (finding.where, finding.kind) == ("test_sigmoid", "recheck")
    assert finding.reason.startswith("passed when judged in the kernel but fails when judged by the grader: "
                                     "`sigmoid`'s result has wrong values")


def test_an_engine_graded_notebook_is_not_graded_again(stock_course):
    from from_memory.engine.status import Outcome

    path = stock_course / "autograded" / "ada" / PS / f"{PS}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(submissions.passes_all(PS), path)
    submissions.write_submission(submissions.passes_all(PS), stock_course, "ada", PS)
    judged = Outcome("ada", PS, PS, "graded", judged=True)
    assert verify._look(stock_course, "ada", PS, PS, judged).regrade is None
    assert verify._look(stock_course, "ada", PS, PS, None).regrade == path


def test_add_flag_column_joins_reasons_in_one_line_and_adds_missing_students(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "grades.csv").write_text(
        "assignment,student_id,score,max_score\nps1,ada,5.0,5.0\nps1,bob,5.0,5.0\n"
    )
    findings = [
        {
            "kind": "scan",
            "reason": "changes a library it does not own (`np.isclose`)",
            "where": "sigmoid",
        },
        {
            "kind": "recheck",
            "reason": "passed in the notebook but\nfails a clean re-check",
            "where": "t",
        },
    ]
    rows = [
        {"student": "bob", "assignment": "ps1", "notebook": "ps1", "findings": findings},
        {"student": "ada", "assignment": "ps1", "notebook": "ps1", "findings": []},
        {
            "student": "cy",
            "assignment": "ps1",
            "notebook": "ps1",
            "findings": [
                {"kind": "autograde", "reason": "could not be graded: kernel died", "where": ""}
            ],
        },
    ]
    (reports / "integrity.json").write_text(json.dumps(rows))
    for _ in range(2):  # a second run refreshes the column instead of adding another
        verify.add_flag_column(tmp_path)
    with (reports / "grades.csv").open(newline="") as handle:
        got = list(csv.DictReader(handle))
    assert list(got[0]) == ["assignment", "student_id", "score", "max_score", "flag"]
    assert [(r["student_id"], r["score"], r["flag"]) for r in got] == [
        ("ada", "5.0", ""),
        (
            "bob",
            "5.0",
            (
                "changes a library it does not own (`np.isclose`); "
                "passed in the notebook but fails a clean re-check"
            ),
        ),
        ("cy", "", "could not be graded: kernel died"),
    ]


def test_flag_line_is_one_line_and_bounded():
    line = verify.flag_line(["a\nb", "a b", "x" * 500])
    assert "\n" not in line
    assert line.startswith("a b; x")
    assert len(line) == verify.LINE_LIMIT


def test_the_class_report_lists_verify_flags_but_not_autograde_ones_twice(tmp_path):
    from test_report import build_course

    from from_memory.course import report

    root = build_course(tmp_path)
    (root / "reports").mkdir()
    rows = [
        {
            "student": "ada",
            "assignment": "ps1",
            "notebook": "ps1",
            "findings": [
                {
                    "kind": "scan",
                    "reason": "reads, writes or runs files (`open`)",
                    "where": "forward",
                }
            ],
        },
        {
            "student": "katherine",
            "assignment": "ps1",
            "notebook": "ps1",
            "findings": [
                {
                    "kind": "autograde",
                    "reason": "could not be graded: kernel died (exit code 1)",
                    "where": "",
                }
            ],
        },
    ]
    (root / "reports" / "integrity.json").write_text(json.dumps(rows))
    by_key = {(s.student, a.name): s for a in report.collect(root) for s in a.submissions}
    assert by_key[("ada", "ps1")].flags == ("reads, writes or runs files (`open`)",)
    assert not any("could not be graded" in f for f in by_key[("katherine", "ps1")].flags)
    assert not by_key[("ada", "ps2")].flagged


@pytest.mark.nbgrader
def test_verify_and_grades_commands_put_the_flag_in_grades_csv(tmp_path, monkeypatch, capsys):
    """`from-memory verify` then `from-memory grades` on a tiny course: one honest, one peeking."""
    from test_grading import ANSWERS, make_course, submit

    from from_memory.course import cli

    root = make_course(tmp_path / "course")
    submit(root, "ada", ANSWERS["passes-all"])
    submit(
        root,
        "eve",
        "def double(x):\n    return 2 * x\nsecret = open('../../../gradebook.db', 'rb').read()",
    )
    monkeypatch.chdir(root)
    assert cli.main(["autograde"]) == 0
    assert cli.main(["verify"]) == 0
    assert cli.main(["grades"]) == 0
    out = capsys.readouterr().out
    assert "eve/tiny: flagged: reads, writes or runs files (`open`)" in out
    assert "ada/tiny: ok" in out
    with (root / "reports" / "grades.csv").open(newline="") as handle:
        flags = {row["student_id"]: (row["score"], row["flag"]) for row in csv.DictReader(handle)}
    # reading is not prevented (see the README): eve scores, and is flagged for a person to look
    assert flags == {"ada": ("3.0", ""), "eve": ("3.0", "reads, writes or runs files (`open`)")}
    rows = json.loads((root / "reports" / "integrity.json").read_text())
    assert [(r["student"], [f["kind"] for f in r["findings"]]) for r in rows] == [
        ("ada", []),
        ("eve", ["scan"]),
    ]


@pytest.mark.parametrize(
    "content",
    [b"", b"[]", b"null", b'{"cells": 1}', CASES["json-but-not-a-notebook"].build(None)],
    ids=["empty", "a-list", "null", "cells-not-a-list", "cell-without-fields"],
)
def test_a_file_that_is_not_a_notebook_is_one_finding_not_a_crash(content, tmp_path):
    (tmp_path / "release" / PS).mkdir(parents=True)
    nbformat.write(submissions.release_notebook(PS), tmp_path / "release" / PS / f"{PS}.ipynb")
    path = tmp_path / "submitted" / "eve" / PS / f"{PS}.ipynb"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    todo = verify._look(tmp_path, "eve", PS, PS, None)
    assert [f.kind for f in todo.result.findings] == ["file"]
    assert todo.result.findings[0].reason.startswith(
        "the submitted file is not a readable notebook ("
    )
    assert todo.regrade is None
