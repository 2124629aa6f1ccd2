"""PDF labels and packing slips with WeasyPrint, from Django templates and one print stylesheet.

Speed: a batch is ONE HTML document per chunk with a page per label (or per A4 sheet of four),
rendered with a stylesheet parsed once per process and one FontConfiguration. Codes are not in
the HTML: the template leaves fixed slots and stamp.py writes the bars into the laid-out pages
as PDF vectors. What many labels of a document print alike at the same place (the captions,
a shared top, a shared date...) is laid out once on an overlay page and drawn onto each label
page the same way. Large batches are split into chunks rendered on every core (parallel.py,
chosen by dispatch.py).
The naive way (one document per label), the benchmark's baseline, is in bench/naive_labels.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Literal

from django.template.loader import get_template

from fulfillment.labels.render.codes import Marks, code128_marks, qr_marks
from fulfillment.labels.render.data import LabelAddress, LabelData, LabelError, PackingSlipData
from fulfillment.labels.render.fit import bold_em_width, display_width, shorten_middle, size_step
from fulfillment.labels.render.runtime import fewer_collections, on_roomy_stack
from fulfillment.labels.render.stamp import stamp_codes
from fulfillment.labels.render.weasy import render_html, render_label_html

LabelSize = Literal["4x6", "a6", "a4"]
SlipSize = Literal["4x6", "a4"]
LABEL_SIZES: tuple[str, ...] = ("4x6", "a6", "a4")
SLIP_SIZES: tuple[str, ...] = ("4x6", "a4")
LABELS_PER_PAGE = {"4x6": 1, "a6": 1, "a4": 4}

BARCODE_MAX_WIDTH_MM = 94.0  # label width minus its side padding
BARCODE_HEIGHT_MM = 18.0
QR_MAX_MM = 24.0
# The order reference's slot above the barcode (26 mm = 73.7pt wide): one line at 10.5pt or
# 8pt, then two lines at 6.5pt; a longer reference is shortened in the middle, so it never
# runs into the barcode (labels.css .f2 also clips it there).
REF_SLOT_PT = 73.7
REF_FONTS = ((10.5, 1), (8.0, 1), (6.5, 2))  # (size in pt, lines): the classes s0, s1, s2


def reference_fit(reference: str) -> tuple[int, str]:
    """(font step, text) of the reference in its slot. At the smallest size the text is split
    into its two lines here (widths are upper bounds), not left to the line breaker, which
    would break early at a hyphen or the ellipsis and need a third line."""
    for step, (size, _) in enumerate(REF_FONTS[:-1]):
        if bold_em_width(reference) * size <= REF_SLOT_PT:
            return step, reference
    size = REF_FONTS[-1][0]
    room = REF_SLOT_PT / size  # em per line
    width = display_width(reference)
    text = reference
    # The second line gets what the first leaves: keep a widest character's room spare.
    while width > 3 and bold_em_width(text) > 2 * room - 1.1:
        width -= 1
        text = shorten_middle(reference, width)
    first = ""
    for ch in text:
        if bold_em_width(first + ch) > room:
            break
        first += ch
    rest = text[len(first) :]
    return len(REF_FONTS) - 1, f"{first}\n{rest}" if rest else first


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


def label_codes(label: LabelData) -> tuple[Marks, Marks]:
    """(Code128, QR) of a label; ValueError when a code does not fit the label."""
    barcode = code128_marks(
        label.tracking_number, max_width_mm=BARCODE_MAX_WIDTH_MM, bar_height_mm=BARCODE_HEIGHT_MM
    )
    return barcode, qr_marks(label.qr_payload, max_size_mm=QR_MAX_MM)


def _long_sort_code(label: LabelData) -> bool:
    return display_width(label.sort_code) > 14  # printed a size smaller


def label_context(label: LabelData, n: int = 0, overlays: bool = False) -> dict:
    """Everything the label template prints, with font steps computed here so the template
    holds no rule. `n` numbers the label's code slots in its document (see stamp.py);
    `overlays`: the document draws the static captions from overlay pages (labels.html)."""
    sort_long = _long_sort_code(label)
    ship_to, ship_from = label.ship_to, label.ship_from
    name_step = size_step(ship_to.name, (22, 30, 40))
    to_step = _address_step(ship_to, (30, 40, 52), (3, 4, 5))
    from_step = min(2, _address_step(ship_from, (48, 60), (2, 3)))
    ref_step, ref_text = reference_fit(label.reference)
    return {
        "n": n,
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
        "ref_text": ref_text,
        "ref_class": f"s{ref_step}",
        "date": label.date.strftime("%Y-%m-%d"),
        "parcel": f"{label.parcel_index} of {label.parcel_count}",
        "sort_long": sort_long,
        # A long sort code has a smaller font, so its caption line sits elsewhere: printed.
        "sort_overlay": overlays and not sort_long,
    }


def _check_labels(labels: Sequence[LabelData], size: str) -> None:
    _check_size(size, LABEL_SIZES)
    if not labels:
        raise LabelError("labels", "nothing to print: the selection has no labels")


OVERLAY_PAGES = 2  # _overlays.html: facts' captions and rules, then the sort code's caption
MIN_OVERLAY_LABELS = 3  # laying out the overlay pages costs about what 2 labels save
MIN_SHARED = 3  # labels of a document that share a top or a field value: it becomes an overlay


def _use_overlays(labels: Sequence[LabelData], size: str) -> bool:
    return len(labels) >= MIN_OVERLAY_LABELS


def _top_key(label: LabelData) -> tuple:
    """What _label_top.html prints: labels with the same key have the same top."""
    return (label.is_return, label.courier_name, label.service_name, label.ship_from)


_top_heights: dict[tuple, float] = {}  # (size, top key) -> CSS px; per process, few entries


def _measure_tops(labels: Sequence[LabelData], size: str, css=None, font_config=None) -> None:
    """Lay out the tops of `labels` not measured yet, one page each, and keep their heights:
    from the label's content edge to the end of the "To" caption, where the name starts."""
    missing = {}
    for label in labels:
        key = (size, _top_key(label))
        if key not in _top_heights:
            missing.setdefault(key, label_context(label))
    if not missing:
        return
    if len(_top_heights) > 1000:  # a long-lived worker seeing many senders: start over
        _top_heights.clear()
    html = get_template("fulfillment/labels/label_tops.html").render(
        {"labels": list(missing.values()), "size": size}
    )
    document = render_label_html(html, css, font_config)
    for key, page in zip(missing, document.pages, strict=True):
        # Page keeps its laid-out box tree private (as for stamp.py's slots).
        article = caption = None
        for box in page._page_box.descendants(placeholders=True):  # A4: absolute labels
            if box.element is None:
                continue
            if box.element_tag == "article" and article is None:
                article = box
            elif "to-caption" in (box.element.get("class") or "") and caption is None:
                caption = box  # its block box comes before its line and text boxes
        height = caption.position_y + caption.margin_height() - article.content_box_y()
        _top_heights[key] = height


