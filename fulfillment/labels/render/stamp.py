"""Barcodes and QR codes written straight into the pages WeasyPrint has laid out.

The label template holds an empty, fixed-size slot where each code goes (`<i class="bar-slot">`,
`<i class="qr-slot">`). WeasyPrint lays out the text; then each page's paint step gets the
codes appended as plain PDF path operators: one rectangle per bar or per run of dark QR
modules and one fill. They stay vectors, snapped to the 203 dpi dot grid so every module
edge falls on a printer dot, and they cost a few microseconds instead of the SVG parse and
draw that used to be the biggest single share of a label's time.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from fulfillment.labels.render.codes import PRINTER_DPI, Marks

PX_PER_DOT = 96 / PRINTER_DPI  # CSS px (1/96 in) per printer dot
SLOT_TAG = "i"


def _snap(value_px: float) -> float:
    return round(value_px / PX_PER_DOT) * PX_PER_DOT


def marks_ops(marks: Marks, x_px: float, y_px: float) -> bytes:
    """PDF operators that fill `marks` with the symbol's top-left corner at (x, y), in CSS px
    of a y-down page space (WeasyPrint's drawing space). The rectangles are written in the
    symbol's own modules and one `cm` scales and places them: small numbers are quicker to
    format (a label's ~230 rectangles were 0.2 ms of its CPU) and no edge is rounded."""
    x0, y0 = _snap(x_px), _snap(y_px)
    module = marks.module_dots * PX_PER_DOT
    rects = " re\n".join(map("%g %g %g %g".__mod__, marks.rects))
    return f"q 0 g\n{module:.6f} 0 0 {module:.6f} {x0:.4f} {y0:.4f} cm\n{rects} re\nf Q\n".encode()


def _drawn_once(overlay, stream, scale: float, drawn: dict):
    """(PDF operators of an overlay page, its label's top-left corner in CSS px), drawn once per
    document into a scratch stream that shares the document's fonts and resources (so its
    glyphs are embedded and its names resolve on every page)."""
    if (overlay, scale) not in drawn:
        scratch = stream.clone()
        overlay.paint(scratch, scale)
        article = next(
            box
            for box in overlay._page_box.descendants(placeholders=True)
            if box.element_tag == "article"
        )
        drawn[overlay, scale] = scratch.stream, (article.position_x, article.position_y)
    return drawn[overlay, scale]


def _paint_codes(original, ops: bytes, stream, scale: float = 1) -> None:
    original(stream, scale)
    with stream.stacked():
        stream.transform(a=scale, d=scale)  # the same CSS px space draw_page uses
        stream.stream.append(ops)


def _paint_overlays(original, overlays, corner, drawn: dict, stream, scale: float = 1) -> None:
    original(stream, scale)
    for overlay in overlays:
        # The overlay's operators, q ... Q and self-contained, moved to this label's corner
        # (an A4 sheet's cell; a 4x6 or A6 label is where its overlay is).
        items, (x, y) = _drawn_once(overlay, stream, scale, drawn)
        dx, dy = (corner[0] - x) * scale, (corner[1] - y) * scale
        if dx or dy:
            stream.stream.append(f"q 1 0 0 1 {dx:f} {dy:f} cm".encode())
            stream.stream.extend(items)
            stream.stream.append(b"Q")
        else:
            stream.stream.extend(items)


def stamp_codes(document, codes: Sequence[tuple[Marks, Marks]], overlays=None) -> None:
    """Make every page of a rendered WeasyPrint document draw the codes of its slots.

    `codes[n]` is the (Code128, QR) of the label whose slots carry data-n="n". The Code128 is
    centred in its slot, the QR set in its slot's top-right corner, as the template did with
    inline SVG before. `overlays[n]`, if given: laid-out pages of the same document (taken out
    of its pages) with a label-sized <article> whose drawing goes over label n's."""
    drawn: dict = {}
    for page in document.pages:
        ops = []
        extra = []  # (overlay pages, the label's top-left corner) for each label of the page
        article = None
        # Page keeps its laid-out box tree private; it is the only place the slots' positions are.
        for box in page._page_box.descendants(placeholders=True):
            if box.element_tag == "article":
                if article is None or box.element is not article.element:
                    article = box  # the label whose slots come next (not an anonymous box in it)
                continue
            if box.element_tag != SLOT_TAG or box.element is None:
                continue
            n = box.element.get("data-n")
            if n is None:
                continue
            barcode, qr = codes[int(n)]
            x, y = box.content_box_x(), box.content_box_y()
            if box.element.get("class") == "bar-slot":
                width = barcode.width_modules * barcode.module_dots * PX_PER_DOT
                ops.append(marks_ops(barcode, x + (box.width - width) / 2, y))
                if overlays and overlays[int(n)]:
                    extra.append((overlays[int(n)], (article.position_x, article.position_y)))
            else:
                width = qr.width_modules * qr.module_dots * PX_PER_DOT
                ops.append(marks_ops(qr, x + box.width - width, y))
        if ops:
            paint = functools.partial(_paint_codes, page.paint, b"".join(ops))
            for pages, corner in extra:
                paint = functools.partial(_paint_overlays, paint, pages, corner, drawn)
            page.paint = paint
