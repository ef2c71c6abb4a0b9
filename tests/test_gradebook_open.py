"""Opening nbgrader's Gradebook within quicker_nbgrader: checks done once, and only once made."""

from __future__ import annotations

import sqlite3

from nbgrader.api import Gradebook
from sqlalchemy import event

from from_memory.engine.gradebook import quicker_nbgrader


def statements_of(engine) -> list[str]:
    """Every SQL statement ``engine`` runs from now on, as it runs them."""
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda conn, cursor, sql, *rest: seen.append(sql))
    return seen


def test_a_gradebook_opened_again_and_again_lists_its_tables_once_and_checks_its_course_once(tmp_path):
    """Do repeated openings of a gradebook (same course) run (nearly) no query of their own?"""
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with quicker_nbgrader():
        with Gradebook(url, "course-a") as first:
            seen = statements_of(first.engine)  # the engine is shared by what is opened next
        for _ in range(5):
            with Gradebook(url, "course-a") as again:
                assert again.engine is first.engine
        # nbgrader alone: a listing of the tables and a lookup of the course per opening.
        assert [sql.split()[:4] for sql in seen] == [["SELECT", "name", "FROM", "sqlite_master"]]
        with Gradebook(url, "course-a") as used:
            assert used.check_course("course-a").id == "course-a"  # still a working gradebook
        assert len(seen) > 1, "the lookup itself ran a query"


def test_each_new_course_still_gets_its_row_and_a_new_database_its_version_once(tmp_path):
    """Does opening for another course make its row, and is alembic's version written once?"""
    path = tmp_path / "gradebook.db"
    url = f"sqlite:///{path}"
    with quicker_nbgrader():
        for course in ("course-a", "course-b", "course-a", "course-b"):
            with Gradebook(url, course):
                pass
    with sqlite3.connect(path) as db:
        assert sorted(row[0] for row in db.execute("SELECT id FROM course")) == ["course-a", "course-b"]
        assert db.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)


def test_outside_the_context_nbgrader_checks_again(tmp_path):
    """Are nbgrader's own checks back once the context is left (a new course gets its row)?"""
    path = tmp_path / "gradebook.db"
    url = f"sqlite:///{path}"
    with quicker_nbgrader(), Gradebook(url, "course-a"):
        pass
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM course")
    with Gradebook(url, "course-a"):
        assert sqlite3.connect(path).execute("SELECT id FROM course").fetchall() == [("course-a",)]