def measure_shared_tops(labels: Sequence[LabelData], size: str) -> None:
    """Measure, in this process, the tops that labels of a batch share (before forking the
    workers that render its chunks, so that they inherit the heights)."""
    if _use_overlays(labels, size):
        tops = set(shared_tops(labels))
        _measure_tops([label for label in labels if _top_key(label) in tops], size)


def shared_tops(labels: Sequence[LabelData]) -> list[tuple]:
    """Top keys that at least MIN_SHARED of `labels` share, in order of first use."""
    counts = Counter(_top_key(label) for label in labels)
    return [key for key, count in counts.items() if count >= MIN_SHARED]


# Fields of the bottom half that are positioned on their own and often the same in a batch
# (the QR caption of tracked parcels, the date, "1 of 1"): a value MIN_SHARED labels of a
# document print is drawn from an overlay page too. Name -> the value in a label's context.
SHARED_FIELDS = {
    "qr_caption": lambda context: context["data"].qr_caption,
    "date": lambda context: context["date"],
    "parcel": lambda context: context["parcel"],
}


def _labels_html(
    labels: Sequence[LabelData], size: str, overlays: bool, css=None, font_config=None
) -> tuple[str, list[tuple], list[list[tuple]]]:
    """(HTML, keys of the overlay pages after the caption pages in order, and for each label
    the keys of the overlays it is drawn with). A key is ("top", top key) or ("field", name,
    value)."""
    per_page = LABELS_PER_PAGE[size]
    contexts = [label_context(label, n, overlays) for n, label in enumerate(labels)]
    uses: list[list[tuple]] = [[] for _ in labels]
    tops = shared_tops(labels) if overlays else []
    top_pages = {}
    if tops:
        _measure_tops(labels, size, css, font_config)
        for n, (label, context) in enumerate(zip(labels, contexts, strict=True)):
            key = _top_key(label)
            if key in tops:
                top_pages.setdefault(("top", key), context)
                context["top_space"] = repr(_top_heights[size, key])  # repr: every digit
                uses[n].append(("top", key))
    field_pages = {}
    if overlays:
        for name, value_of in SHARED_FIELDS.items():
            counts = Counter(value_of(context) for context in contexts)
            for n, context in enumerate(contexts):
                value = value_of(context)
                if counts[value] >= MIN_SHARED:
                    key = ("field", name, value)
                    field_pages.setdefault(key, {"name": name, "value": value})
                    context[f"shared_{name}"] = True
                    uses[n].append(key)
    pages = [contexts[i : i + per_page] for i in range(0, len(contexts), per_page)]
    title = "Return labels" if all(label.is_return for label in labels) else "Shipping labels"
    html = get_template("fulfillment/labels/labels.html").render(
        {
            "pages": pages,
            "size": size,
            "title": title,
            "overlays": overlays,
            "top_overlays": list(top_pages.values()),
            "field_overlays": list(field_pages.values()),
        }
    )
    return html, [*top_pages, *field_pages], uses


def _labels_document(
    labels: Sequence[LabelData], size: str, css=None, font_config=None, overlays: bool | None = None
):
    """A rendered WeasyPrint document of the labels, codes and overlays stamped in.

    The caption overlays save a label 5 text lines and a box of layout and drawing (~17% of
    its CPU), a shared top a dozen lines more, a shared field one."""
    if overlays is None:
        overlays = _use_overlays(labels, size)
    codes = [label_codes(label) for label in labels]
    html, keys, uses = _labels_html(labels, size, overlays, css, font_config)
    document = render_label_html(html, css, font_config)
    drawn_over = None
    if overlays:
        facts, sort, *pages = document.pages[: OVERLAY_PAGES + len(keys)]
        del document.pages[: OVERLAY_PAGES + len(keys)]
        page_of = dict(zip(keys, pages, strict=True))
        drawn_over = [
            (facts, *(() if _long_sort_code(label) else (sort,)), *map(page_of.get, used))
            for label, used in zip(labels, uses, strict=True)
        ]
    stamp_codes(document, codes, drawn_over)
    return document


def _render_serial(labels: Sequence[LabelData], size: str) -> bytes:
    with fewer_collections():
        return _labels_document(labels, size).write_pdf()


def render_labels_pdf_serial(labels: Sequence[LabelData], size: LabelSize = "4x6") -> bytes:
    """All labels in one PDF, in this process."""
    _check_labels(labels, size)
    return on_roomy_stack(_render_serial, labels, size)


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
    return render_html(html).write_pdf()
