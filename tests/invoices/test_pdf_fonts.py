"""The fonts the invoice PDF embeds cover what invoices print: every currency sign Ledgerline
writes, and every kana and kanji of JIS X 0208 (levels 1 and 2) through the fallback font."""

from fontTools.ttLib import TTFont

from apps.core.money import SYMBOLS
from apps.invoices.pdf import FONT_DIR


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
