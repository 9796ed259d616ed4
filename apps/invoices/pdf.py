"""HTML to PDF with fpdf2, in the fonts shipped in static/fonts.

fpdf2 is pure Python, so a fresh machine renders invoices with nothing but the project's own
dependencies (WeasyPrint would need Pango and its libraries from the system). It lays out the
HTML subset it knows (headings, paragraphs, tables, bold, images) and ignores CSS, so the
templates it renders keep their content in plain elements and leave the look to a stylesheet.

DejaVu Sans covers Latin, Greek, Cyrillic and the currency signs; a glyph it lacks (kana, kanji)
is taken from IPAex Gothic, which covers JIS X 0208 levels 1 and 2. Both are embedded as
subsets of the glyphs used, so a PDF stays small.
"""

from functools import cache

from django.conf import settings
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.fonts import TextStyle

FONT_DIR = settings.BASE_DIR / "static" / "fonts"
FONT = "DejaVuSans"
FALLBACK_FONT = "IPAexGothic"
TEXT_COLOR = "#1f2430"
MUTED_COLOR = "#5b6272"
# Headings in the text colour (fpdf2's defaults are dark red) and spaced for an A4 page (mm).
TAG_STYLES = {
    "h1": TextStyle(FONT, "B", 18, TEXT_COLOR, t_margin=1, b_margin=0.5),
    "h2": TextStyle(FONT, "B", 13, TEXT_COLOR, t_margin=3, b_margin=0.5),
    "h3": TextStyle(FONT, "B", 8.5, MUTED_COLOR, t_margin=2, b_margin=0),
    "h4": TextStyle(FONT, "B", 10, TEXT_COLOR, t_margin=1, b_margin=0),
    "p": TextStyle(b_margin=1),
}


@cache
def _main_font_characters() -> frozenset[int]:
    # What both faces have: a character missing from the bold face needs the fallback too.
    regular, bold = (
        TTFont(FONT_DIR / name, lazy=True).getBestCmap()
        for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
    )
    return frozenset(regular.keys() & bold.keys())


def needs_fallback_font(text: str) -> bool:
    """Whether ``text`` has a character the main font lacks. Reading the 6 MB fallback font
    takes about a quarter of a second, so a PDF loads it only when it needs it."""
    covered = _main_font_characters()
    return any(ord(character) not in covered for character in set(text) if not character.isspace())


def html_pdf(html: str, *, title: str, author: str) -> bytes:
    """An A4 PDF of ``html``, with ``title`` and ``author`` in its document information."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_font(FONT, "", FONT_DIR / "DejaVuSans.ttf")
    pdf.add_font(FONT, "B", FONT_DIR / "DejaVuSans-Bold.ttf")
    if needs_fallback_font(html):
        pdf.add_font(FALLBACK_FONT, "", FONT_DIR / "ipaexg.ttf")
        # exact_match=False: bold Japanese text falls back to the regular face, the only one.
        pdf.set_fallback_fonts([FALLBACK_FONT], exact_match=False)
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_creator("Ledgerline")
    pdf.set_text_color(TEXT_COLOR)
    pdf.set_font(FONT, size=9.5)
    pdf.add_page()
    pdf.write_html(html, tag_styles=TAG_STYLES, table_line_separators=True)
    return bytes(pdf.output())
