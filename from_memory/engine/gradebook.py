"""nbgrader's gradebook work in the grading process, with fewer queries, schema checks and commits.

The grading process sanitizes and records every submission with nbgrader's own
preprocessors; between them they open a ``Gradebook`` about ten times per notebook,
check nbgrader's cell-metadata schema once per cell, and look up and commit each graded
cell on its own. This process is the only writer of the gradebook, so:

- within :func:`quicker_nbgrader`, every ``Gradebook`` opened shares one SQLAlchemy engine
  per URL (and its compiled-query cache), makes sure of the tables and of the course's row
  only the first time, and nbgrader's metadata schema is checked once
  (``jsonschema.validate`` checks the schema itself before each cell's metadata);
- :class:`OverwriteCellsAtOnce` and :class:`SaveAutoGradesAtOnce` stand where nbgrader's
  ``OverwriteCells`` and ``SaveAutoGrades`` stand and run their steps unchanged, but the
  rows they look up cell by cell (a query of several joins each) are read once per
  notebook, and the grades and comments are committed once per notebook, not per cell.

What the gradebook holds at the end is what stock autograde writes.
"""

from __future__ import annotations

import contextlib
import json

from nbgrader.api import Comment, Grade, GradeCell, MissingEntry, SolutionCell, SourceCell, TaskCell
from nbgrader.preprocessors import OverwriteCells, SaveAutoGrades


@contextlib.contextmanager
def quicker_nbgrader():
    """Shared engines, tables made sure of once per engine, and nbgrader's schema checked once."""
    with _one_engine_per_gradebook(), _schema_checked_once():
        yield


@contextlib.contextmanager
def _one_engine_per_gradebook():
    """Let every ``nbgrader.api.Gradebook`` opened here share one SQLAlchemy engine per URL.

    nbgrader opens a Gradebook about ten times per notebook, each time with a new
    engine, so each time SQLAlchemy compiles its queries afresh; and each time it lists
    the tables, makes sure every table exists (a query per table) and that the course
    has its row (a query and a commit). Sharing the engine (and its compiled-query
    cache), and doing those checks once per engine (and course), changes nothing in what
    is written: this process is the gradebook's only writer, and nothing here removes a
    table or a course. ``dispose()`` stays as it was: it closes the pooled connections,
    which the next use reopens.
    """
    import nbgrader.api

    original = nbgrader.api.create_engine
    original_inspect = nbgrader.api.inspect
    gradebook = nbgrader.api.Gradebook
    original_init = gradebook.__init__
    metadata = nbgrader.api.Base.metadata
    engines, made, inspectors, courses = {}, set(), {}, set()

    def shared(url, *args, **kwargs):
        key = (str(url), tuple(sorted(kwargs.items())))
        if key not in engines:
            engines[key] = original(url, *args, **kwargs)
        return engines[key]

    def create_all(bind=None, tables=None, checkfirst=True):
        if bind in made and tables is None and checkfirst:
            return
        type(metadata).create_all(metadata, bind=bind, tables=tables, checkfirst=checkfirst)
        if tables is None and checkfirst and bind in engines.values():
            made.add(bind)

    def inspect(subject, *args, **kwargs):
        # Gradebook.__init__ lists the tables to learn whether the database is new; once
        # they are made, one inspector per engine answers from its cache of that list.
        if subject in made and not args and not kwargs:
            if subject not in inspectors:
                inspectors[subject] = original_inspect(subject)
            return inspectors[subject]
        return original_inspect(subject, *args, **kwargs)

    def init(self, db_url, course_id="default_course", authenticator=None):
        key = (str(db_url), course_id)
        if key in courses:  # its row made sure of by a Gradebook opened before: skip that step
            self.check_course = _course_known
        try:
            original_init(self, db_url, course_id, authenticator)
        finally:
            vars(self).pop("check_course", None)
        courses.add(key)

    nbgrader.api.create_engine = shared
    nbgrader.api.inspect = inspect
    gradebook.__init__ = init
    metadata.create_all = create_all
    try:
        yield
    finally:
        nbgrader.api.create_engine = original
        nbgrader.api.inspect = original_inspect
        gradebook.__init__ = original_init
        del metadata.create_all
        for engine in engines.values():
            engine.dispose()


def _course_known(course_id="default_course", **kwargs):
    """``Gradebook.check_course`` for a course whose row exists (only ``__init__`` calls it)."""
    if kwargs:
        raise TypeError("a known course is not changed here")


@contextlib.contextmanager
def _schema_checked_once():
    """``jsonschema.validate`` that checks each schema once, then only the instances against it.

    nbgrader validates every cell's metadata with ``jsonschema.validate(meta, schema)``,
    which checks the (unchanging) schema itself each time: most of the time nbgrader
    spends validating. Errors raised are the same (the best match, as jsonschema picks it).
    """
    import jsonschema

    original = jsonschema.validate
    validators = {}

    def validate(instance, schema, cls=None, *args, **kwargs):
        key = (json.dumps(schema, sort_keys=True, default=repr), cls, repr(args), repr(sorted(kwargs.items())))
        validator = validators.get(key)
        if validator is None:
            kind = cls or jsonschema.validators.validator_for(schema)
            kind.check_schema(schema)
            validator = validators[key] = kind(schema, *args, **kwargs)
        error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error

    jsonschema.validate = validate
    try:
        yield
    finally:
        jsonschema.validate = original


