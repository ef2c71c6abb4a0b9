"""The class report: aggregation from a small made-up gradebook, and the page it writes."""

from __future__ import annotations

import re
import warnings
from collections import Counter
from pathlib import Path

import nbformat
import pytest

from from_memory.course import report

HINT = "the hidden layer's weights were multiplied in the wrong order."
SLUG = "forward__transposed"

# ps1 has two graded steps worth 2 and 3 points and a written answer worth 4
# (waiting for manual grading, so never in the automatic scores); ps2 one step worth 1.
STEPS = {"ps1": {"sigmoid": 2, "forward": 3}, "ps2": {"hidden_delta": 1, "train": 2}}
WRONG_SHAPE = "`forward` has the wrong shape: got (4,), expected (4, 1)."

# student -> ps -> step -> (auto_score or None, error shown in the test cell or None)
# A step missing from a student's dict is a deleted test cell; a ps missing is not submitted.
CLASS = {
    "ada": {
        "ps1": {"sigmoid": (2, None), "forward": (3, None)},
        "ps2": {"hidden_delta": (1, None), "train": (2, None)},
    },
    "grace": {
        "ps1": {
            "sigmoid": (2, None),
            "forward": (
                0,
                (
                    "StepFailed",
                    f"{WRONG_SHAPE}\nThat was the post's data.\nLikely mistake: {HINT} [{SLUG}]",
                ),
            ),
        },
        "ps2": {
            "hidden_delta": (
                0,
                ("AssertionError", "`hidden_delta` is off by 0.5.\nLikely mistake: something new."),
            ),
            # the check passed, but a warning on stderr costs the cell its points in nbgrader
            "train": (
                0,
                ("stderr", "x.py:5: RuntimeWarning: overflow encountered in exp\n  return 1"),
            ),
        },
    },
    "alan": {
        "ps1": {
            "sigmoid": (0, ("NotImplementedError", "")),
            "forward": (0, ("AssertionError", f"{WRONG_SHAPE} Likely mistake: {HINT}")),
        },
        "ps2": {"hidden_delta": (1, None), "train": (2, None)},
    },
    # the kernel died: nbgrader removed the autograded folder, no automatic scores
    "katherine": {"ps1": {"sigmoid": (None, None), "forward": (None, None)}},
    # the test cell of `forward` was deleted: it scores 0 and waits for a person
    "edsger": {
        "ps1": {"sigmoid": (2, None)},
        "ps2": {
            "hidden_delta": (0, ("AssertionError", "`hidden_delta` is off by 0.25.")),
            "train": (2, None),
        },
    },
}
CRASHED = {("katherine", "ps1")}


def _test_cell(step, outcome):
    cell = nbformat.v4.new_code_cell(f"check_{step}({step})")
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": f"test_{step}", "points": 1}
    if outcome and outcome[1]:
        ename, evalue = outcome[1]
        if ename == "stderr":
            cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text=evalue)]
        else:
            cell.outputs = [
                nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[])
            ]
    return cell


