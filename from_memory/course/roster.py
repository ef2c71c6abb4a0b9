"""The class roster: students from an LMS export, into nbgrader's gradebook.

Canvas (gradebook export: ``Student``, ``ID``, ``SIS User ID``, ``SIS Login ID``, ...) and
Moodle (participants or user export: ``First name``, ``Last name``/``Surname``, ``ID number``,
``Username``, ``Email address``) name their columns differently; :func:`read_roster` knows
both, and plain ``id,first_name,last_name,email``. The student id is what names the
student's folders and their exchange submissions (their login), so it is taken from the
first column present among :data:`ID_COLUMNS`; Canvas's numeric ``ID`` is kept as the
student's ``lms_user_id`` (the LMS export and zip collect use it).

The rows are written into the gradebook by ``nbgrader db student import``, which adds new
students and updates known ones.

    from_memory.course.roster.import_roster(".", "canvas_export.csv")
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from from_memory import course
from from_memory.course import CourseError

# Tried in order: the first column present names the student (lower case, spaces as _).
ID_COLUMNS = ("id", "student_id", "username", "sis_login_id", "login", "sis_user_id", "id_number", "idnumber")
FIRST_COLUMNS = ("first_name", "firstname", "given_name")
LAST_COLUMNS = ("last_name", "lastname", "surname", "family_name")
FULL_NAME_COLUMNS = ("student", "name", "full_name")  # Canvas: "Last, First"
EMAIL_COLUMNS = ("email", "email_address", "e-mail", "e-mail_address", "mail")
LMS_ID_COLUMNS = ("lms_user_id", "canvas_id")
CANVAS_ID = "ID"  # Canvas's own numeric user id column (taken as the lms id, not the login)
# Canvas exports carry rows that are not students.
NOT_STUDENTS = ("points possible", "test student", "student, test")


@dataclass(frozen=True)
class RosterStudent:
    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    lms_user_id: str = ""


def _key(header: str) -> str:
    return re.sub(r"\s+", "_", header.strip().lstrip("\ufeff").lower())


def read_roster(path) -> list[RosterStudent]:
    """The students of an LMS roster export; CourseError naming what is wrong with the file."""
    path = Path(path)
    if not path.is_file():
        raise CourseError(f"no roster file {path}: export the class list from your LMS as CSV")
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    reader = csv.DictReader(io.StringIO(text))
    headers = {_key(h): h for h in reader.fieldnames or ()}
    canvas = CANVAS_ID in (reader.fieldnames or ()) and "sis_user_id" in headers

    def column(names, *, skip=()):
        return next((headers[n] for n in names if n in headers and n not in skip), None)

    id_column = column(ID_COLUMNS, skip=("id",) if canvas else ())
    email_column = column(EMAIL_COLUMNS)
    if id_column is None and email_column is None:
        raise CourseError(
            f"{path.name} has no student id column (looked for: {', '.join(ID_COLUMNS)}; "
            f"found: {', '.join(reader.fieldnames or ['nothing'])}): add an `id` column"
        )
    first, last = column(FIRST_COLUMNS), column(LAST_COLUMNS)
    full = column(FULL_NAME_COLUMNS)
    lms = CANVAS_ID if canvas else column(LMS_ID_COLUMNS)
    students, seen = [], set()
    for number, row in enumerate(reader, start=2):
        name = (row.get(full) or "").strip() if full else ""
        if name.lower() in NOT_STUDENTS or not any((v or "").strip() for v in row.values()):
            continue
        student_id = (row.get(id_column) or "").strip() if id_column else ""
        email = (row.get(email_column) or "").strip() if email_column else ""
        if not student_id and email:
            student_id = email.split("@")[0]
        if not student_id:
            continue  # Canvas's "Points Possible" row and blank lines have no id
        if not re.fullmatch(r"[\w.@-]+", student_id):
            raise CourseError(
                f"{path.name} line {number}: student id {student_id!r} cannot name a folder "
                "(letters, digits, . _ - @ only): fix it in the file"
            )
        if student_id in seen:
            raise CourseError(f"{path.name} line {number}: student {student_id!r} is listed twice")
        seen.add(student_id)
        given = (row.get(first) or "").strip() if first else ""
        family = (row.get(last) or "").strip() if last else ""
        if name and not (given or family):
            family, _, given = name.partition(",") if "," in name else name.rpartition(" ")[::-1]
            given, family = given.strip(), family.strip()
        students.append(
            RosterStudent(student_id, given, family, email, (row.get(lms) or "").strip() if lms else "")
        )
    if not students:
        raise CourseError(f"{path.name} lists no students: check that it is the class roster")
    return students


def import_roster(course_root, path, *, verbose: bool = False) -> list[RosterStudent]:
    """Add (or update) every student of the roster file in the course's gradebook."""
    root = Path(course_root).resolve()
    students = read_roster(path)
    with tempfile.NamedTemporaryFile(
        "w", suffix=".csv", dir=root, prefix=".roster-", delete=False, newline=""
    ) as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "first_name", "last_name", "email", "lms_user_id"])
        for s in students:
            writer.writerow([s.id, s.first_name, s.last_name, s.email, s.lms_user_id])
    try:
        course.run_nbgrader(root, "db", "student", "import", handle.name, verbose=verbose)
    finally:
        Path(handle.name).unlink()
    return students
