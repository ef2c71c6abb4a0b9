"""Example data: the demo class, the submission factory, the hostile and honest corpora."""

import from_memory.engine  # noqa: F401 - before nbformat: its import blocks the slow modules nbformat never uses