def build_course(root: Path, with_config=True) -> Path:
    """A graded course: a gradebook with made-up scores and the autograded notebooks."""
    from nbgrader.api import Gradebook

    if with_config:
        (root / "nbgrader_config.py").write_text(
            "c = get_config()\nc.CourseDirectory.db_url = 'sqlite:///grades/gb.sqlite'\n"
        )
        (root / "grades").mkdir()
        url = f"sqlite:///{root / 'grades' / 'gb.sqlite'}"
    else:
        url = f"sqlite:///{root / 'gradebook.db'}"
    with warnings.catch_warnings():
        # nbgrader's own add_submission trips an SQLAlchemy autoflush warning
        warnings.simplefilter("ignore")
        with Gradebook(url) as gb:
            for ps, steps in STEPS.items():
                gb.add_assignment(ps)
                gb.add_notebook(ps, ps)
                for step, points in steps.items():
                    gb.add_solution_cell(step, ps, ps)
                    gb.add_grade_cell(f"test_{step}", ps, ps, max_score=points, cell_type="code")
                if ps == "ps1":
                    gb.add_solution_cell("answer", ps, ps)
                    gb.add_grade_cell("answer", ps, ps, max_score=4, cell_type="markdown")
            for student, work in CLASS.items():
                gb.add_student(student)
                for ps, outcomes in work.items():
                    submission = gb.add_submission(ps, student)
                    for grade in submission.notebooks[0].grades:
                        if grade.cell_type == "markdown":
                            continue  # written answers keep needs_manual_grade
                        step = grade.name.removeprefix("test_")
                        score = outcomes.get(step, (0, None))[0]
                        grade.auto_score = score
                        grade.needs_manual_grade = score is None or step not in outcomes
                    gb.db.commit()
                    if (student, ps) in CRASHED:
                        continue
                    notebook = nbformat.v4.new_notebook()
                    notebook.cells = [
                        _test_cell(step, outcomes[step]) for step in STEPS[ps] if step in outcomes
                    ]
                    folder = root / "autograded" / student / ps
                    folder.mkdir(parents=True)
                    nbformat.write(notebook, folder / f"{ps}.ipynb")
    return root


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return build_course(tmp_path_factory.mktemp("course"))


@pytest.fixture
def results(course, monkeypatch):
    monkeypatch.setattr(report.reading, "_known_hints", lambda: {HINT: SLUG})
    return {a.name: a for a in report.collect(course)}


def test_does_the_report_read_the_db_url_from_the_course_config(course):
    assert report.gradebook_url(course) == f"sqlite:///{course / 'grades' / 'gb.sqlite'}"


def test_does_the_report_default_to_gradebook_db_in_the_course_root(tmp_path):
    assert report.gradebook_url(tmp_path) == f"sqlite:///{tmp_path / 'gradebook.db'}"


def test_are_all_submissions_read_with_their_scores(results):
    ps1, ps2 = results["ps1"], results["ps2"]
    assert sorted(s.student for s in ps1.submissions) == sorted(CLASS)
    assert ps2.students_without_submission == ["katherine"]
    scores = {s.student: s.score for s in ps1.submissions}
    assert scores == {"ada": 5, "grace": 2, "alan": 0, "katherine": 0, "edsger": 2}
    assert ps1.max_score == 5
    assert ps1.answers_to_grade == len(CLASS)  # one unread written answer each
    assert results["ps2"].answers_to_grade == 0


def test_are_failure_rates_counted_per_step(results):
    steps = {s.step: s for s in results["ps1"].steps}
    # katherine's crashed notebook has no scores: it counts in neither step
    assert (steps["sigmoid"].graded, steps["sigmoid"].failed) == (4, 1)
    assert (steps["forward"].graded, steps["forward"].failed) == (4, 3)
    assert steps["forward"].failure_rate == pytest.approx(0.75)
    ps2 = {s.step: s for s in results["ps2"].steps}
    assert (ps2["hidden_delta"].graded, ps2["hidden_delta"].failed) == (4, 2)
    assert (ps2["train"].graded, ps2["train"].failed) == (4, 1)


def test_are_failure_messages_read_from_the_test_cells_without_the_hint(results):
    grace = next(s for s in results["ps1"].submissions if s.student == "grace")
    forward = next(step for step in grace.steps if step.step == "forward")
    assert forward.message == WRONG_SHAPE  # the first line, without the case or the hint
    assert forward.hint == HINT
    assert forward.misconception == SLUG  # from the [slug] the checker appends
    common = results["ps1"].common_messages
    # grouped by kind: numbers masked
    masked = "`forward` has the wrong shape: got (…,), expected (…, …)."
    assert (common[0].step, common[0].message, common[0].count) == ("forward", masked, 2)
    assert ("sigmoid", "NotImplementedError", 1) in [(m.step, m.message, m.count) for m in common]


