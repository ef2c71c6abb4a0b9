"""Parallel autograde against stock nbgrader, on a tiny course of its own.

The tiny course has one assignment, ``tiny``: students write ``double(x)``; two graded
cells (1 and 2 points) test it, one of them with a hidden test. Submissions are made
from the released notebook by replacing the solution, and named by outcome.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from from_memory import course
from from_memory.engine.grading import autograde, read_status

pytestmark = pytest.mark.nbgrader

ASSIGNMENT = "tiny"
CONFIG = """\
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "tiny"
c.CourseDirectory.root = "."
c.ExecutePreprocessor.timeout = {cell_timeout}
"""
SOLUTION = "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"
TESTS = {
    "test_double_small": (1, "assert double(2) == 4"),
    "test_double_hidden": (
        2,
        "assert double(-1) == -2\n### BEGIN HIDDEN TESTS\nassert double(5) == 10\n### END HIDDEN TESTS",
    ),
}
# Student code for the solution cell, by expected outcome.
ANSWERS = {
    "passes-all": "def double(x):\n    return x + x",
    "fails-hidden": "def double(x):\n    return 4 if x == 2 else -2 if x == -1 else 0",
    "fails-all": "def double(x):\n    return x",
    "blank": "def double(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()",
    "infinite-loop": "def double(x):\n    return 2 * x\nwhile True:\n    pass",
    "kernel-crash": "import os\nos._exit(1)",
}


def _meta(grade_id, *, solution=False, grade=False, points=None):
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": not solution,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def make_course(folder: Path, *, cell_timeout: int = 30) -> Path:
    """A released one-assignment course in ``folder`` (its own config and gradebook)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nbgrader_config.py").write_text(CONFIG.format(cell_timeout=cell_timeout))
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_markdown_cell("Write `double(x)`."),
        nbformat.v4.new_code_cell(SOLUTION, metadata=_meta("answer", solution=True)),
    ]
    for grade_id, (points, source) in TESTS.items():
        nb.cells.append(
            nbformat.v4.new_code_cell(source, metadata=_meta(grade_id, grade=True, points=points))
        )
    (folder / "source" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(nb, folder / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    course.run_nbgrader(folder, "generate_assignment", ASSIGNMENT, "--force")
    return folder


def submit(root: Path, student: str, answer: str) -> Path:
    """Hand in the released notebook with ``answer`` as the solution cell."""
    nb = nbformat.read(root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    cell.source = answer
    folder = root / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")
    return folder


def gradebook_scores(root: Path) -> dict:
    """{(student, grade_id): (auto_score, needs_manual_grade)} as nbgrader's gradebook has them."""
    grades = course.cell_grades(course.sqlite_url(root), [ASSIGNMENT], course_id="tiny")
    return {
        (student, cell): (g.auto_score, g.needs_manual_grade)
        for (student, _, cell), g in grades.items()
    }


def gradebook_comments(root: Path) -> dict:
    """{(student, cell): (auto_comment, manual_comment)}: the comment rows nbgrader's SaveAutoGrades writes."""
    from nbgrader.api import Gradebook

    with Gradebook(course.sqlite_url(root), "tiny") as gradebook:
        return {
            (submission.student.id, comment.name): (comment.auto_comment, comment.manual_comment)
            for submission in gradebook.assignment_submissions(ASSIGNMENT)
            for notebook in submission.notebooks
            for comment in notebook.comments
        }


def copy_course(tiny: Path, dest: Path) -> Path:
    shutil.copytree(tiny, dest)
    return dest


def test_parallel_autograde_scores_equal_stock_serial_autograde(tiny, tmp_path):
    """Do our gradebook and stock `nbgrader autograde`'s hold the same scores?"""
    students = {f"s{i}-{name}": code for i, (name, code) in enumerate(ANSWERS.items())}
    stock = copy_course(tiny, tmp_path / "stock")
    ours = copy_course(tiny, tmp_path / "ours")
    for root in (stock, ours):
        for student, code in students.items():
            submit(root, student, code)
    # Stock nbgrader exits 1 because of the crashed kernel; it still grades the others.
    done = subprocess.run(
        [str(Path(sys.executable).parent / "nbgrader"), "autograde", ASSIGNMENT],
        cwd=stock,
        env=course.environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert "kernel-crash" in done.stdout + done.stderr
    outcomes = autograde(ours, jobs=2, timeout=60, progress=False)

    expected = gradebook_scores(stock)
    assert len(expected) == len(students) * len(TESTS)
    assert gradebook_scores(ours) == expected
    comments = gradebook_comments(stock)
    assert len(comments) == len(students)  # one solution cell each
    assert comments[("s3-blank", "answer")] == ("No response.", None)  # unchanged from the release
    assert gradebook_comments(ours) == comments
    # The fixtures really do spread over outcomes (the comparison is not all-pass).
    assert expected[("s0-passes-all", "test_double_hidden")] == (2.0, False)
    assert expected[("s1-fails-hidden", "test_double_hidden")] == (0.0, False)
    assert expected[("s1-fails-hidden", "test_double_small")] == (1.0, False)
    # Same autograded folders: the crashed one is removed by both.
    assert sorted(p.name for p in (ours / "autograded").iterdir()) == sorted(
        p.name for p in (stock / "autograded").iterdir()
    )
    by_student = {o.student: o for o in outcomes}
    assert by_student["s5-kernel-crash"].failed
    assert by_student["s5-kernel-crash"].reason == "kernel died (exit code 1)"
    assert [o.status for o in outcomes].count("graded") == len(students) - 1


def test_hanging_and_crashing_notebooks_do_not_touch_a_good_one(tiny, tmp_path):
    """Is a good notebook graded while its neighbours hang and crash, and are they flagged?"""
    root = copy_course(tiny, tmp_path / "course")
    (root / "nbgrader_config.py").write_text(CONFIG.format(cell_timeout=600))
    submit(root, "good", ANSWERS["passes-all"])
    submit(root, "hangs", ANSWERS["infinite-loop"])
    submit(root, "crashes", ANSWERS["kernel-crash"])
    started = time.monotonic()
    bar = io.StringIO()
    outcomes = autograde(root, jobs=2, timeout=4, progress=bar)
    assert time.monotonic() - started < 60
    assert "] 3/3 submissions, 2 failed, " in bar.getvalue()
    by_student = {o.student: o for o in outcomes}
    assert by_student["good"].status == "graded"
    assert (by_student["good"].score, by_student["good"].max_score) == (3.0, 3.0)
    assert by_student["hangs"].failed
    assert by_student["hangs"].reason.startswith("timed out after 4 s")
    assert by_student["crashes"].failed
    assert by_student["crashes"].reason == "kernel died (exit code 1)"
    scores = gradebook_scores(root)
    assert scores[("good", "test_double_hidden")] == (2.0, False)
    assert scores[("hangs", "test_double_hidden")][0] is None
    assert not (root / "autograded" / "hangs" / ASSIGNMENT).exists()
    # The reasons are kept for the class report.
    status = read_status(root)
    assert status[("hangs", ASSIGNMENT, ASSIGNMENT)].reason == by_student["hangs"].reason
    assert status[("good", ASSIGNMENT, ASSIGNMENT)].status == "graded"


def test_memory_limit_turns_a_huge_allocation_into_a_memory_error(tiny, tmp_path):
    """Does a kernel under the memory limit fail its allocation instead of eating the machine?"""
    root = copy_course(tiny, tmp_path / "course")
    hog = "big = bytearray(3 * 1024 ** 3)\n" + ANSWERS["passes-all"]
    submit(root, "hog", hog)
    (outcome,) = autograde(root, jobs=1, timeout=60, memory_mb=1536, progress=False)
    assert outcome.status == "graded"
    nb = nbformat.read(
        root / "autograded" / "hog" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4
    )
    errors = [
        o.ename
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert "MemoryError" in errors


def test_a_malformed_notebook_is_flagged_and_the_rest_graded(tiny, tmp_path):
    """Is an unreadable .ipynb reported in one line while the others are graded?"""
    root = copy_course(tiny, tmp_path / "course")
    submit(root, "good", ANSWERS["passes-all"])
    bad = submit(root, "garbled", ANSWERS["passes-all"]) / f"{ASSIGNMENT}.ipynb"
    bad.write_text("{ this is not json")
    outcomes = autograde(root, jobs=2, timeout=60, progress=False)
    by_student = {o.student: o for o in outcomes}
    assert by_student["good"].status == "graded"
    assert by_student["garbled"].failed
    assert "not valid JSON" in by_student["garbled"].reason
    assert "\n" not in by_student["garbled"].line()


def test_already_graded_submissions_are_skipped_unless_forced(tiny, tmp_path):
    """Like stock autograde: a second run skips graded students; --force regrades."""
    root = copy_course(tiny, tmp_path / "course")
    submit(root, "ada", ANSWERS["passes-all"])
    assert [o.status for o in autograde(root, jobs=1, progress=False)] == ["graded"]
    assert [o.status for o in autograde(root, jobs=1, progress=False)] == ["skipped"]
    submit(root, "ada", ANSWERS["fails-all"])
    os.utime(root / "submitted" / "ada" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    (again,) = autograde(root, jobs=1, force=True, progress=False)
    assert (again.status, again.score) == ("graded", 0.0)


def test_status_file_is_plain_json(tiny, tmp_path):
    root = copy_course(tiny, tmp_path / "course")
    submit(root, "ada", ANSWERS["passes-all"])
    autograde(root, jobs=1, progress=False)
    rows = json.loads((root / "reports" / "autograde_status.json").read_text())
    assert rows == [
        {
            "student": "ada",
            "assignment": ASSIGNMENT,
            "notebook": ASSIGNMENT,
            "status": "graded",
            "reason": "",
            "seconds": rows[0]["seconds"],
            "score": 3.0,
            "max_score": 3.0,
            "stderr": "",
            "judged": True,
            "cpu": rows[0]["cpu"],
        }
    ]
    # one notebook: its kernel is started fresh, so its exit is not measured (a forked one's is)
    assert set(rows[0]["cpu"]) == {"start", "setup", "student", "checks", "judge", "worker", "record"}
    assert all(isinstance(v, float) and v >= 0 for v in rows[0]["cpu"].values())


def test_forked_kernels_account_for_their_exit(tiny, tmp_path):
    """Kernels forked warm (three on one worker) are measured to their exit, each part >= 0."""
    root = copy_course(tiny, tmp_path / "course")
    for student in ("ada", "bob", "cy"):
        submit(root, student, ANSWERS["passes-all"])
    autograde(root, jobs=1, progress=False)
    rows = json.loads((root / "reports" / "autograde_status.json").read_text())
    assert len(rows) == 3
    for row in rows:
        assert set(row["cpu"]) == {"start", "setup", "student", "checks", "exit", "judge", "worker", "record"}
        assert all(v >= 0 for v in row["cpu"].values())
        assert row["cpu"]["exit"] < 5  # what a killed kernel uses after its last cell: its teardown


def test_a_grading_worker_killed_mid_notebook_loses_only_that_notebook(tmp_path):
    """Is a dead worker replaced, its running notebook failed and its queued ones rerun?"""
    import signal

    from traitlets.config import Config

    from from_memory.engine.pool import LocalPool
    from from_memory.engine.worker import Job, Limits

    paths = []
    for name, code in (
        ("slow", "import time\ntime.sleep(30)"),
        ("quick1", "x = 1"),
        ("quick2", "x = 2"),
    ):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        (tmp_path / name).mkdir()
        nbformat.write(nb, tmp_path / name / "nb.ipynb")
        paths.append(str(tmp_path / name / "nb.ipynb"))
    pool = LocalPool(1, Config(), Limits(notebook_timeout=60))
    try:
        for key, path in enumerate(paths):
            pool.submit(Job(key, [path], dict(os.environ)))
        results, deadline = {}, time.monotonic() + 60
        while len(results) < 3 and time.monotonic() < deadline:
            for result in pool.results():
                results[result.key] = result
            worker = pool.workers[0]
            if worker["running"] and worker["running"][0] == 0 and worker["process"].is_alive():
                os.kill(worker["process"].pid, signal.SIGKILL)
    finally:
        pool.close()
    assert not results[0].ok
    assert results[0].notebooks[0].reason.startswith("the grading worker died")
    assert results[1].ok
    assert results[2].ok
    assert [c.outputs for c in nbformat.from_dict(results[1].notebooks[0].notebook).cells] == [[]]


def test_a_pool_starts_a_worker_per_submission_at_most_and_forks_warm_only_for_enough_kernels():
    from traitlets.config import Config

    from from_memory.engine import warm
    from from_memory.engine.pool import LocalPool
    from from_memory.engine.worker import Limits

    for jobs, submissions, kernels, workers, provisioner in (
        (4, 1, 2, 1, "from-memory-fresh"),  # one worker, two kernels: the template is not worth it
        (2, 3, 2 * warm.MIN_KERNELS, 2, "from-memory-warm"),
        (2, None, None, 2, "from-memory-warm"),  # nothing known of the run: as asked
    ):
        pool = LocalPool(jobs, Config(), Limits(provisioner="from-memory-warm"),
                         submissions=submissions, kernels=kernels)
        try:
            assert (len(pool.workers), pool.limits.provisioner) == (workers, provisioner)
        finally:
            pool.close()


def test_no_execute_grades_each_notebook_as_handed_in_as_stock_does(tiny, tmp_path):
    """``--no-execute``: no kernel runs, the handed-in outputs stay and are what is graded."""
    roots = {side: copy_course(tiny, tmp_path / side) for side in ("stock", "ours")}
    for root in roots.values():
        folder = submit(root, "ada", ANSWERS["fails-all"])  # would score 0 if it were run
        nb = nbformat.read(folder / f"{ASSIGNMENT}.ipynb", as_version=4)
        nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="handed in\n")]
        nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")
    nbgrader = str(Path(sys.executable).parent / "nbgrader")
    subprocess.run([nbgrader, "autograde", ASSIGNMENT, "--no-execute"], cwd=roots["stock"],
                   env=course.environment(), capture_output=True, check=True)
    (outcome,) = autograde(roots["ours"], progress=False, argv=["--no-execute"])
    assert (outcome.status, outcome.score) == ("graded", 3.0), outcome.reason
    assert gradebook_scores(roots["ours"]) == gradebook_scores(roots["stock"])
    graded = roots["ours"] / "autograded" / "ada" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    graded = nbformat.read(graded, as_version=4)
    assert graded.cells[1].outputs[0].text == "handed in\n"


def _two_notebook_course(root: Path) -> Path:
    """An assignment whose second notebook reads the file its first one writes."""
    root.mkdir(parents=True)
    (root / "nbgrader_config.py").write_text(CONFIG.format(cell_timeout=30).replace('"tiny"', '"pair"'))
    for name, code, test in (
        ("p1", "import time\ntime.sleep(1)\nopen('handoff.txt', 'w').write('42')", "assert True"),
        ("p2", "value = int(open('handoff.txt').read())", "assert value == 42"),
    ):
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells = [nbformat.v4.new_code_cell(code, metadata=_meta(f"{name}_code", solution=False)),
                    nbformat.v4.new_code_cell(test, metadata=_meta(f"test_{name}", grade=True, points=1))]
        (root / "source" / "pair").mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, root / "source" / "pair" / f"{name}.ipynb")
    course.run_nbgrader(root, "generate_assignment", "pair", "--force")
    for student in ("ann", "ben", "cat"):
        folder = root / "submitted" / student / "pair"
        folder.mkdir(parents=True)
        for name in ("p1", "p2"):
            shutil.copy(root / "release" / "pair" / f"{name}.ipynb", folder)
    return root


def test_the_notebooks_of_one_submission_run_in_order_on_one_worker(tmp_path):
    """A notebook that reads what the previous one of the same submission wrote gets its points."""
    root = _two_notebook_course(tmp_path / "pair")
    outcomes = autograde(root, jobs=2, progress=False)
    assert {(o.student, o.notebook): (o.status, o.score) for o in outcomes} == {
        (s, n): ("graded", 1.0) for s in ("ann", "ben", "cat") for n in ("p1", "p2")
    }


def test_a_course_without_settings_gets_no_limit_stock_would_not_have(tiny, tmp_path):
    """No memory limit, no wall clock per notebook, writes to the temporary folder allowed."""
    import tempfile

    root = copy_course(tiny, tmp_path / "course")
    target = Path(tempfile.gettempdir()) / f"from-memory-test-{os.getpid()}.txt"
    # 5 GiB of address space (numpy's zeros map it lazily: fast, yet over any 4 GiB RLIMIT_AS)
    honest = ("import numpy as np\nbig = np.zeros(5 * 1024 ** 3, np.uint8)\nbig[-1] = 1\ndel big\n"
              f"open({str(target)!r}, 'w').write('scratch')\n" + ANSWERS["passes-all"])
    submit(root, "ada", honest)
    try:
        (outcome,) = autograde(root, jobs=1, progress=False)
        assert (outcome.status, outcome.score) == ("graded", 3.0), outcome.reason
        assert target.read_text() == "scratch"
    finally:
        target.unlink(missing_ok=True)


def test_nbgrader_options_and_student_globs_mean_what_they_mean_to_nbgrader(tiny, tmp_path):
    root = copy_course(tiny, tmp_path / "course")
    for student in ("bart", "bea", "carl"):
        submit(root, student, ANSWERS["passes-all"])
    outcomes = autograde(root, student="b*", progress=False,
                         argv=["--CourseDirectory.student_id_exclude=bea"])
    assert [(o.student, o.status) for o in outcomes if o.status == "graded"] == [("bart", "graded")]


def delete_the_gradebook(**_):
    """A post-convert hook (see the test below): the gradebook vanishes after the first submission."""
    Path("gradebook.db").unlink(missing_ok=True)


def test_a_gradebook_deleted_mid_run_stops_the_batch_with_one_clear_line(tiny, tmp_path):
    from from_memory.engine.environment import GradingError

    root = copy_course(tiny, tmp_path / "course")
    for student in ("ada", "bob", "cy", "dee"):
        submit(root, student, ANSWERS["passes-all"])
    with pytest.raises(GradingError) as stopped:
        autograde(root, jobs=1, progress=False,
                  argv=["--BaseConverter.post_convert_hook=test_grading.delete_the_gradebook"])
    message = str(stopped.value)
    assert "\n" not in message
    assert "gradebook" in message
    assert "is missing" in message
    assert "`from-memory release`" in message
    assert "--force" in message
    assert not (root / "gradebook.db").exists()  # no empty gradebook made in its place


def test_the_judges_time_never_counts_against_a_cells_time_limit(tmp_path, monkeypatch):
    """A judge slower than the per-cell limit (a diagnosis on a loaded machine) still gives the verdict."""
    import re
    import time

    from from_memory.examples.adversarial import make_course
    from from_memory.examples.submissions import passes_all, write_submission
    from from_memory.judge import verdicts

    root = make_course(tmp_path / "course", ["ps1_forward"])
    config = root / "nbgrader_config.py"
    config.write_text(re.sub(r"c\.ExecutePreprocessor\.timeout = \d+", "c.ExecutePreprocessor.timeout = 10",
                             config.read_text()))
    write_submission(passes_all("ps1_forward"), root, "ada", "ps1_forward")
    judge, slowed = verdicts.judge, []

    def slow_judge(*args, **kwargs):
        if not slowed:  # the first verdict of the notebook takes longer than a cell may
            slowed.append(True)
            time.sleep(12)
        return judge(*args, **kwargs)

    monkeypatch.setattr(verdicts, "judge", slow_judge)  # the workers fork from this process
    (outcome,) = autograde(root, ["ps1_forward"], jobs=1, progress=False)
    assert (outcome.status, outcome.score) == ("graded", outcome.max_score), outcome.reason
