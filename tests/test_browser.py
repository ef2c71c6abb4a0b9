"""A term in a real browser: release, fetch, validate, submit, collect, grade by hand, hand back.

Playwright drives Debian's chromium (``make test-browser`` installs both). The instructor's
side runs ``from-memory`` commands on a copy of the course; the student works in their own
JupyterLab (nbgrader's Assignments panel and Validate button); the instructor grades the
written answer in nbgrader's formgrader. Every wait is for something on the page or in the
gradebook, never a fixed sleep. Screenshots of each step go to the test's folder (and to
``$FROM_MEMORY_SCREENSHOTS`` when set).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
import pytest

from from_memory.course import cli
from from_memory.course.manual import Server, start_formgrader, start_jupyter
from from_memory.examples import submissions
from from_memory.judge import mutants

pytestmark = [pytest.mark.browser, pytest.mark.nbgrader]

REPO = Path(__file__).resolve().parents[1]
PS = "ps3_alpha"
STUDENT = "ada"
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
LONG = 240_000  # ms: kernel starts and nbgrader commands on a busy machine


def written_answers(notebook) -> dict[str, float]:
    """``{grade_id: points}`` of the graded markdown cells (the answers a person grades)."""
    return {
        c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"]["points"])
        for c in notebook.cells
        if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")
    }


def planted_mistake():
    """``(cell, mutant)``: the assignment's first answer cell (a "From memory" drill from ps2 on)
    and a catalog mutant of the function it defines, whose hint must reach the student."""
    first = next(c.metadata["nbgrader"]["grade_id"] for c in submissions.blank(PS).cells
                 if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution"))
    function = submissions.function_of_cell(first)
    return first, next(m for m in mutants.CATALOG if m.step == function)


@pytest.fixture
def term(tmp_path, monkeypatch):
    """A course copy, an exchange both sides use, and the student's home with its nbgrader config."""
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(REPO / "nbgrader_config.py", course)
    for name in ("source", "release"):
        shutil.copytree(REPO / name, course / name)
    exchange = tmp_path / "exchange"
    monkeypatch.setenv("FROM_MEMORY_EXCHANGE", str(exchange))
    home = tmp_path / "student"
    home.mkdir()
    (home / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        f"c.Exchange.cache = {str(tmp_path / 'cache')!r}\n"
        'c.CourseDirectory.course_id = "from-memory"\n'
        f"c.CourseDirectory.student_id = {STUDENT!r}\n"
    )
    shots = tmp_path / "screenshots"
    shots.mkdir()
    return course, home, shots


def student_lab(home: Path) -> Server:
    """The student's own JupyterLab, in their home folder (its nbgrader_config.py)."""
    settings = home.parent / "student-settings"
    news = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text('{"fetchNews": "false"}')  # no "Jupyter news?" toast over the page
    env = {
        **os.environ,
        "JUPYTER_DATA_DIR": str(home.parent / "student-data"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
    }
    return start_jupyter(home, home.parent / "student-lab.log", env=env, wait=LONG / 1000)


def snap(page, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"{name}.png"), full_page=False)
    extra = os.environ.get("FROM_MEMORY_SCREENSHOTS")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(shots / f"{name}.png", Path(extra) / f"{name}.png")


def run(*argv) -> None:
    assert cli.main(list(argv)) == 0, f"from-memory {' '.join(argv)} failed"