def test_are_messages_that_differ_only_in_numbers_counted_together(results):
    common = [(m.step, m.message, m.count) for m in results["ps2"].common_messages]
    assert ("hidden_delta", "`hidden_delta` is off by ….", 2) in common


def test_does_the_message_kind_keep_numbers_inside_names():
    kind = report.message_kind("`synapse_0` has shape (5, 3), synapse_1 expected -0.25e-3")
    assert kind == "`synapse_0` has shape (…, …), synapse_1 expected …"


def test_are_misconceptions_counted_by_slug_or_by_unknown_hint(results):
    ps1 = [(m.step, m.misconception, m.count) for m in results["ps1"].misconceptions]
    # grace's hint carries its slug; alan's is matched to the catalog's hint text
    assert ps1 == [("forward", SLUG, 2)]
    ps2 = [(m.step, m.misconception, m.count) for m in results["ps2"].misconceptions]
    assert ps2 == [("hidden_delta", "something new.", 1)]  # edsger's failure names no mistake


def test_are_crashed_and_deleted_test_cell_submissions_flagged_with_a_reason(results):
    flagged = {s.student: " ".join(s.flags) for s in results["ps1"].flagged}
    assert set(flagged) == {"katherine", "edsger"}
    assert "no autograded notebook" in flagged["katherine"]
    assert "no automatic score" in flagged["katherine"]
    assert "`test_forward` is missing" in flagged["edsger"]
    assert "needs manual grading: `forward`" in flagged["edsger"]
    # an unread written answer alone is normal work, not a flag
    assert "ada" not in flagged
    ps2_flags = {s.student: " ".join(s.flags) for s in results["ps2"].flagged}
    assert list(ps2_flags) == ["grace"]
    assert "`train` lost its points to stderr output alone" in ps2_flags["grace"]


def test_is_a_stderr_only_failure_explained_by_its_first_line(results):
    grace = next(s for s in results["ps2"].submissions if s.student == "grace")
    train = next(step for step in grace.steps if step.step == "train")
    assert train.failed
    assert train.message.endswith(": x.py:5: RuntimeWarning: overflow encountered in exp")


def test_does_write_report_embed_one_png_per_chart(course, monkeypatch):
    monkeypatch.setattr(report.reading, "_known_hints", lambda: {HINT: SLUG})
    path = report.write_report(course)
    assert path == course / "reports" / "class_report.html"
    page = path.read_text()
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    # ps1: histogram, failure rates, misconceptions; ps2: the same three
    assert len(images) == 6
    assert all(image.startswith("iVBORw0KGgo") for image in images)  # PNG signature
    students = page[page.index('id="students"') :]
    # edsger's deleted test cell (3 points) and written answer (4) wait for a person: not 0
    assert (
        "<tr><td>edsger</td><td>2 / 9 (7 points waiting for grading) (flagged)</td>"
        "<td>2 / 3</td><td>4 / 12 (7 waiting for grading)</td><td>80%</td></tr>"
    ) in students
    assert "<td>not submitted</td>" in students  # katherine's ps2
    assert "<code>forward</code> has the wrong shape" in page


def test_does_a_flag_give_the_autograders_reason_for_a_missing_notebook(tmp_path, monkeypatch):
    import json

    root = build_course(tmp_path, with_config=False)
    (root / "reports").mkdir()
    row = {
        "student": "katherine",
        "assignment": "ps1",
        "notebook": "ps1",
        "status": "failed",
        "reason": "kernel died (exit code 1)",
        "seconds": 1.0,
        "score": None,
        "max_score": None,
    }
    (root / "reports" / "autograde_status.json").write_text(json.dumps([row]))
    monkeypatch.setattr(report.reading, "_known_hints", dict)
    ps1 = next(a for a in report.collect(root) if a.name == "ps1")
    katherine = next(s for s in ps1.submissions if s.student == "katherine")
    assert "no autograded notebook `ps1.ipynb` (kernel died (exit code 1))" in katherine.flags


