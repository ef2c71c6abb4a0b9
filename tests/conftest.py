"""Fixtures shared by several test files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def demo_course(tmp_path_factory) -> Path:
    """A course (this one's config, ``source/`` and ``release/``) holding the whole demo class.

    The class is generated into its ``submitted/``, with the manifest. Shared by the
    session: tests read it and must not change it.
    """
    from from_memory.examples import demo_class

    root = tmp_path_factory.mktemp("demo-class")
    shutil.copy(REPO / "nbgrader_config.py", root)
    for name in ("source", "release"):
        shutil.copytree(REPO / name, root / name)
    demo_class.generate(root)
    return root


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """A released tiny course (:func:`test_grading.make_course`), copied by each test that grades it."""
    from test_grading import make_course

    return make_course(tmp_path_factory.mktemp("tiny") / "course", cell_timeout=5)