def test_does_a_term_played_in_the_browser_reach_the_student(term, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api", reason="make test-browser installs it")
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"no {CHROMIUM}: run `make test-browser` (it installs Debian's chromium)")
    course, home, shots = term
    cell, mistake = planted_mistake()
    answers = written_answers(submissions.release_notebook(PS))
    assert answers, f"{PS} has no written answer to grade by hand"
    answer, points = next(iter(answers.items()))

    run("release", PS, "--exchange", "--course", str(course))

    lab = student_lab(home)
    formgrader = None
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True,
            args=FLAGS, viewport={"width": 1280, "height": 800},
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(LONG)
            base, token = lab.base, lab.token
            # -- the student fetches the assignment from nbgrader's assignment list
            page.goto(f"{base}/lab?token={token}")
            page.get_by_text("Nbgrader", exact=True).click()
            page.get_by_text("Assignment List", exact=True).click()
            released = page.locator("#released_assignments_list")
            released.get_by_text(PS).first.wait_for()
            snap(page, shots, "1-student-assignment-list")
            released.get_by_role("button", name="Fetch").click()
            fetched = home / PS / f"{PS}.ipynb"
            page.locator("#fetched_assignments_list").get_by_text(PS).first.wait_for()
            assert fetched.is_file()
            # -- fills it in (the reference answers, one function with a catalog mistake)
            filled = submissions.with_function(PS, cell, mistake.source)
            nbformat.write(filled, fetched)
            page.goto(f"{base}/lab/tree/{PS}/{PS}.ipynb?token={token}")
            page.get_by_role("button", name="Validate").click()
            dialog = page.locator(".jp-Dialog")
            dialog.wait_for()
            dialog.get_by_text("Validation Results").wait_for()
            snap(page, shots, "2-student-validate")
            dialog.get_by_role("button").last.click()
            # -- and submits it
            page.get_by_text("Nbgrader", exact=True).click()
            page.get_by_text("Assignment List", exact=True).click()
            page.locator("#fetched_assignments_list").get_by_role("button", name="Submit").click()
            page.locator("#submitted_assignments_list").get_by_text(PS).first.wait_for()
            snap(page, shots, "3-student-submitted")

            # -- the instructor collects, autogrades, and grades the written answer by hand
            run("collect", PS, "--exchange", "--course", str(course))
            assert (course / "submitted" / STUDENT / PS / "timestamp.txt").is_file()
            run("autograde", PS, "--course", str(course))
            run("feedback", PS, "--course", str(course))  # the written answer waits: no page
            assert not list((course / "feedback").glob(f"*/{PS}/*.html"))
            formgrader = start_formgrader(course)
            submission = _submission_id(course)
            grader = browser.new_page()
            grader.set_default_timeout(LONG)
            grader.goto(formgrader.login_url(f"/formgrader/submissions/{submission}/"))
            score = grader.locator(f"input.score#{answer}")
            # the page's grade views are ready once they mark the answer as needing a person
            grader.locator(f"input.score.needs_manual_grade#{answer}").wait_for()
            with grader.expect_response(lambda r: "/formgrader/api/grade/" in r.url and r.ok):
                score.fill(f"{points:g}")
                score.press("Tab")
            grader.locator(f"#{answer}-comment").fill("Clear and right: a large alpha overshoots.")
            grader.locator(f"#{answer}-comment").press("Tab")
            _wait_for_manual_score(course, answer, points)
            score.scroll_into_view_if_needed()
            snap(grader, shots, "4-formgrader-written-answer")

            # -- feedback goes back through the exchange; the student fetches and reads it
            run("feedback", PS, "--release", "--course", str(course))
            page.goto(f"{base}/lab?token={token}")
            page.get_by_text("Nbgrader", exact=True).click()
            page.get_by_text("Assignment List", exact=True).click()
            submitted = page.locator("#submitted_assignments_list")
            submitted.get_by_role("button", name="Fetch Feedback").click()
            link = submitted.get_by_text("view feedback")
            link.wait_for()
            snap(page, shots, "5-student-feedback-fetched")
            link.first.click()  # the file browser goes to the fetched feedback folder
            page.locator(".jp-DirListing-item", has_text=f"{PS}.html").dblclick()
            body = page.frame_locator(".jp-HTMLViewer iframe").last.locator("body")
            body.get_by_text("Score").first.wait_for()
            text = body.inner_text()
            snap(page, shots, "6-student-feedback")
        finally:
            browser.close()
            lab.stop()
            if formgrader is not None:
                formgrader.stop()
    # the checker's messages are wrapped to the notebook's width: compare the words
    assert " ".join(mistake.hint.split(".")[0].split()) in " ".join(text.split()), \
        "the checker's hint is not in the feedback"
    assert f"Score: {points:.1f} / {points:.1f}" in text, "the manual score is not in the feedback"
    assert "Clear and right" in text


def _submission_id(course: Path) -> str:
    from from_memory.course.gradebook import open_gradebook

    with open_gradebook(course, [PS]) as gradebook:
        return gradebook.find_submission_notebook(PS, PS, STUDENT).id


def _wait_for_manual_score(course: Path, answer: str, points: float) -> None:
    """Until the gradebook holds the score typed in the formgrader (the page saves on change)."""
    import time

    from from_memory.course.gradebook import open_gradebook

    deadline = time.monotonic() + LONG / 1000
    while time.monotonic() < deadline:
        with open_gradebook(course, [PS]) as gradebook:
            grade = gradebook.find_grade(answer, PS, PS, STUDENT)
            if grade.manual_score == points:
                return
        time.sleep(0.5)
    pytest.fail(f"the formgrader never saved {points:g} points for `{answer}`")
