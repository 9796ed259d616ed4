"""The fonts the invoice PDF embeds cover what invoices print: every currency sign Ledgerline
writes, and every kana and kanji of JIS X 0208 (levels 1 and 2) through the fallback font."""

import io

from fontTools.ttLib import TTFont
from pypdf import PdfReader

from apps.core.money import SYMBOLS
from apps.invoices.pdf import FONT_DIR, html_pdf, needs_fallback_font


def _cmap(name: str) -> dict[int, str]:
    return TTFont(FONT_DIR / name, lazy=True).getBestCmap()


def _jis_x_0208() -> list[str]:
    # Rows 1–84 of JIS X 0208 as EUC-JP byte pairs; unassigned cells do not decode.
    characters = []
    for row in range(0x21, 0x75):
        for cell in range(0x21, 0x7F):
            try:
                characters.append(bytes([row | 0x80, cell | 0x80]).decode("euc_jp"))
            except UnicodeDecodeError:
                continue
    return characters


def test_the_fallback_font_has_every_jis_x_0208_character():
    characters = _jis_x_0208()
    assert len(characters) == 6879  # JIS X 0208's assigned characters
    cmap = _cmap("ipaexg.ttf")
    assert [c for c in characters if ord(c) not in cmap] == []


def test_the_main_fonts_have_every_currency_sign_and_the_licences_are_shipped():
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        cmap = _cmap(name)
        signs = "".join(SYMBOLS.values()) + "×–·"
        assert [c for c in signs if ord(c) not in cmap] == [], name
    assert "Bitstream Vera" in (FONT_DIR / "LICENSE-DejaVu.txt").read_text()
    assert "IPA Font License Agreement v1.0" in (FONT_DIR / "LICENSE-IPAexfont.txt").read_text()


def _embedded_fonts(document: bytes) -> set[str]:
    page = PdfReader(io.BytesIO(document)).pages[0]
    fonts = page["/Resources"]["/Font"]
    # Subset fonts are named "ABCDEF+Family"; the family is what matters.
    return {str(fonts[key].get_object()["/BaseFont"]).split("+")[-1] for key in fonts}


def test_the_fallback_font_is_embedded_only_when_the_text_needs_it():
    assert not needs_fallback_font("<p>Müller €1,250.00 — Ελληνικά, Кириллица</p>")
    assert needs_fallback_font("<p>山田太郎</p>")
    assert needs_fallback_font("<p>カタカナ</p>")
    latin = html_pdf("<h1>Acme</h1><p>Müller €1,250.00</p>", title="t", author="a")
    assert not any("IPAex" in font for font in _embedded_fonts(latin))
    japanese = html_pdf("<h1>Acme</h1><p>山田太郎 ¥1,250</p>", title="t", author="a")
    assert any("IPAex" in font for font in _embedded_fonts(japanese))
