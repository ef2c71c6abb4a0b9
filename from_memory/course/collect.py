"""Collecting submissions into ``submitted/``: from nbgrader's exchange or an LMS download.

* ``collect_exchange``: ``nbgrader collect --update`` (students submitted with JupyterLab's
  Assignments tab or ``nbgrader submit``); the exchange folder is the one the course's
  ``nbgrader_config.py`` sets (``exchange/`` in the course, or ``$FROM_MEMORY_EXCHANGE``).
* ``collect_zip``: ``nbgrader zip_collect`` on a Canvas or Moodle "download all submissions"
  archive, with the plugins below: file names are read by :class:`LmsFileNames` (built-in
  patterns per LMS, or the instructor's own) and matched to the roster; each file's time
  in the archive becomes the submission's ``timestamp.txt`` (:class:`KeepArchiveTimes`).

Either way, re-collecting keeps the newest submission of each student, and a file that
matches no student is reported by name (:class:`Collected`), never dropped silently.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.plugins import ExtractorPlugin, FileNameCollectorPlugin
from traitlets import Unicode

from from_memory import course
from from_memory.course import CourseError

# Matched against the whole extracted path (hence ``.*/``), as nbgrader does.
LMS_PATTERNS = {
    # lastfirst[_LATE]_<canvas user id>_<submission id>_<file name>[-<n>].ipynb
    "canvas": r".*/(?P<name>[^/_]+)(?:_LATE)?_(?P<lms_id>\d+)_\d+_(?P<file_id>[^/]+)",
    # Full Name_<participant id>_assignsubmission_file_[/]<file name>
    "moodle": r".*/(?P<name>[^/_]+)_(?P<lms_id>\d+)_assignsubmission_file_/?(?P<file_id>[^/]+)",
}
COLLECT_LOG = "collect.json"  # what the last zip collect did with each file
UPLOAD_NAMES = "upload_names.json"  # student -> the LMS's file-name prefix, for `feedback --zip`


def exchange_root(course_root) -> Path:
    """The exchange folder the course's config names (``Exchange.root``)."""
    from traitlets.config.loader import PyFileConfigLoader

    root = Path(course_root).resolve()
    config = PyFileConfigLoader(course.CONFIG_FILE, path=str(root)).load_config()
    folder = config.get("Exchange", {}).get("root")
    if not folder:
        raise CourseError(
            f"{course.CONFIG_FILE} sets no c.Exchange.root: add one, e.g. "
            "c.Exchange.root = os.environ.get('FROM_MEMORY_EXCHANGE', 'exchange')"
        )
    return (root / folder).resolve()


def ensure_exchange(course_root) -> Path:
    """Create the exchange folder if it is missing (writable by every student, as nbgrader needs)."""
    folder = exchange_root(course_root)
    if not folder.is_dir():
        folder.mkdir(parents=True)
        folder.chmod(0o777)
    return folder


@dataclass
class Collected:
    """What one collect did: per student the submission now in ``submitted/``."""

    assignment: str
    students: dict[str, str] = field(default_factory=dict)  # student -> timestamp (UTC, text)
    unmatched: list[str] = field(default_factory=list)  # file names that name no student
    kept: list[str] = field(default_factory=list)  # students whose newer submission was kept
    skipped: list[str] = field(default_factory=list)  # files that are not the assignment's

    def lines(self) -> list[str]:
        out = [f"collected {student} {self.assignment} ({when})" for student, when in self.students.items()]
        out += [f"kept the newer submission already collected from {s}" for s in self.kept]
        out += [f"not collected: {name} matches no student of the roster" for name in self.unmatched]
        out += [f"not collected: {name} is not a notebook of {self.assignment}" for name in self.skipped]
        return out


def collect_exchange(course_root, assignment: str, *, verbose=False) -> Collected:
    """``nbgrader collect ASSIGNMENT --update``: newer submissions replace older ones."""
    root = Path(course_root).resolve()
    course.choose_assignments(root, [assignment])
    inbound = exchange_root(root) / _course_id(root) / "inbound"
    if not inbound.is_dir():
        raise CourseError(
            f"no exchange inbox at {inbound}: release to the exchange first "
            f"(`from-memory release {assignment} --exchange`)"
        )
    before = _timestamps(root, assignment)
    course.run_nbgrader(root, "collect", assignment, "--update", verbose=verbose)
    after = _timestamps(root, assignment)
    done = Collected(assignment)
    for student, when in after.items():
        if before.get(student) != when:
            done.students[student] = when
    inboxed = {p.name.split("+")[0] for p in inbound.glob(f"*+{assignment}+*")}
    done.kept = sorted(s for s in inboxed if s in before and s not in done.students)
    return done


