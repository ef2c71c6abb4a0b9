"""From Memory: the course kit around the oracle in ``solutions/``.

``from_memory.judge.checks`` grades students' functions against the oracle; the rest
(mutant catalog, pipeline, CLI) serves instructors.
"""

__version__ = "0.1.0"
