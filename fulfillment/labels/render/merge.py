"""One PDF from several: the pages of each, in order (pypdf). Label batches and the parallel
renderer both join their chunks here."""

from __future__ import annotations

import io
from collections.abc import Sequence


def read_pages(pdf: bytes) -> list:
    """The pages of `pdf` (about 0.2 ms a page): done as each chunk is ready, so that joining
    is only the cheap page copy and the write."""
    from pypdf import PdfReader

    return list(PdfReader(io.BytesIO(pdf)).pages)


def join_pages(chunks: Sequence[list], title: str | None = None) -> bytes:
    """One PDF of the pages of `chunks`, in order; with `title`, its title and producer."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for pages in chunks:
        for page in pages:
            writer.add_page(page)  # 3x cheaper than writer.append, which also merges outlines
    if title is not None:
        writer.add_metadata({"/Title": title, "/Producer": "Nearbox labels (WeasyPrint, pypdf)"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