def collect_zip(
    course_root, assignment: str, archive, *, lms: str | None = None, pattern: str | None = None,
    verbose=False,
) -> Collected:
    """``nbgrader zip_collect`` of an LMS archive into ``submitted/<student>/<assignment>/``."""
    root = Path(course_root).resolve()
    course.choose_assignments(root, [assignment])
    course.require_released(root, [assignment])
    archive = Path(archive).resolve()
    if not zipfile.is_zipfile(archive):
        raise CourseError(f"{archive} is not a zip archive: pass the LMS's 'download all submissions' file")
    regexp = _pattern(lms, pattern)
    downloaded = root / "downloaded" / assignment
    shutil.rmtree(downloaded / "archive", ignore_errors=True)
    (downloaded / "archive").mkdir(parents=True)
    shutil.copy2(archive, downloaded / "archive" / archive.name)
    log = downloaded / COLLECT_LOG
    log.unlink(missing_ok=True)
    roster = downloaded / "roster.json"
    roster.write_text(json.dumps(_roster(root)), encoding="utf-8")
    course.run_nbgrader(
        root, "zip_collect", assignment, "--force",
        f"--ZipCollectApp.collector_plugin={__name__}.LmsFileNames",
        f"--ZipCollectApp.extractor_plugin={__name__}.KeepArchiveTimes",
        f"--LmsFileNames.named_regexp={regexp}",
        f"--LmsFileNames.roster_file={roster}",
        f"--LmsFileNames.log_file={log}",
        verbose=verbose,
    )
    records = json.loads(log.read_text(encoding="utf-8")) if log.is_file() else []
    done = Collected(assignment)
    now = _timestamps(root, assignment)
    for r in records:
        if r["outcome"] == "collected" and r["student"] in now:
            done.students[r["student"]] = now[r["student"]]
        elif r["outcome"] == "kept":
            done.kept.append(r["student"])
        elif r["outcome"] == "unmatched":
            done.unmatched.append(r["file"])
        elif r["outcome"] == "skipped":
            done.skipped.append(r["file"])
    done.kept = sorted(set(done.kept) - set(done.students))
    names_file = downloaded / UPLOAD_NAMES
    names = json.loads(names_file.read_text()) if names_file.is_file() else {}
    names.update({r["student"]: r["prefix"] for r in records if r["outcome"] == "collected"})
    names_file.write_text(json.dumps(names, indent=1, sort_keys=True), encoding="utf-8")
    return done


def upload_names(course_root, assignment: str) -> dict[str, str]:
    """``{student: file-name prefix the LMS gave their submission}`` from earlier zip collects."""
    path = Path(course_root) / "downloaded" / assignment / UPLOAD_NAMES
    return json.loads(path.read_text()) if path.is_file() else {}


def _pattern(lms, pattern) -> str:
    if pattern:
        groups = set(re.compile(pattern).groupindex)
        if "file_id" not in groups or not groups & {"student_id", "lms_id", "name"}:
            raise CourseError(
                "--pattern needs the groups (?P<file_id>...) and one of (?P<student_id>...), "
                "(?P<lms_id>...), (?P<name>...): see `from-memory collect --help`"
            )
        return pattern if pattern.startswith(".*") else ".*/" + pattern
    if lms not in LMS_PATTERNS:
        raise CourseError(
            f"say how the archive names files: --lms {' or --lms '.join(LMS_PATTERNS)}, or --pattern REGEX"
        )
    return LMS_PATTERNS[lms]


def _course_id(root: Path) -> str:
    from from_memory.course.gradebook import course_id

    return course_id(root)


def _roster(root: Path) -> list[dict]:
    """The gradebook's students (empty without a gradebook: then file names give the ids)."""
    from from_memory.course.gradebook import gradebook_url, open_gradebook, sqlite_path

    path = sqlite_path(gradebook_url(root))
    if path is not None and not path.is_file():
        return []
    with open_gradebook(root) as gradebook:
        return [
            {"id": s.id, "first_name": s.first_name or "", "last_name": s.last_name or "",
             "lms_user_id": s.lms_user_id or ""}
            for s in gradebook.students
        ]


