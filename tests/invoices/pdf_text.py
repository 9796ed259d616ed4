"""The text of a PDF as a reader's copy-and-paste would give it (pypdf's extraction)."""

import io

from pypdf import PdfReader


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
