"""nbgrader settings for the From Memory course.

nbgrader reads this file only from the current directory and may execute it
several times per command: every line here is idempotent and every path is
relative, so the course works wherever the repository is cloned. Run nbgrader
through `from-memory` (or from this folder) so this file is found.
"""

import os

c = get_config()  # noqa: F821 - provided by nbgrader when it executes this file

c.CourseDirectory.course_id = "from-memory"
c.CourseDirectory.root = "."
# The gradebook is sqlite's gradebook.db unless a database server is named, e.g.
# FROM_MEMORY_DB_URL=postgresql://grader@dbhost/course (what `from-memory --db URL` sets).
if os.environ.get("FROM_MEMORY_DB_URL"):
    c.CourseDirectory.db_url = os.environ["FROM_MEMORY_DB_URL"]
# Only notebooks travel from source/ to release/; nothing else of the instructor's folder.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.py", "*.json"]

# The autograder's kernel runs the student's notebook top to bottom: a cell may take
# at most this long (the grading budget below keeps honest cells far under it).
c.ExecutePreprocessor.timeout = 60

# Long experiments in the notebooks read this budget (default 60 000, the post's).
# Grading runs them small; the hidden tests train the oracle and the student's
# functions on their own, small, fresh problems.
os.environ.setdefault("FROM_MEMORY_ITERATIONS", "3000")

# Students see the checker's message in their feedback, never the hidden test source.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "nbgrader.preprocessors.ClearHiddenTests",
    # with `from-memory feedback --partial`: answers not graded yet are labelled as such
    "from_memory.course.handback.LabelWaitingAnswers",
]

# Students hand in through nbgrader's exchange (JupyterLab's Assignments tab): this course's
# exchange/ folder, or the shared folder of a JupyterHub named by FROM_MEMORY_EXCHANGE.
c.Exchange.root = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    os.environ.get("FROM_MEMORY_EXCHANGE", "exchange"),
)

# Due dates, written 'YYYY-MM-DD HH:MM TZ'; `from-memory release` records them in the
# gradebook (or `from-memory release PS --due '...'` for the assignments it releases).
c.Deadlines.due = {}  # e.g. {"ps1_forward": "2025-10-06 17:00 Europe/London"}

# Late work: nbgrader's late-submission step with this kit's policy, a share of the
# notebook's score per day late (or part of a day) after a grace period.
c.AssignLatePenalties.plugin_class = "from_memory.course.due.LatePenalty"
c.LatePenalty.percent_per_day = 10
c.LatePenalty.grace_minutes = 15
