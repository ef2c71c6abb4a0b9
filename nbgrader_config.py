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
# at most this long, in CPU seconds of its kernel (ParallelAutograde.clock below; the
# grading budget below keeps honest cells far under it).
c.ExecutePreprocessor.timeout = 60

# A test cell a student deleted is put back (nbgrader's own option) and graded, so its
# points are scored, and can be changed by hand in the formgrader; verify still flags it.
c.OverwriteCells.add_missing_cells = True

# The grading engine (from_memory.engine): this course grades strictly. A kernel gets
# 4 GiB of address space, 300 s for its whole notebook, writes only in its own folder,
# no network, and cannot read the course's folders or the reference. (A course without
# these lines gets no limit that could fail a notebook stock nbgrader would grade.)
c.ParallelAutograde.memory_limit = 4096
c.ParallelAutograde.notebook_timeout = 300
c.ParallelAutograde.sandbox = "strict"
# Both time limits (60 s a cell, 300 s a notebook) count the CPU time of the kernel, so a
# busy grading machine cannot change a grade; a kernel that waits on nothing is still
# stopped by the wall clock, at ParallelAutograde.wall_factor (10) times its limit.
c.ParallelAutograde.clock = "cpu"
# `nbgrader autograde` itself uses the engine too (side by side, judged outside the kernel);
# FROM_MEMORY_STOCK_AUTOGRADE=1 keeps nbgrader's own serial autograde.
if not os.environ.get("FROM_MEMORY_STOCK_AUTOGRADE"):
    from from_memory.engine.converter import select

    select()

# Long experiments in the notebooks read this budget (default 60 000, the post's).
# Grading runs them small; the hidden tests train the oracle and the student's
# functions on their own, small, fresh problems.
os.environ.setdefault("FROM_MEMORY_ITERATIONS", "3000")

# Students see the checker's message in their feedback, never the hidden test source
# (`from-memory feedback` sets this for every course; here for plain nbgrader too); the page
# draws its own formulas (no MathJax from the web, so it reads the same offline).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "from_memory.course.hide_tests.HideHiddenTests",
    "from_memory.course.feedback_math.RenderMath",
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
