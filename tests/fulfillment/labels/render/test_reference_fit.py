"""A long order reference never runs into the barcode on a 4x6 label: it is set smaller, then
shortened in the middle; the barcode still scans and no text box crosses the barcode's area."""

from __future__ import annotations

import re

import pytest

from fulfillment.labels.render import render_labels_pdf, render_labels_zpl
from fulfillment.labels.render.pdf import _labels_document, reference_fit
from fulfillment.labels.render.scan import decode_pdf
from fulfillment.labels.render.zpl import zpl_structure
from tests.fulfillment.labels.render.samples import label, pages_as_pixels, pdf_tool

PT_PER_MM = 72 / 25.4
# labels.css: the bottom half is 62 mm high, 3 mm above the 6 in page's foot; the barcode slot
# starts 39.2 mm into it and is 18 mm high.
BARCODE_TOP_PT = 432 - (3 + 62) * PT_PER_MM + 39.2 * PT_PER_MM
BARCODE_BOTTOM_PT = BARCODE_TOP_PT + 18 * PT_PER_MM
LONG_REFERENCES = [
    ("ORDER-" + "X1Y2Z3" * 9)[:60],
    "W" * 60,
    "shop-2026-12-05-" + "m" * 44,
]


def word_boxes(pdf: bytes, page: int = 1) -> list[tuple[float, float, float, float, str]]:
    xml = pdf_tool("pdftotext", pdf, "-bbox", "-f", str(page), "-l", str(page))
    return [
        (float(x0), float(y0), float(x1), float(y1), word)
        for x0, y0, x1, y1, word in re.findall(
            r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<', xml
        )
    ]


@pytest.mark.parametrize("reference", LONG_REFERENCES)
@pytest.mark.parametrize("count", [1, 3])  # 3 labels: drawn with the caption overlays
def test_a_60_character_reference_stays_clear_of_the_barcode_which_still_scans(reference, count):
    assert len(reference) == 60
    tracking = [f"NB20000000{n:02d}R" for n in range(count)]
    pdf = render_labels_pdf([label(t, reference=reference) for t in tracking], "4x6", workers=1)

    decoded = decode_pdf(pdf, pages=[1])
    assert ("code128", tracking[0]) in decoded[1]
    crossing = [
        word
        for x0, y0, x1, y1, word in word_boxes(pdf)
        if y1 > BARCODE_TOP_PT and y0 < BARCODE_BOTTOM_PT
    ]
    assert crossing == []
    text = pdf_tool("pdftotext", pdf, "-f", "1", "-l", "1")
    shown = reference_fit(reference)[1]
    assert "…" in shown and shown.startswith(reference[:6]) and shown.endswith(reference[-4:])
    assert shown.replace("…", "")[:6] in text


def test_a_short_reference_prints_whole_at_full_size():
    assert reference_fit("#1043") == (0, "#1043")
    assert reference_fit("WCG-1001") == (0, "WCG-1001")


@pytest.mark.parametrize("reference", LONG_REFERENCES)
def test_a_long_reference_on_a_zpl_label_takes_two_small_lines_above_the_barcode(reference):
    zpl = render_labels_zpl([label("NB3000000001Z", reference=reference)])

    structure = zpl_structure(zpl)
    assert structure["code128"] == ["NB3000000001Z"]
    field = re.search(r"\^FO230,(\d+)\^A[0JK]N,(\d+),\d+\^FB200,(\d+),", zpl)
    y, height, lines = map(int, field.groups())
    assert y + height * lines < 962 < 988  # under the facts' rule, above the barcode
    ref_text = next(t for t in structure["text"] if "…" in t)
    assert len(ref_text.split("\n")) == 2
    assert ref_text.startswith(reference[:5]) and ref_text.endswith(reference[-3:])


def test_a_shortened_reference_prints_the_same_with_or_without_the_caption_overlays():
    labels = [label(f"NB40000000{n}R", reference=ref) for n, ref in enumerate(LONG_REFERENCES)]
    labels.append(label("NB4000000009R", reference="#1043-LONG"))  # one line, a size smaller

    drawn_over = _labels_document(labels, "4x6", overlays=True).write_pdf()
    laid_out = _labels_document(labels, "4x6", overlays=False).write_pdf()

    assert pages_as_pixels(drawn_over) == pages_as_pixels(laid_out)
