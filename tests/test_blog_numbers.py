"""Do the constants in ``blog_printed.py`` say what the post's transcript prints?

The transcript lies in the course seeds beside the repository (``../shared/seeds``); a
clone without them cannot run this check, and says so rather than passing.
"""

import re
from pathlib import Path

import blog_printed as blog
import pytest

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
POST = SEEDS / "blog-part2-gradient-descent.txt"
STUDENT = SEEDS / "student-retyped-notebook.txt"
NUMBER = r"-?\d+\.\d*"

pytestmark = pytest.mark.skipif(not POST.exists(), reason=f"the course seeds are not at {SEEDS}")


def errors_by_alpha(section: str) -> dict:
    printed = re.findall(r"Error(?: after \d+ iterations)?:([0-9.e-]+)", section)
    assert len(printed) == 6 * len(blog.ALPHAS)
    return {alpha: printed[6 * i : 6 * i + 6] for i, alpha in enumerate(blog.ALPHAS)}


def between(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end)]


def test_alpha_sweep_errors_are_the_posts():
    text = POST.read_text()
    section = between(text, "Training With Alpha:0.001\n\nError after 0", "So, what did we observe")
    assert errors_by_alpha(section) == blog.ALPHA_SWEEP_ERRORS


def test_32_unit_errors_are_the_posts():
    text = POST.read_text()
    section = between(text, "Training With Alpha:0.001\nError after 0 iterations:0.496439922501",
                      "Notice that the best error")
    assert errors_by_alpha(section) == blog.ALPHA_SWEEP_32_ERRORS


def test_direction_counting_numbers_are_the_posts():
    text = POST.read_text()
    section = between(text, "Training With Alpha:0.001\nError:0.496410031903",
                      "What I did in the above code")
    assert errors_by_alpha(section) == blog.ALPHA_SWEEP_ERRORS  # the same runs, printed again
    for alpha, block in zip(blog.ALPHAS, re.split(r"Training With Alpha:", section)[1:], strict=True):
        numbers = re.findall(NUMBER, block.split("Synapse 0", 1)[1])
        want = blog.DIRECTION_COUNTING[alpha]
        flat = [v for name in ("synapse_0", "synapse_0_direction_count", "synapse_1",
                               "synapse_1_direction_count") for row in want[name] for v in row]
        assert numbers == flat, alpha


def test_two_layer_output_is_the_transcripts():
    text = (SEEDS / "blog-part2-notebook-transcript.txt").read_text()
    section = between(text, "Output After Training:\n[[", "- So, in this case")
    assert re.findall(NUMBER, section) == blog.TWO_LAYER_OUTPUT


def test_student_numbers_are_the_student_notebooks():
    text = STUDENT.read_text()
    inside_if = between(text, "Training With Alpha: 0.001\nError:", "Training With Alpha: 0.01\n")
    want = blog.STUDENT_UPDATES_INSIDE_IF
    assert re.findall(r"Error:  ([0-9.]+)", inside_if) == want["errors"]
    matrices = re.findall(NUMBER, inside_if.split("Synapse 0\n", 1)[1])
    assert matrices[:12] == [v for row in want["synapse_0"] for v in row]
    assert matrices[12:24] == [v for row in want["synapse_0_direction_count"] for v in row]
    for size, errors in blog.STUDENT_HIDDEN_SIZE_SWEEP.items():
        section = text.split(f"Training with Size:{size}\n", 1)[1]
        assert re.findall(r"Iterations: ([0-9.]+)", section)[: len(errors)] == errors
