"""The examples that end each ``from-memory <command> --help``."""

EXAMPLES = {
    "release": """\
examples:
  from-memory release                    # every assignment in source/
  from-memory release ps1_forward ps2_backprop
  from-memory release ps3_alpha --due '2025-10-20 17:00 Europe/London' --exchange
""",
    "roster": """\
examples:
  from-memory roster import canvas_gradebook_export.csv
  from-memory roster import moodle_participants.csv
""",
    "collect": """\
examples:
  from-memory collect ps3_alpha --exchange          # what students submitted in JupyterLab
  from-memory collect ps3_alpha --zip submissions.zip --lms canvas
  from-memory collect ps3_alpha --zip ps3.zip --lms moodle
  from-memory collect ps3_alpha --zip ps3.zip --pattern '(?P<student_id>[^_/]+)_(?P<file_id>ps3.*)'
""",
    "autograde": """\
examples:
  from-memory autograde                  # every assignment, every student, all cores
  from-memory autograde ps1_forward --jobs 4 --timeout 120
  from-memory autograde ps1_forward --student ada --force   # regrade one student
  from-memory autograde --scheduler tcp://10.0.0.5:8786     # on a Dask cluster
  from-memory autograde --db postgresql://grader@dbhost/course   # gradebook on PostgreSQL
  from-memory autograde ps1 --student 'ba*' --notebook=p1 --Execute.timeout=60   # nbgrader options
  from-memory autograde --ParallelAutograde.sandbox=off --memory 0   # no sandbox, no memory limit
""",
    "manual": """\
examples:
  from-memory manual                     # prints the formgrader's address, with its token
  from-memory manual --port 8890
""",
    "status": """\
examples:
  from-memory status                     # per assignment: graded, failed, flagged, waiting
""",
    "feedback": """\
examples:
  from-memory feedback                   # pages for every completely graded submission
  from-memory feedback ps3_alpha --partial   # also those with answers waiting (labelled)
  from-memory feedback ps3_alpha --release   # and put them in the exchange for students
  from-memory feedback --zip             # and reports/<ps>_feedback.zip for LMS upload
""",
    "grades": """\
examples:
  from-memory grades                     # -> reports/grades.csv
  from-memory grades --force             # even if the new file has fewer scored rows
""",
    "export": """\
examples:
  from-memory export --lms canvas        # -> reports/canvas_grades.csv (Canvas gradebook import)
  from-memory export --lms plain         # -> reports/grades.csv
""",
    "report": """\
examples:
  from-memory report                     # -> reports/class_report.html
""",
    "verify": """\
examples:
  from-memory verify                     # every submission, after autograde
  from-memory verify ps1_forward --student ada
""",
    "demo": """\
examples:
  from-memory demo                       # a whole term on the demo class, in demo/
  from-memory demo --jobs 2 -v
""",
}
