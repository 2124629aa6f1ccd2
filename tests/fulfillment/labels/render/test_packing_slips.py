"""Packing slips list every line and quantity, on A4 and 4x6."""

import pytest

from fulfillment.labels.render import LabelError, PackingSlipLine, render_packing_slips_pdf
from tests.fulfillment.labels.render.samples import page_info, pdf_tool, slip


@pytest.mark.parametrize("size", ["a4", "4x6"])
def test_packing_slip_lists_every_line_and_quantity(size):
    document = slip(lines=12)

    pdf = render_packing_slips_pdf([document], size)

    text = pdf_tool("pdftotext", pdf, "-layout")
    for line in document.lines:
        row = next(row for row in text.splitlines() if line.sku in row)
        assert line.name in row
        assert row.rstrip().endswith(str(line.quantity))
    assert str(document.total_quantity) in text.splitlines()[-3] + text


def test_two_slips_print_on_their_own_pages():
    pdf = render_packing_slips_pdf([slip(reference="#1"), slip(reference="#2")], "a4")

    assert page_info(pdf)[0] == 2


def test_packing_slip_without_lines_or_with_zero_quantity_is_refused():
    with pytest.raises(LabelError, match="lines"):
        slip(lines=0)
    with pytest.raises(LabelError, match="quantity"):
        PackingSlipLine(sku="SKU-1", name="Mug", quantity=0)
