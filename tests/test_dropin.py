"""`from-memory` on a course it was not written for: nbgrader's settings, wherever they live.

Each test takes the tiny course of :mod:`test_grading` (its own plain nbgrader config,
none of this kit's settings), changes it the way another course is set up, and runs the
installed ``from-memory`` console script on it as that course's instructor would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from test_grading import ANSWERS, ASSIGNMENT, copy_course, submit

from from_memory import course

pytestmark = pytest.mark.nbgrader

SCRIPT = Path(sys.executable).parent / "from-memory"


def from_memory(*argv, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *argv], cwd=cwd, capture_output=True, text=True,
                          env=env or course.environment(), check=False, timeout=600)


def scores(db: Path) -> dict:
    """{(student, grade id): auto score} of an sqlite gradebook, read through nbgrader's API."""
    grades = course.cell_grades(f"sqlite:///{db}", [ASSIGNMENT], course_id="tiny")
    return {(student, cell): g.auto_score for (student, _, cell), g in grades.items()}


def test_a_course_configured_in_jupyters_config_folder_with_renamed_folders(tiny, tmp_path):
    """The config in a Jupyter config folder, with an absolute root and `collected/` for submissions."""
    root = copy_course(tiny, tmp_path / "course")
    submit(root, "ada", ANSWERS["passes-all"])
    submit(root, "bob", ANSWERS["fails-hidden"])
    (root / "submitted").rename(root / "collected")
    config_dir = tmp_path / "jupyter-config"
    config_dir.mkdir()
    settings = (root / "nbgrader_config.py").read_text().replace(
        'c.CourseDirectory.root = "."', f"c.CourseDirectory.root = {str(root)!r}")
    (config_dir / "nbgrader_config.py").write_text(
        settings + 'c.CourseDirectory.submitted_directory = "collected"\n')
    (root / "nbgrader_config.py").unlink()
    elsewhere = tmp_path / "home"
    elsewhere.mkdir()
    env = dict(course.environment(), JUPYTER_CONFIG_DIR=str(config_dir))

    done = from_memory("autograde", ASSIGNMENT, "--jobs", "2", cwd=elsewhere, env=env)

    assert done.returncode == 0, done.stdout + done.stderr
    assert scores(root / "gradebook.db") == {
        ("ada", "test_double_small"): 1.0, ("ada", "test_double_hidden"): 2.0,
        ("bob", "test_double_small"): 1.0, ("bob", "test_double_hidden"): 0.0,
    }
    assert (root / "autograded" / "ada" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
    assert not (elsewhere / "gradebook.db").exists()


@pytest.mark.parametrize("where", ["before the command", "after the command"])
def test_db_names_the_gradebook_of_any_course(tiny, tmp_path, where):
    root = copy_course(tiny, tmp_path / "course")
    submit(root, "ada", ANSWERS["passes-all"])
    other = tmp_path / "elsewhere.db"
    shutil.copy(root / "gradebook.db", other)  # holds the released assignment, no submission
    before = (root / "gradebook.db").read_bytes()

    db = ["--db", f"sqlite:///{other}"]
    argv = [*db, "autograde", ASSIGNMENT] if where == "before the command" else ["autograde", ASSIGNMENT, *db]
    done = from_memory(*argv, cwd=root)

    assert done.returncode == 0, done.stdout + done.stderr
    assert scores(other) == {("ada", "test_double_small"): 1.0, ("ada", "test_double_hidden"): 2.0}
    assert (root / "gradebook.db").read_bytes() == before


def test_the_configured_kernel_name_wins_over_the_notebooks_as_in_nbclient(tiny, tmp_path):
    root = copy_course(tiny, tmp_path / "course")
    folder = submit(root, "ada", ANSWERS["passes-all"])
    path = folder / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"]["name"] = "a-kernel-this-machine-lacks"
    nbformat.write(nb, path)
    with open(root / "nbgrader_config.py", "a") as config:
        config.write('c.Execute.kernel_name = "python3"\n')

    done = from_memory("autograde", ASSIGNMENT, cwd=root)

    assert done.returncode == 0, done.stdout + done.stderr
    assert scores(root / "gradebook.db")[("ada", "test_double_hidden")] == 2.0


def test_feedback_of_any_course_never_shows_its_hidden_tests(tiny, tmp_path):
    """A hidden test failing, and a visible assert failing right above the hidden ones."""
    root = copy_course(tiny, tmp_path / "course")
    submit(root, "bob", ANSWERS["fails-hidden"])
    submit(root, "cy", ANSWERS["fails-all"])
    assert "HIDDEN" not in (root / "nbgrader_config.py").read_text()  # no settings of this kit
    assert from_memory("autograde", ASSIGNMENT, cwd=root).returncode == 0

    done = from_memory("feedback", ASSIGNMENT, cwd=root)

    assert done.returncode == 0, done.stdout + done.stderr
    pages = {s: (root / "feedback" / s / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text() for s in ("bob", "cy")}
    for student, page in pages.items():
        assert "double(5)" not in page, student
        assert "HIDDEN TESTS" not in page, student
    assert "AssertionError" in pages["cy"]  # the failure itself is still shown


def test_a_course_whose_config_is_nowhere_is_told_so_in_one_line(tmp_path):
    env = dict(course.environment(), JUPYTER_CONFIG_DIR=str(tmp_path / "empty"))
    env.pop("JUPYTER_CONFIG_PATH", None)
    done = from_memory("autograde", ASSIGNMENT, cwd=tmp_path, env=env)
    assert done.returncode == 2
    assert done.stderr.startswith("from-memory: error: no nbgrader_config.py"), done.stderr
    assert "Traceback" not in done.stderr
    assert os.listdir(tmp_path) == []  # nothing written, no empty gradebook
