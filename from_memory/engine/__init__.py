"""The grading engine: executes notebooks side by side and records them with nbgrader."""
