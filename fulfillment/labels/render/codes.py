"""Code128 and QR codes as inline SVG, sized for 203 dpi thermal printers.

A 203 dpi printer can only place an edge on a dot, so every module is a whole number of dots
(2 dots = 0.250 mm, 3 dots = 0.375 mm): bars then print at exactly the width the decoder
expects. python-barcode encodes the Code128 (charset switching and the check symbol) and
segno the QR. WeasyPrint parses every number of an SVG path in Python, so fewer numbers
is faster: the Code128 is one stroked vertical line per bar, grouped by bar width (three
numbers a bar, against python-barcode's SVGWriter: one <rect> with four attributes a bar, an
XML declaration and a text node), and the QR is segno's own compact path (one stroked run
of modules per "m dx dy h len").

The batch PDF does not go through SVG at all: `code128_marks` and `qr_marks` give the same
symbols as rectangles in modules, which pdf.py writes straight into each page's PDF content
stream (one "re" per bar or run of dark QR modules, one fill), snapped to the printer's dot
grid. Parsing and drawing an SVG cost more than laying out the label's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import barcode
import segno

from fulfillment.labels.render import qrmask

PRINTER_DPI = 203
DOT_MM = 25.4 / PRINTER_DPI  # 0.1251 mm
CODE128_QUIET_MODULES = 10
QR_QUIET_MODULES = 4
MIN_BAR_HEIGHT_MM = 15.0


@dataclass(frozen=True)
class Symbol:
    svg: str  # inline <svg> element with width/height in mm
    width_mm: float
    height_mm: float
    module_dots: int

    @property
    def module_mm(self) -> float:
        return self.module_dots * DOT_MM


def code128_modules(data: str) -> str:
    """The Code128 bar pattern ('1' = bar, '0' = space) without quiet zones."""
    return "".join(barcode.get("code128", data).build())


def _runs(pattern: str):
    """(start, length) of each run of '1' in pattern."""
    start = None
    for i, ch in enumerate(pattern + "0"):
        if ch == "1" and start is None:
            start = i
        elif ch != "1" and start is not None:
            yield start, i - start
            start = None


@dataclass(frozen=True)
class Marks:
    """A code's dark areas as (x, y, width, height) rectangles in modules, from the top-left
    corner of the symbol including its quiet zone."""

    rects: tuple[tuple[float, float, float, float], ...]
    width_modules: int
    height_modules: float
    module_dots: int

    @property
    def module_mm(self) -> float:
        return self.module_dots * DOT_MM

    @property
    def width_mm(self) -> float:
        return self.width_modules * self.module_mm

    @property
    def height_mm(self) -> float:
        return self.height_modules * self.module_mm


def _code128_layout(data: str, max_width_mm: float, module_dots: tuple[int, ...]):
    """(bar pattern, total modules with quiet zones, module dots) of the widest module that fits."""
    pattern = code128_modules(data)
    total = len(pattern) + 2 * CODE128_QUIET_MODULES
    for dots in module_dots:
        if total * dots * DOT_MM <= max_width_mm:
            return pattern, total, dots
    raise ValueError(
        f"Code128 of {data!r} needs {total * min(module_dots) * DOT_MM:.1f} mm "
        f"but only {max_width_mm:.1f} mm are free"
    )


def code128_marks(
    data: str,
    *,
    max_width_mm: float,
    bar_height_mm: float = 18.0,
    module_dots: tuple[int, ...] = (3, 2),
) -> Marks:
    """The Code128 of `data` as bars, with the same sizing rules as `code128_svg`."""
    if bar_height_mm < MIN_BAR_HEIGHT_MM:
        raise ValueError(f"bar height {bar_height_mm} mm is below {MIN_BAR_HEIGHT_MM} mm")
    pattern, total, dots = _code128_layout(data, max_width_mm, module_dots)
    height = bar_height_mm / (dots * DOT_MM)
    rects = tuple((CODE128_QUIET_MODULES + x, 0.0, w, height) for x, w in _runs(pattern))
    return Marks(rects=rects, width_modules=total, height_modules=height, module_dots=dots)


qrmask.install()  # the same masks as segno chooses, scored with numpy

_DARK_RUN = re.compile(b"\x01+")  # in a row of segno's matrix, 1 is a dark module


def qr_marks(data: str, *, max_size_mm: float, error: str = "m") -> Marks:
    """The QR of `data` as horizontal runs of dark modules, sized like `qr_svg`."""
    qr = segno.make(data, error=error, micro=False)
    size = len(qr.matrix) + 2 * QR_QUIET_MODULES
    dots = _qr_dots(size, len(data), max_size_mm)
    rects = tuple(
        (QR_QUIET_MODULES + run.start(), y, run.end() - run.start(), 1)
        for y, row in enumerate(qr.matrix, QR_QUIET_MODULES)
        for run in _DARK_RUN.finditer(row)
    )
    return Marks(rects=rects, width_modules=size, height_modules=size, module_dots=dots)


def _qr_dots(size: int, length: int, max_size_mm: float) -> int:
    dots = min(8, int(max_size_mm / (size * DOT_MM)))
    if dots < 3:
        raise ValueError(f"QR of {length} characters does not fit in {max_size_mm} mm")
    return dots


def code128_svg(
    data: str,
    *,
    max_width_mm: float,
    bar_height_mm: float = 18.0,
    module_dots: tuple[int, ...] = (3, 2),
) -> Symbol:
    """Code128 of `data` with 10-module quiet zones, using the widest module (in whole
    printer dots) that fits in `max_width_mm`. Raises ValueError when even the narrowest
    does not fit, rather than printing bars a scanner cannot resolve."""
    if bar_height_mm < MIN_BAR_HEIGHT_MM:
        raise ValueError(f"bar height {bar_height_mm} mm is below {MIN_BAR_HEIGHT_MM} mm")
    pattern, total, dots = _code128_layout(data, max_width_mm, module_dots)
    width_mm = total * dots * DOT_MM
    # Coordinates are in modules: a bar of width w is a line of stroke-width w at its centre.
    height = round(bar_height_mm / (dots * DOT_MM), 1)
    by_width: dict[int, list[str]] = {}
    for x, w in _runs(pattern):
        centre = CODE128_QUIET_MODULES + x + w / 2
        by_width.setdefault(w, []).append(f"M{centre:g} 0v{height:g}")
    paths = "".join(
        f'<path stroke-width="{w}" d="{"".join(lines)}"/>' for w, lines in by_width.items()
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="code128" '
        f'width="{width_mm:.3f}mm" height="{bar_height_mm:.3f}mm" '
        f'viewBox="0 0 {total} {height:g}" stroke="#000" shape-rendering="crispEdges">'
        f"{paths}</svg>"
    )
    return Symbol(svg=svg, width_mm=width_mm, height_mm=bar_height_mm, module_dots=dots)


def qr_svg(data: str, *, max_size_mm: float, error: str = "m") -> Symbol:
    """QR of `data` with a 4-module quiet zone, at the largest whole-dot module (3 to 8 dots)
    that fits in `max_size_mm`."""
    qr = segno.make(data, error=error, micro=False)
    size = qr.symbol_size(scale=1, border=QR_QUIET_MODULES)[0]
    dots = _qr_dots(size, len(data), max_size_mm)
    side_mm = size * dots * DOT_MM
    inline = qr.svg_inline(
        scale=1, border=QR_QUIET_MODULES, omitsize=True, svgclass=None, lineclass=None
    )
    svg = inline.replace(
        "<svg ",
        f'<svg xmlns="http://www.w3.org/2000/svg" class="qr" width="{side_mm:.3f}mm" '
        f'height="{side_mm:.3f}mm" shape-rendering="crispEdges" ',
        1,
    )
    return Symbol(svg=svg, width_mm=side_mm, height_mm=side_mm, module_dots=dots)
