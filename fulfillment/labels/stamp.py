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

from .codes import PRINTER_DPI, Marks

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


def _paint_with_codes(original, ops: bytes, overlays, drawn: dict, stream, scale: float = 1):
    original(stream, scale)
    with stream.stacked():
        stream.transform(a=scale, d=scale)  # the same CSS px space draw_page uses
        stream.stream.append(ops)
    for overlay in overlays:
        # Drawn once per document into a scratch stream that shares the document's fonts and
        # resources (so its glyphs are embedded and its names resolve on every page), then
        # the same operators are appended to each page: q ... Q, self-contained.
        items = drawn.get((overlay, scale))
        if items is None:
            scratch = stream.clone()
            overlay.paint(scratch, scale)
            items = drawn[overlay, scale] = scratch.stream
        stream.stream.extend(items)


def stamp_codes(document, codes: Sequence[tuple[Marks, Marks]], overlays=None) -> None:
    """Make every page of a rendered WeasyPrint document draw the codes of its slots.

    `codes[n]` is the (Code128, QR) of the label whose slots carry data-n="n". The Code128 is
    centred in its slot, the QR set in its slot's top-right corner, as the template did with
    inline SVG before. `overlays[n]`, if given: laid-out pages of the same document (taken out
    of its pages) drawn over label n's page, which must have the same size."""
    drawn: dict = {}
    for page in document.pages:
        ops = []
        extra = ()
        # Page keeps its laid-out box tree private; it is the only place the slots' positions are.
        for box in page._page_box.descendants(placeholders=True):
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
                extra = overlays[int(n)] if overlays else ()
            else:
                width = qr.width_modules * qr.module_dots * PX_PER_DOT
                ops.append(marks_ops(qr, x + box.width - width, y))
        if ops:
            page.paint = functools.partial(
                _paint_with_codes, page.paint, b"".join(ops), extra, drawn
            )
