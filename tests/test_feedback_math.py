"""Do feedback pages draw every formula of the course themselves, without MathJax?"""

import base64
import re

import pytest

from from_memory.course import build, feedback_math

FORMULAS = sorted({
    (m.group(1) or m.group(2), m.group(1) is not None)
    for ps in build.ASSIGNMENTS
    for cell in build.read(ps).cells if cell.cell_type == "markdown"
    for m in feedback_math.MATH.finditer(cell.source)
})


def test_the_course_has_formulas_to_draw():
    assert len(FORMULAS) >= 40
    assert any(display for _, display in FORMULAS)


@pytest.mark.parametrize(("tex", "display"), FORMULAS, ids=[t for t, _ in FORMULAS])
def test_every_formula_of_the_course_is_drawn_as_an_image(tex, display):
    html = feedback_math.render(f"$${tex}$$" if display else f"before ${tex}$ after")
    assert "$" not in html, "mathtext could not draw it: write it in the TeX subset mathtext knows"
    source = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', html).group(1)
    assert base64.b64decode(source).decode().startswith("<?xml")


def test_text_without_math_is_left_as_it_is():
    text = "No formula here, just `code` and a price of 5 dollars."
    assert feedback_math.render(text) == text


def test_a_formula_mathtext_cannot_draw_is_left_as_it_was():
    text = r"a $\notacommand{x}$ b"
    assert feedback_math.render(text) == text


def test_display_math_is_centred_and_inline_math_sits_on_the_line():
    assert "display: block" in feedback_math.render(r"$$\sigma(x) = \frac{1}{1 + e^{-x}}$$")
    inline = feedback_math.render(r"$L_1$")
    assert "display: block" not in inline
    assert "vertical-align: -" in inline
