"""PDF labels and packing slips with WeasyPrint, from Django templates and one print stylesheet.

Speed: a batch is ONE HTML document with a page per label (or per A4 sheet of four), rendered
with a stylesheet parsed once per process and one FontConfiguration; barcodes are compact
inline SVG paths. `render_labels_pdf_naive` (one document per label, merged with WeasyPrint's
own Document.copy, so no PDF library is added) is kept for the benchmark only.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Literal

from django.conf import settings
from django.template.loader import get_template
from django.utils.safestring import mark_safe

from .codes import code128_svg, qr_svg
from .data import LabelAddress, LabelData, LabelError, PackingSlipData
from .fit import display_width, size_step

LabelSize = Literal["4x6", "a6", "a4"]
SlipSize = Literal["4x6", "a4"]
LABEL_SIZES: tuple[str, ...] = ("4x6", "a6", "a4")
SLIP_SIZES: tuple[str, ...] = ("4x6", "a4")
LABELS_PER_PAGE = {"4x6": 1, "a6": 1, "a4": 4}

BARCODE_MAX_WIDTH_MM = 94.0  # label width minus its side padding
BARCODE_HEIGHT_MM = 18.0
QR_MAX_MM = 24.0
STYLESHEET = Path(__file__).resolve().parents[2] / "templates/fulfillment/labels/labels.css"


@lru_cache(maxsize=1)
def _weasy():
    """(CSS, FontConfiguration) built once per process: parsing the stylesheet and loading
    fonts cost more than laying out a label."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    css = CSS(string=STYLESHEET.read_text(encoding="utf-8"), font_config=font_config)
    return css, font_config


def _check_size(size: str, allowed: Sequence[str]) -> None:
    if size not in allowed:
        raise LabelError("size", f"{size!r} is not one of {', '.join(allowed)}")


def _address_step(address: LabelAddress, limits: tuple[int, ...], count_limits: tuple[int, ...]):
    longest = max((address.city_line, *address.lines), key=display_width)
    by_width = size_step(longest, limits)
    by_count = next(
        (i for i, n in enumerate(count_limits) if len(address.lines) <= n), len(count_limits)
    )
    return max(by_width, by_count)


def label_context(label: LabelData) -> dict:
    """Everything the label template prints, with font steps and codes computed here so the
    template holds no rule."""
    ship_to, ship_from = label.ship_to, label.ship_from
    name_step = size_step(ship_to.name, (22, 30, 40))
    to_step = _address_step(ship_to, (30, 40, 52), (3, 4, 5))
    from_step = min(2, _address_step(ship_from, (48, 60), (2, 3)))
    barcode = code128_svg(
        label.tracking_number, max_width_mm=BARCODE_MAX_WIDTH_MM, bar_height_mm=BARCODE_HEIGHT_MM
    )
    qr = qr_svg(label.qr_payload, max_size_mm=QR_MAX_MM)
    return {
        "data": label,
        "ship_to": ship_to,
        "ship_from": ship_from,
        "name_class": f"s{name_step}",
        "to_class": f"s{to_step}",
        "from_class": f"s{from_step}",
        "from_text": "\n".join(
            [*ship_from.lines, f"{ship_from.city_line} · {ship_from.country.upper()}"]
        ),
        "to_lines": "\n".join(ship_to.lines),
        "date": label.date.strftime("%Y-%m-%d"),
        "sort_long": display_width(label.sort_code) > 14,
        "barcode": mark_safe(barcode.svg),  # built from numbers only, see codes.py
        "qr": mark_safe(qr.svg),
    }


def labels_html(labels: Sequence[LabelData], size: str) -> str:
    _check_size(size, LABEL_SIZES)
    if not labels:
        raise LabelError("labels", "nothing to print: the selection has no labels")
    per_page = LABELS_PER_PAGE[size]
    contexts = [label_context(label) for label in labels]
    pages = [contexts[i : i + per_page] for i in range(0, len(contexts), per_page)]
    title = "Return labels" if all(label.is_return for label in labels) else "Shipping labels"
    return get_template("fulfillment/labels/labels.html").render(
        {"pages": pages, "size": size, "title": title}
    )


def _write_pdf(html: str) -> bytes:
    from weasyprint import HTML

    css, font_config = _weasy()
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
        stylesheets=[css], font_config=font_config
    )


def render_labels_pdf(labels: Sequence[LabelData], size: LabelSize = "4x6") -> bytes:
    """All labels in one PDF: a page per label (4x6, a6) or A4 sheets of four with cut marks."""
    return _write_pdf(labels_html(labels, size))


def render_labels_pdf_naive(labels: Sequence[LabelData], size: LabelSize = "4x6") -> bytes:
    """The slow way, for the benchmark: per label its own HTML, stylesheet parse and font
    configuration, each rendered to a document; the pages are merged at the end."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    if not labels:
        raise LabelError("labels", "nothing to print: the selection has no labels")
    documents = []
    for label in labels:
        font_config = FontConfiguration()
        css = CSS(filename=str(STYLESHEET), font_config=font_config)
        html = HTML(string=labels_html([label], size), base_url=str(settings.BASE_DIR))
        documents.append(html.render(stylesheets=[css], font_config=font_config))
    pages = [page for document in documents for page in document.pages]
    return documents[0].copy(pages).write_pdf()


def render_packing_slips_pdf(slips: Sequence[PackingSlipData], size: SlipSize = "a4") -> bytes:
    """Packing slips listing every line and quantity, one per page (a long one runs on)."""
    _check_size(size, SLIP_SIZES)
    if not slips:
        raise LabelError("slips", "nothing to print: no packing slips")
    contexts = [
        {
            "reference": slip.reference,
            "date": slip.date,
            "parcel_index": slip.parcel_index,
            "parcel_count": slip.parcel_count,
            "extra": slip.extra,
            "blocks": [("From", slip.sender), ("Ship to", slip.recipient)],
            "lines": slip.lines,
            "total_quantity": slip.total_quantity,
            "note": slip.note,
        }
        for slip in slips
    ]
    html = get_template("fulfillment/labels/packing_slips.html").render(
        {"slips": contexts, "size": size}
    )
    return _write_pdf(html)
