"""A term's bookkeeping: due dates, late policy, roster files, LMS file names, a safe gradebook."""

from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path

import pytest

from from_memory.course import CourseError, cli, collect, due, export, roster
from from_memory.course.gradebook import require_gradebook

REPO = Path(__file__).resolve().parents[1]
UTC = datetime.timezone.utc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-10-06 17:00 UTC", datetime.datetime(2025, 10, 6, 17, 0, tzinfo=UTC)),
        ("2025-10-06 17:00 Europe/London", datetime.datetime(2025, 10, 6, 16, 0, tzinfo=UTC)),
        ("2025-01-06 09:30 +0200", datetime.datetime(2025, 1, 6, 7, 30, tzinfo=UTC)),
        ("2025-01-06T9:05 GMT", datetime.datetime(2025, 1, 6, 9, 5, tzinfo=UTC)),
    ],
)
def test_is_a_due_date_read_in_its_own_time_zone(text, expected):
    assert due.parse_due(text) == expected


@pytest.mark.parametrize("text", ["2025-10-06", "next friday", "2025-10-06 17:00 Mars/Olympus"])
def test_does_an_unreadable_due_date_say_how_to_write_it(text):
    with pytest.raises(CourseError, match=r"'YYYY-MM-DD HH:MM TZ'|unknown time zone"):
        due.parse_due(text)


def test_does_the_late_policy_take_a_share_per_started_day_after_the_grace_period():
    assert due.penalty(8.0, 10 * 60, 10, 15) is None  # within the grace period
    assert due.penalty(8.0, 20 * 60, 10, 15) == pytest.approx(0.8)  # first day started
    assert due.penalty(8.0, 86400 + 20 * 60, 10, 15) == pytest.approx(1.6)  # second day
    assert due.penalty(8.0, 30 * 86400, 10, 15) == 8.0  # never more than the score


def _csv(tmp_path, text) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_is_a_canvas_gradebook_export_read_as_a_roster(tmp_path):
    path = _csv(tmp_path, (
        "\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,ps1 (1)\n"
        "    Points Possible,,,,,5\n"
        '"Lovelace, Ada",1001,u1001,ada,S1,4\n'
        '"Student, Test",9999,,,S1,\n'
        '"Hopper, Grace",1002,u1002,grace,S1,5\n'
    ))
    students = roster.read_roster(path)
    assert students == [
        roster.RosterStudent("ada", "Ada", "Lovelace", "", "1001"),
        roster.RosterStudent("grace", "Grace", "Hopper", "", "1002"),
    ]


def test_is_a_moodle_participants_export_read_as_a_roster(tmp_path):
    path = _csv(tmp_path, (
        "First name,Surname,ID number,Email address\n"
        "Ada,Lovelace,al123,ada@uni.example\n"
        "Alan,Turing,,alan.t@uni.example\n"
    ))
    students = roster.read_roster(path)
    assert [(s.id, s.first_name, s.last_name, s.email) for s in students] == [
        ("al123", "Ada", "Lovelace", "ada@uni.example"),
        ("alan.t", "Alan", "Turing", "alan.t@uni.example"),  # no id: the email's name
    ]


def test_does_a_roster_without_ids_say_which_column_to_add(tmp_path):
    with pytest.raises(CourseError, match="no student id column .*add an `id` column"):
        roster.read_roster(_csv(tmp_path, "Name,Grade\nAda,5\n"))


def _plugin(tmp_path, students):
    plugin = collect.LmsFileNames()
    (tmp_path / "roster.json").write_text(json.dumps(students))
    plugin.roster_file = str(tmp_path / "roster.json")
    return plugin


ROSTER = [
    {"id": "ada", "first_name": "Ada", "last_name": "Lovelace", "lms_user_id": "1001"},
    {"id": "al", "first_name": "Alan", "last_name": "Turing", "lms_user_id": ""},
]


@pytest.mark.parametrize(
    ("lms", "name", "student"),
    [
        ("canvas", "x/lovelaceada_1001_5000_ps1_forward.ipynb", "ada"),  # by Canvas user id
        ("canvas", "x/turingalan_LATE_7777_5001_ps1_forward-1.ipynb", "al"),  # by name
        ("canvas", "x/smithjo_4242_5002_ps1_forward.ipynb", None),  # on no roster
        ("moodle", "x/Alan Turing_88_assignsubmission_file_/ps1_forward.ipynb", "al"),
        ("moodle", "x/Ada Lovelace_89_assignsubmission_file_ps1_forward.ipynb", "ada"),
    ],
)
def test_are_lms_file_names_matched_to_the_roster(tmp_path, lms, name, student):
    import re

    found = re.match(collect.LMS_PATTERNS[lms], name)
    assert found, f"the {lms} pattern does not match {name}"
    assert _plugin(tmp_path, ROSTER)._student(found.groupdict()) == student


def test_does_a_pattern_without_a_student_group_say_what_it_needs():
    with pytest.raises(CourseError, match=r"\(\?P<file_id>"):
        collect._pattern(None, r"(?P<file_id>.*)")
    with pytest.raises(CourseError, match="--lms canvas or --lms moodle"):
        collect._pattern(None, None)


@pytest.fixture
def bare_course(tmp_path):
    shutil.copy(REPO / "nbgrader_config.py", tmp_path)
    for name in ("source", "release"):
        shutil.copytree(REPO / name, tmp_path / name)
    return tmp_path


@pytest.mark.parametrize("command", ["feedback", "grades", "status", "report", "manual"])
def test_does_a_command_without_a_gradebook_stop_in_one_line_and_create_none(
    bare_course, capsys, command
):
    (bare_course / "autograded" / "ada" / "ps1_forward").mkdir(parents=True)
    (bare_course / "autograded" / "ada" / "ps1_forward" / "ps1_forward.ipynb").write_text("{}")
    code = cli.main([command, "--course", str(bare_course)])
    err = capsys.readouterr().err.strip()
    assert code != 0
    assert len(err.splitlines()) == 1, err
    assert "from-memory release" in err
    assert not (bare_course / "gradebook.db").exists()


def test_is_a_missing_assignment_in_the_gradebook_named_with_what_to_run(bare_course):
    from from_memory import course

    course.release(bare_course, ["ps1_forward"])
    with pytest.raises(CourseError, match="`from-memory release ps2_backprop`"):
        require_gradebook(bare_course, ["ps2_backprop"])


def test_does_export_keep_a_grades_file_with_more_scored_rows(bare_course):
    from from_memory import course

    course.release(bare_course, ["ps1_forward"])
    kept = bare_course / "reports" / "grades.csv"
    kept.parent.mkdir()
    kept.write_text(
        ",".join(export.PLAIN_COLUMNS) + "\n"
        + "ps1_forward,,,ada,,,,5,0,5,5,graded,,100.0\n"
    )
    before = kept.read_text()
    with pytest.raises(CourseError, match="gives 0 scored row.*--force"):
        export.export(bare_course, "plain")
    assert kept.read_text() == before
    export.export(bare_course, "plain", force=True)
    assert export.scored_rows(kept) == 0
