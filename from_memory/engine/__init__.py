"""The grading engine: executes notebooks side by side and records them with nbgrader.

Importing it makes the imports of :data:`~from_memory.engine.environment.SLOW_UNUSED_MODULES`
fail fast in this process: every part of the kit that reaches nbformat (the CLI, the course
commands, grading workers, Dask tasks) imports this package first, so none of them pays
for a module nbformat never uses.
"""

from from_memory.engine.environment import skip_slow_unused_imports

skip_slow_unused_imports()
