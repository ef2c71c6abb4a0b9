"""Feedback pages that show their math offline: each formula drawn once, as an image in the page.

nbconvert's HTML leaves ``$...$`` and ``$$...$$`` for MathJax, which the page fetches from a
CDN: without a network a student reads raw TeX. :class:`RenderMath`, one of
``GenerateFeedback.preprocessors`` (``nbgrader_config.py``), draws every formula of the
markdown cells with matplotlib's mathtext and puts it in the page as an SVG image (a
``data:`` URL), so each feedback page carries its own math and can be handed out alone.
Measured on the course's feedback pages: up to 31 formulas, 33 to 220 kB of images per page;
MathJax 3's self-contained ``tex-svg.js``, inlined instead, is 2.1 MB per page. A formula
mathtext cannot draw is left as it was (a test checks that every formula of the course draws).
"""

from __future__ import annotations

import base64
import html
import io
import re

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

MATH = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$(?!\$)(.+?)(?<![\\$])\$", re.DOTALL)
FONT_SIZE = 12  # points: a little above the page's text (14 px), as TeX's math looks smaller


def svg(tex: str, display: bool = False) -> tuple[str, float]:
    """``tex`` (without dollars) drawn as SVG; also how far it reaches below the baseline, in points."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import mathtext
    from matplotlib.font_manager import FontProperties

    text = f"${' '.join(tex.split())}$"
    if display:  # fractions of a display formula are set at full size, as TeX does
        text = text.replace("\\frac", "\\dfrac")
    prop = FontProperties(size=FONT_SIZE, math_fontfamily="cm")  # Computer Modern, as TeX sets it
    depth = mathtext.MathTextParser("path").parse(text, dpi=72, prop=prop).depth
    buffer = io.BytesIO()
    mathtext.math_to_image(text, buffer, prop=prop, dpi=72, format="svg")
    drawing = buffer.getvalue().decode()
    drawing = re.sub(r"<metadata>.*?</metadata>|<!--.*?-->", "", drawing, flags=re.DOTALL)
    return re.sub(r">\s+<", "><", drawing).strip(), depth


def image(tex: str, display: bool) -> str:
    """The HTML of one formula: an image whose alt text is its TeX."""
    drawing, depth = svg(tex, display)
    source = "data:image/svg+xml;base64," + base64.b64encode(drawing.encode()).decode()
    alt = html.escape(" ".join(tex.split()), quote=True)
    img = f'<img class="math" alt="{alt}" src="{source}" style="vertical-align: -{depth:.1f}pt"/>'
    if display:
        return f'<span style="display: block; text-align: center; margin: 0.6em 0">{img}</span>'
    return img


def render(markdown: str) -> str:
    """``markdown`` with every formula replaced by its image (a formula that fails stays as it was)."""

    def replace(match):
        display = match.group(1) is not None
        try:
            return image(match.group(1) if display else match.group(2), display)
        except ValueError:  # mathtext cannot parse it: keep the TeX
            return match.group(0)

    return MATH.sub(replace, markdown)


class RenderMath(Preprocessor):
    """Draw the math of markdown cells as images, so the page needs no MathJax."""

    enabled = Bool(True, help="Draw formulas as images (nbconvert's own preprocessors start disabled)").tag(
        config=True
    )

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown" and "$" in cell.source:
            cell.source = render(cell.source)
        return cell, resources