def test_does_a_verify_finding_replace_the_reports_own_guess(course, monkeypatch, tmp_path):
    import json
    import shutil

    root = tmp_path / "course"
    shutil.copytree(course, root)  # the config's relative db_url now names the copy
    row = {
        "student": "edsger",
        "assignment": "ps1",
        "notebook": "ps1",
        "findings": [
            {"kind": "structure", "reason": "test cell `test_forward` was deleted", "where": ""}
        ],
    }
    (root / "reports").mkdir(exist_ok=True)
    (root / "reports" / "integrity.json").write_text(json.dumps([row]))
    monkeypatch.setattr(report.reading, "_known_hints", dict)
    ps1 = next(a for a in report.collect(root) if a.name == "ps1")
    edsger = next(s for s in ps1.submissions if s.student == "edsger")
    assert "test cell `test_forward` was deleted" in edsger.flags
    assert not any("(deleted?)" in flag for flag in edsger.flags)


def test_does_the_report_say_clearly_when_there_is_no_gradebook(tmp_path):
    with pytest.raises(report.NothingToReport, match="no gradebook"):
        report.write_report(tmp_path)
    assert not (tmp_path / "gradebook.db").exists()


def test_does_the_report_say_clearly_when_nothing_is_graded(tmp_path):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        gb.add_assignment("ps1")
    with pytest.raises(report.NothingToReport, match="no graded submission"):
        report.write_report(tmp_path)


# -- the real pipeline -----------------------------------------------------------------

REAL_ASSIGNMENTS = ("ps1_forward", "ps2_backprop")


@pytest.mark.slow
@pytest.mark.nbgrader
def test_does_the_report_of_a_really_autograded_demo_class_agree_with_its_manifest(tmp_path):
    """Release, hand in the demo class, autograde with nbgrader, report: every step as planned."""
    import shutil

    from from_memory import course
    from from_memory.engine import grading
    from from_memory.examples import demo_class
    from from_memory.judge import checks

    repo = Path(__file__).resolve().parents[1]
    shutil.copy(repo / "nbgrader_config.py", tmp_path)
    for ps in REAL_ASSIGNMENTS:
        shutil.copytree(repo / "source" / ps, tmp_path / "source" / ps)
    course.release(tmp_path, list(REAL_ASSIGNMENTS))
    plans = demo_class.generate(tmp_path, assignments=REAL_ASSIGNMENTS)
    grading.autograde(tmp_path, list(REAL_ASSIGNMENTS), jobs=2, force=True)
    results = {a.name: a for a in report.collect(tmp_path)}

    mismatches = []
    for plan in plans:
        submission = next(
            s for s in results[plan.assignment].submissions if s.student == plan.student
        )
        for step in submission.steps:
            got = "flagged" if step.needs_manual_grade else "pass" if step.passed else "fail"
            expected = plan.expected[step.step]
            # a visible assert may catch a planted mistake before the hidden check names it
            planted = plan.mistakes.get(checks.function_of(step.step))
            named = step.misconception in (None, planted)
            if got != expected or (got == "fail" and not (step.message and named)):
                mismatches.append(
                    (plan.student, plan.assignment, step.step, expected, got, step.message)
                )
    # The checker keeps graded code silent, so no passing check loses its points to stderr.
    assert mismatches == []
    for ps, result in results.items():
        failed = {s.step: s.failed for s in result.steps}
        planned = Counter(
            step
            for p in plans
            if p.assignment == ps
            for step, v in p.expected.items()
            if v == "fail"
        )
        assert failed == {step: planned[step] for step in failed}
        flagged = {s.student for s in result.flagged}
        assert flagged == {
            p.student for p in plans if p.assignment == ps and "flagged" in p.expected.values()
        }
    assert not (tmp_path / "reports" / "class_report.html").exists()  # collect() writes nothing
    assert report.write_report(tmp_path).is_file()
