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

# Students see the checker's message in their feedback, never the hidden test source; the
# page draws its own formulas (no MathJax from the web, so it reads the same offline).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "nbgrader.preprocessors.ClearHiddenTests",
    "from_memory.course.feedback_math.RenderMath",
]
