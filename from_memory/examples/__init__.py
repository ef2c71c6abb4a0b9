"""Example data: the demo class, the submission factory, the hostile and honest corpora."""

from from_memory.engine.environment import skip_slow_unused_imports

skip_slow_unused_imports()  # before any module here imports nbformat
