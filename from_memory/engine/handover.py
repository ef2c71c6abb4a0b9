"""How an executed notebook comes back into nbgrader's autograde steps in the grading process.

A worker executes the sanitized notebook and sends it back as plain data; the grading
process converts the notebook again with the autograde preprocessors, ``Execute``
replaced by :class:`UseExecutedNotebook`, which takes the worker's notebook from the
resources nbconvert hands every step.
"""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor


class UseExecutedNotebook(NbGraderPreprocessor):
    """Stands where ``Execute`` stands: hands over the notebook a worker executed."""

    def preprocess(self, nb, resources):
        import nbformat

        executed = nbformat.from_dict(resources["from_memory"]["executed"].notebook)
        if [c.source for c in executed.cells] != [c.source for c in nb.cells]:
            raise RuntimeError("the executed notebook does not match the sanitized one")
        return executed, resources


class Handed:
    """A worker's executed notebook (plain data), carried in a notebook's resources as it is.

    nbconvert deep-copies the resources for every notebook it converts; this is only read
    (:class:`UseExecutedNotebook` builds a new notebook from it), so a copy of it is itself.
    """

    def __init__(self, notebook: dict):
        self.notebook = notebook

    def __deepcopy__(self, memo):
        return self
