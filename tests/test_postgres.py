"""The gradebook on a real PostgreSQL server, against the sqlite default.

A server from the system's PostgreSQL packages is started in a temporary folder
(``initdb`` + ``pg_ctl``, listening on a unix socket only, as the ``postgres`` user
when run as root). Part of the demo class is released and autograded twice: once into the
default ``gradebook.db``, once through ``from-memory --db postgresql://...`` into the
server; nbgrader's own ``Gradebook`` reads both back, and they must hold the same grades.

The server test runs with ``make test-postgres`` (``pytest -m postgres``), not in ``make test``.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from from_memory import course
from from_memory.course import cli
from from_memory.engine.grading import read_status

REPO = Path(__file__).resolve().parents[1]
DATABASE = "gradebook"
# Part of the demo class, all six assignments each: full marks, mutants, a deleted test
# cell (unscored, needs manual grading) and blank notebooks.
STUDENTS = ("ada", "barbara", "hedy", "john")


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        pytest.fail("PostgreSQL is not installed: `make test-postgres` installs it (apt-get install postgresql)")
    return Path(found[-1]).parent


@pytest.fixture(scope="module")
def server():
    """A PostgreSQL server in a temporary folder; yields the gradebook's SQLAlchemy URL."""
    import psycopg2  # the `scale` extra; `make test-postgres` installs it
    bin_dir = _postgres_bin()
    folder = Path(tempfile.mkdtemp(prefix="fm-pg-"))  # short: a socket path has ~100 bytes
    data, sockets = folder / "data", folder / "run"
    sockets.mkdir()
    as_user = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(folder, "postgres")
        shutil.chown(sockets, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]

    def run(*command):
        done = subprocess.run([*as_user, *command], capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}"

    run(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
    options = f"-k {sockets} -c listen_addresses='' -F"
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "server.log"), "-w", "start")
    try:
        db = psycopg2.connect(host=str(sockets), dbname="postgres", user="postgres")
        db.autocommit = True  # CREATE DATABASE refuses to run in a transaction
        db.cursor().execute(f"CREATE DATABASE {DATABASE}")
        db.close()
        yield f"postgresql+psycopg2://postgres@/{DATABASE}?host={sockets}"
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def course_of_four(folder: Path, demo: Path) -> Path:
    """A copy of the course holding :data:`STUDENTS` of the ``demo`` class (no gradebook yet)."""
    for name in ("source", "release"):
        shutil.copytree(REPO / name, folder / name)
    for student in STUDENTS:
        shutil.copytree(demo / "submitted" / student, folder / "submitted" / student)
    shutil.copy(REPO / "nbgrader_config.py", folder)
    return folder


def grade(root: Path, *db: str) -> dict:
    """Release and autograde ``root`` through the CLI; a notebook whose kernel failed gets one more go.

    (On a loaded machine a kernel can fail to start; that is not what is compared here.)
    Returns the outcomes by (student, assignment).
    """
    assert cli.main(["release", "--course", str(root), *db]) == 0
    cli.main(["autograde", "--force", "--course", str(root), *db])
    for (student, ps, _), outcome in read_status(root).items():
        if outcome.failed:
            cli.main(["autograde", ps, "--student", student, "--force", "--course", str(root), *db])
    return {(student, ps): outcome for (student, ps, _), outcome in read_status(root).items()}


def grades(url: str) -> dict:
    """{(student, assignment, grade cell): (auto_score, max_score, needs_manual_grade)} from nbgrader's API."""
    return {
        key: (g.auto_score, g.max_score, g.needs_manual_grade)
        for key, g in course.cell_grades(url).items()
    }


@pytest.mark.postgres
@pytest.mark.nbgrader
def test_demo_class_graded_into_postgres_equals_sqlite(
    server, demo_course, tmp_path, monkeypatch, capsys
):
    """Does `from-memory --db postgresql://...` leave the same grades as the sqlite gradebook?"""
    # Empty: the sqlite default. `--db` below sets it; monkeypatch puts it back afterwards.
    monkeypatch.setenv("FROM_MEMORY_DB_URL", "")
    lite = course_of_four(tmp_path / "sqlite", demo_course)
    lite_outcomes = grade(lite)
    expected = grades(f"sqlite:///{lite / 'gradebook.db'}")

    pg = course_of_four(tmp_path / "postgres", demo_course)
    pg_outcomes = grade(pg, "--db", server)
    capsys.readouterr()

    assert len(pg_outcomes) == len(lite_outcomes) == len(STUDENTS) * 6
    assert {key: o.status for key, o in pg_outcomes.items()} == {key: o.status for key, o in lite_outcomes.items()}
    assert all(o.status == "graded" for o in pg_outcomes.values())

    assert not (pg / "gradebook.db").exists(), "the gradebook should be on the server, not in sqlite"
    got = grades(server)
    assert got == expected
    # nbgrader's export (`from-memory grades`) finds the server too, and writes the same table.
    assert cli.main(["grades", "--course", str(lite)]) == 0
    assert cli.main(["grades", "--course", str(pg), "--db", server]) == 0
    capsys.readouterr()
    csv = "reports/grades.csv"
    assert (pg / csv).read_text() == (lite / csv).read_text()
    assert len((pg / csv).read_text().splitlines()) == 1 + len(STUDENTS) * 6
    # The demo class spreads over outcomes: full marks, zeros, partial, unscored (flagged).
    scores = [score for score, _, _ in expected.values()]
    assert {student for student, _, _ in expected} == set(STUDENTS)
    assert 0.0 in scores
    assert None in scores
    assert any(score and score == top for score, top, _ in expected.values())


def test_a_bad_db_url_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FROM_MEMORY_DB_URL", "")
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(REPO / "nbgrader_config.py", root)
    assert cli.main(["autograde", "--course", str(root), "--db", "gradebook.sqlite"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--db expects a database URL" in err
