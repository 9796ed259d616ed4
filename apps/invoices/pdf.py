"""An invoice as a PDF, written directly (pure: lines of text in, bytes out).

One A4 page per 48 lines of text in Helvetica; amounts come formatted by the caller
(apps.core.money.format_amount), so the PDF shows exactly what the invoice page shows.
"""

LINES_PER_PAGE = 48
_PAGE = (595, 842)  # A4 in points


def _escape(text: str) -> str:
    # PDF strings: backslash and parentheses escaped; non-Latin-1 characters replaced.
    text = text.encode("latin-1", "replace").decode("latin-1")
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _page_stream(rows: list[tuple[str, str, bool]]) -> bytes:
    parts = ["BT"]
    y = _PAGE[1] - 60
    for left, right, bold in rows:
        font = "/F2" if bold else "/F1"
        parts.append(f"{font} 10 Tf 1 0 0 1 50 {y} Tm ({_escape(left)}) Tj")
        if right:
            # Right-aligned by an estimate of Helvetica's width (0.55 em per character).
            x = _PAGE[0] - 50 - int(len(right) * 5.5)
            parts.append(f"1 0 0 1 {x} {y} Tm ({_escape(right)}) Tj")
        y -= 15
    parts.append("ET")
    return "\n".join(parts).encode("latin-1")


def pdf_document(rows: list[tuple[str, str, bool]], *, title: str) -> bytes:
    """``rows``: (left text, right-aligned text, bold) per line."""
    pages = [rows[i : i + LINES_PER_PAGE] for i in range(0, len(rows), LINES_PER_PAGE)] or [[]]
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled once the page tree's number is known
    pages_id = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    bold = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>")
    kids = []
    for page_rows in pages:
        stream = _page_stream(page_rows)
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append(
            add(
                (
                    f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 {_PAGE[0]} {_PAGE[1]}] "
                    f"/Resources << /Font << /F1 {font} 0 R /F2 {bold} 0 R >> >> "
                    f"/Contents {content} 0 R >>"
                ).encode()
            )
        )
    objects[catalog - 1] = f"<< /Type /Catalog /Pages {pages_id} 0 R >>".encode()
    objects[pages_id - 1] = (
        f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>"
    ).encode()
    info = add(f"<< /Title ({_escape(title)}) /Producer (Ledgerline) >>".encode("latin-1"))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        catalog,
        info,
        xref,
    )
    return bytes(out)
