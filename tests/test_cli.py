"""`from-memory`: every subcommand documents itself, and bad input ends in one clear line."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_grading import ANSWERS, ASSIGNMENT, make_course, submit

from from_memory import course
from from_memory.course import cli

COMMANDS = ["release", "autograde", "feedback", "grades", "report", "demo"]


def run(capsys, *argv, cwd: Path | None = None, monkeypatch=None):
    """(exit code, stdout, stderr) of ``from-memory argv`` run in this process."""
    if cwd is not None:
        monkeypatch.chdir(cwd)
    try:
        code = cli.main(list(argv))
    except SystemExit as stop:  # argparse's own exits (--help, usage errors)
        code = stop.code
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("from-memory: error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_of_each_subcommand_ends_with_examples(capsys, command):
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    tail = out.rstrip().splitlines()
    examples = tail.index("examples:")
    assert all(line.startswith("  from-memory ") for line in tail[examples + 1 :])
    assert "--jobs" in out
    assert "--verbose" in out


def test_autograde_help_names_the_settings_its_limits_default_to(capsys):
    from from_memory.engine.converter import ParallelAutograde

    _, out, _ = run(capsys, "autograde", "--help")
    out = " ".join(out.split())  # argparse wraps help text to the terminal's width
    for setting in ("notebook_timeout", "memory_limit"):
        assert setting in ParallelAutograde.class_trait_names(config=True)
        assert f"(default: ParallelAutograde.{setting} of the course's config)" in out


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    return make_course(tmp_path_factory.mktemp("cli") / "course")


@pytest.fixture
def tiny(released, tmp_path) -> Path:
    return Path(shutil.copytree(released, tmp_path / "course"))


def test_outside_a_course_says_where_to_go(capsys, monkeypatch, tmp_path):
    code, _, err = run(capsys, "autograde", cwd=tmp_path, monkeypatch=monkeypatch)
    assert code == 2
    assert "no nbgrader_config.py in" in one_error_line(err)
    assert "--course DIR" in err


def test_unknown_assignment_lists_the_known_ones(capsys, monkeypatch, tiny):
    code, _, err = run(capsys, "autograde", "ps9_nope", cwd=tiny, monkeypatch=monkeypatch)
    assert code == 2
    line = one_error_line(err)
    assert "no assignment 'ps9_nope'" in line
    assert f"known: {ASSIGNMENT}" in line


def test_unknown_student_lists_the_known_ones(capsys, monkeypatch, tiny):
    submit(tiny, "ada", ANSWERS["passes-all"])
    code, _, err = run(capsys, "autograde", "--student", "zed", cwd=tiny, monkeypatch=monkeypatch)
    assert code == 2
    line = one_error_line(err)
    assert "no student 'zed'" in line
    assert "known: ada" in line


def test_empty_submitted_folder_says_what_to_collect(capsys, monkeypatch, tiny):
    (tiny / "submitted").mkdir()
    code, _, err = run(capsys, "autograde", cwd=tiny, monkeypatch=monkeypatch)
    assert code == 2
    assert "submitted/ holds no submissions" in one_error_line(err)


def test_unreleased_assignment_says_to_release_it(capsys, monkeypatch, tiny):
    shutil.rmtree(tiny / "release")
    (tiny / "gradebook.db").unlink()
    submit_dir = tiny / "submitted" / "ada" / ASSIGNMENT
    submit_dir.mkdir(parents=True)
    code, _, err = run(
        capsys, "autograde", "--course", str(tiny), cwd=tiny.parent, monkeypatch=monkeypatch
    )
    assert code == 2
    assert "release the assignments first (`from-memory release`" in one_error_line(err)


def test_bad_jobs_value_is_one_line(capsys):
    code, _, err = run(capsys, "autograde", "--jobs", "0")
    assert code == 2
    assert "expected a positive whole number" in one_error_line(err)


def test_feedback_before_autograde_says_to_autograde(capsys, monkeypatch, tiny):
    code, _, err = run(capsys, "feedback", cwd=tiny, monkeypatch=monkeypatch)
    assert code == 2
    assert "run `from-memory autograde` first" in one_error_line(err)


def test_malformed_source_notebook_fails_release_in_one_line(capsys, monkeypatch, tiny):
    (tiny / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").write_text("{ not json")
    code, _, err = run(capsys, "release", cwd=tiny, monkeypatch=monkeypatch)
    assert code == 2
    line = one_error_line(err)
    assert "`nbgrader generate_assignment" in line
    assert f"failed: {ASSIGNMENT}: NotJSONError: Notebook does not appear to be JSON" in line


def test_malformed_submission_is_listed_and_the_exit_code_says_so(capsys, monkeypatch, tiny):
    submit(tiny, "ada", ANSWERS["passes-all"])
    garbled = submit(tiny, "bob", ANSWERS["passes-all"]) / f"{ASSIGNMENT}.ipynb"
    garbled.write_text("{ not json")
    code, out, err = run(capsys, "autograde", "--jobs", "2", cwd=tiny, monkeypatch=monkeypatch)
    assert code == 1
    assert f"ada/{ASSIGNMENT}/{ASSIGNMENT}: graded 3/3" in out
    assert f"bob/{ASSIGNMENT}/{ASSIGNMENT}: failed: the notebook is not valid JSON" in out
    errors = [line for line in err.splitlines() if line.startswith("from-memory: error:")]
    assert errors == [
        (
            "from-memory: error: 1 notebook(s) could not be graded (listed above); after a fix, "
            f"regrade one with `from-memory autograde {ASSIGNMENT} --student bob --force`"
        )
    ]
    assert "Traceback" not in err


def test_grades_writes_one_row_per_student_and_assignment(capsys, monkeypatch, tiny):
    for student in ("ada", "bob", "cy"):
        submit(tiny, student, ANSWERS["passes-all" if student != "bob" else "fails-all"])
    assert run(capsys, "autograde", cwd=tiny, monkeypatch=monkeypatch)[0] == 0
    code, out, _ = run(capsys, "grades", cwd=tiny, monkeypatch=monkeypatch)
    assert code == 0
    import csv

    with (tiny / "reports" / "grades.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert sorted((r["student_id"], r["assignment"], float(r["score"])) for r in rows) == [
        ("ada", ASSIGNMENT, 3.0),
        ("bob", ASSIGNMENT, 0.0),
        ("cy", ASSIGNMENT, 3.0),
    ]
    assert "reports/grades.csv" in out


def test_the_console_script_prints_no_traceback(tmp_path):
    """The installed `from-memory` itself, outside any course."""
    script = Path(sys.executable).parent / "from-memory"
    done = subprocess.run(
        [str(script), "grades"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=course.environment(),
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert one_error_line(done.stderr).startswith("from-memory: error: no nbgrader_config.py")