class OverwriteCellsAtOnce(OverwriteCells):
    """nbgrader's ``OverwriteCells``, finding each cell's source and grade cell among rows read once."""

    @property
    def gradebook(self):
        return self._gradebook

    @gradebook.setter
    def gradebook(self, gradebook):
        self._gradebook = ReadOnce(gradebook)


class SaveAutoGradesAtOnce(SaveAutoGrades):
    """nbgrader's ``SaveAutoGrades``, finding each cell's grade and comment among rows read once.

    Its ``_add_score`` and ``_add_comment`` run unchanged on every cell; their commits wait
    until the notebook is done. When a cell fails, what the cells before it wrote is
    committed, as stock leaves it.
    """

    @property
    def gradebook(self):
        return self._gradebook

    @gradebook.setter
    def gradebook(self, gradebook):
        self._gradebook = ReadOnce(gradebook, commit_once=True)


class ReadOnce:
    """A ``Gradebook`` whose per-cell lookups are answered from one read of the notebook's rows.

    ``find_source_cell``, ``find_graded_cell``, ``find_grade`` and ``find_comment`` return
    the rows nbgrader's own queries would (a grade cell before a task cell of that name, a
    solution cell before a task cell); a name not found among them goes to nbgrader's
    query, which raises as in stock. Everything else is the gradebook's own. With
    ``commit_once``, ``db.commit()`` waits for the end of the ``with`` block.
    """

    def __init__(self, gradebook, commit_once: bool = False):
        self.gradebook = gradebook
        self.db = _LaterCommit(gradebook.db) if commit_once else gradebook.db
        self.commit_once = commit_once
        self.read: dict = {}

    def __getattr__(self, name):
        return getattr(self.gradebook, name)

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace):
        try:
            if self.commit_once:
                with contextlib.suppress(Exception) if kind else contextlib.nullcontext():
                    self.gradebook.db.commit()
        finally:
            self.gradebook.__exit__(kind, error, trace)

    def _rows(self, what: str, *key) -> dict:
        if (what, key) not in self.read:
            try:
                self.read[what, key] = getattr(self, f"_read_{what}")(*key)
            except MissingEntry:
                self.read[what, key] = {}
        return self.read[what, key]

    def _read_source(self, notebook, assignment):
        return _by_name(self.gradebook.find_notebook(notebook, assignment).source_cells, (SourceCell,))

    def _read_graded(self, notebook, assignment):
        # Queried by their own classes, the cells come with their own columns (max_score):
        # read through the notebook's cells, each would load them with a query of its own.
        found = self.gradebook.find_notebook(notebook, assignment)
        query = self.gradebook.db.query
        cells = [*query(GradeCell).filter(GradeCell.notebook_id == found.id).order_by(GradeCell.id),
                 *query(TaskCell).filter(TaskCell.notebook_id == found.id).order_by(TaskCell.id)]
        return _by_name(cells, (GradeCell, TaskCell))

    def _read_grade(self, notebook, assignment, student):
        return self._read_submitted(Grade, (GradeCell, TaskCell), notebook, assignment, student)

    def _read_comment(self, notebook, assignment, student):
        return self._read_submitted(Comment, (SolutionCell, TaskCell), notebook, assignment, student)

    def _read_submitted(self, table, kinds, notebook, assignment, student):
        from sqlalchemy.orm import joinedload

        submitted = self.gradebook.find_submission_notebook(notebook, assignment, student)
        rows = self.gradebook.db.query(table).filter(table.notebook_id == submitted.id).options(
            joinedload(table.cell)).all()
        return _by_name(rows, kinds, lambda row: row.cell)

    def find_source_cell(self, name, notebook, assignment):
        found = self._rows("source", notebook, assignment).get(name)
        return found if found is not None else self.gradebook.find_source_cell(name, notebook, assignment)

    def find_graded_cell(self, name, notebook, assignment):
        found = self._rows("graded", notebook, assignment).get(name)
        return found if found is not None else self.gradebook.find_graded_cell(name, notebook, assignment)

    def find_grade(self, grade_cell, notebook, assignment, student):
        found = self._rows("grade", notebook, assignment, student).get(grade_cell)
        return found if found is not None else self.gradebook.find_grade(grade_cell, notebook, assignment, student)

    def find_comment(self, solution_cell, notebook, assignment, student):
        found = self._rows("comment", notebook, assignment, student).get(solution_cell)
        return found if found is not None else self.gradebook.find_comment(
            solution_cell, notebook, assignment, student)


def _by_name(rows, kinds, cell_of=lambda row: row) -> dict:
    """{cell name: row}, from the first of ``kinds`` that has the name; a name two rows of one kind share is left out."""
    found = {}
    for kind in reversed(kinds):
        named: dict = {}
        for row in rows:
            if type(cell_of(row)) is kind:
                named.setdefault(cell_of(row).name, []).append(row)
        for name, same in named.items():
            if len(same) == 1:
                found[name] = same[0]
            else:
                found.pop(name, None)  # nbgrader's query finds several, and says so
    return found


class _LaterCommit:
    """A session whose ``commit()`` waits for its owner's; everything else is the session's."""

    def __init__(self, session):
        self._session = session

    def commit(self) -> None:
        pass

    def __getattr__(self, name):
        return getattr(self._session, name)