def _timestamps(root: Path, assignment: str) -> dict[str, str]:
    found = {}
    for folder in sorted((root / "submitted").glob(f"*/{assignment}")):
        stamp = folder / "timestamp.txt"
        found[folder.parent.name] = stamp.read_text().strip() if stamp.is_file() else "no timestamp"
    return found


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


# --- the plugins nbgrader's zip_collect runs -----------------------------------------


class KeepArchiveTimes(ExtractorPlugin):
    """nbgrader's extractor, then each extracted file gets its time in the archive (UTC)."""

    def extract(self, archive_path, extracted_path):
        super().extract(archive_path, extracted_path)
        for folder, _, names in os.walk(archive_path):
            for name in names:
                path = Path(folder, name)
                if not zipfile.is_zipfile(path):
                    continue
                target = Path(extracted_path, os.path.relpath(folder, archive_path), path.stem)
                with zipfile.ZipFile(path) as archive:
                    for info in archive.infolist():
                        extracted = target / info.filename
                        if not info.is_dir() and extracted.is_file():
                            when = datetime.datetime(*info.date_time, tzinfo=datetime.timezone.utc)
                            os.utime(extracted, (when.timestamp(), when.timestamp()))


class LmsFileNames(FileNameCollectorPlugin):
    """nbgrader's file-name collector, with LMS ids and names matched to the roster.

    A match gives ``student_id`` directly, or an LMS user id or a name looked up in the
    roster (``roster_file``, written from the gradebook). Without a roster the name in
    the file is the student id. Each file's outcome goes to ``log_file`` (JSON).
    """

    roster_file = Unicode("", help="JSON list of the gradebook's students").tag(config=True)
    log_file = Unicode("", help="where to write what became of each file (JSON)").tag(config=True)

    def collect(self, submitted_file):
        info = super().collect(submitted_file)
        name = os.path.basename(submitted_file)
        if info is None:
            if submitted_file.endswith(tuple(self.valid_ext)):
                self._log(name, None, "unmatched")
            return None
        student = self._student(info)
        if student is None:
            self._log(name, None, "unmatched")
            return None
        file_id = self._notebook_name(info["file_id"])
        if file_id is None:
            self._log(name, student, "skipped")
            return None
        when = datetime.datetime.fromtimestamp(os.path.getmtime(submitted_file), datetime.timezone.utc)
        existing = self._existing_timestamp(student)
        if existing is not None and existing >= when.replace(tzinfo=None):
            self._log(name, student, "kept")
            return None
        self._log(name, student, "collected", prefix=name[: max(0, name.rfind(info["file_id"]))])
        return {"student_id": student, "file_id": file_id, "timestamp": when.isoformat()}

    def _student(self, info: dict) -> str | None:
        roster = json.loads(Path(self.roster_file).read_text()) if self.roster_file else []
        ids = {s["id"] for s in roster}
        if info.get("student_id"):
            sid = info["student_id"]
            return sid if not roster or sid in ids else None
        for s in roster:
            if info.get("lms_id") and s["lms_user_id"] == info["lms_id"]:
                return s["id"]
        name = _squash(info.get("name") or "")
        for s in roster:
            forms = {_squash(s["last_name"] + s["first_name"]), _squash(s["first_name"] + s["last_name"])}
            if name and name in forms:
                return s["id"]
        if not roster and name:
            return name
        return None

    def _notebook_name(self, file_id: str) -> str | None:
        """The release notebook the file is (Canvas adds ``-1`` to a re-upload's name)."""
        coursedir = self.parent.coursedir
        release = Path(coursedir.format_path(coursedir.release_directory, ".", coursedir.assignment_id))
        names = {p.stem for p in release.glob("*.ipynb")}
        stem = Path(file_id).stem
        for candidate in (stem, re.sub(r"-\d+$", "", stem)):
            if candidate in names:
                return candidate + ".ipynb"
        return None

    def _existing_timestamp(self, student: str):
        from nbgrader.utils import parse_utc

        coursedir = self.parent.coursedir
        folder = coursedir.format_path(coursedir.submitted_directory, student, coursedir.assignment_id)
        stamp = Path(folder, "timestamp.txt")
        return parse_utc(stamp.read_text().strip()) if stamp.is_file() else None

    def _log(self, file: str, student, outcome: str, prefix: str = "") -> None:
        if not self.log_file:
            return
        path = Path(self.log_file)
        records = json.loads(path.read_text()) if path.is_file() else []
        records.append({"file": file, "student": student, "outcome": outcome, "prefix": prefix})
        path.write_text(json.dumps(records, indent=1), encoding="utf-8")
