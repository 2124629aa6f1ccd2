"""PDF labels: every size scans with a real decoder at 203 dpi, text is never cut, every script
has a font."""

import pytest

from fulfillment.labels.render import LabelError, render_labels_pdf, sort_code
from fulfillment.labels.render.scan import decode_pdf
from tests.fulfillment.labels.render.samples import address, label, page_info, pdf_tool, squeeze

FOUR_BY_SIX = "288 x 432"  # points
A6 = "297.638 x 419.528"
A4 = "595.276 x 841.89"


def test_4x6_labels_scan_to_their_tracking_numbers_and_qr_payloads():
    labels = [label("NB1000000001A"), label("NB2000000002B", locker=True)]

    pdf = render_labels_pdf(labels, "4x6")

    assert page_info(pdf) == (2, FOUR_BY_SIX)
    decoded = decode_pdf(pdf)
    assert sorted(decoded[1]) == [
        ("code128", "NB1000000001A"),
        ("qr", "https://nearbox.example/t/NB1000000001A"),
    ]
    assert sorted(decoded[2]) == [("code128", "NB2000000002B"), ("qr", "4821-7730")]


def test_a6_label_is_a6_and_scans():
    pdf = render_labels_pdf([label("NB3000000003C")], "a6")

    assert page_info(pdf) == (1, A6)
    assert sorted(decode_pdf(pdf)[1]) == [
        ("code128", "NB3000000003C"),
        ("qr", "https://nearbox.example/t/NB3000000003C"),
    ]


def test_a4_sheet_holds_four_labels_that_all_scan():
    labels = [label(f"NB40000000{n:02d}D") for n in range(4)]

    pdf = render_labels_pdf(labels, "a4")

    assert page_info(pdf) == (1, A4)
    found = set(decode_pdf(pdf)[1])
    assert found == {("code128", lab.tracking_number) for lab in labels} | {
        ("qr", lab.qr_payload) for lab in labels
    }


def test_five_labels_on_a4_make_two_sheets_with_the_fifth_on_the_second():
    labels = [label(f"NB50000000{n:02d}E") for n in range(5)]

    pdf = render_labels_pdf(labels, "a4")

    assert page_info(pdf) == (2, A4)
    decoded = decode_pdf(pdf)
    assert ("code128", "NB5000000004E") in decoded[2]
    assert len([kind for kind, _ in decoded[1] if kind == "code128"]) == 4


def test_long_recipient_name_and_address_wrap_instead_of_being_cut():
    name = "Maximiliane Alexandrina Konstantinopoulou-Wiśniewska-Oppenheimer von Hohenzollern"
    street = "Apartment 1204, Building C, 4400 North Lake Shore Drive Extended Service Road"
    unbroken = "Aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeeeeeeeffffffffff"
    recipient = address(name=name, lines=(street, unbroken))

    pdf = render_labels_pdf([label(recipient=recipient)], "4x6")

    text = pdf_tool("pdftotext", pdf, "-raw")  # -raw: keep a hyphen that ends a line
    assert page_info(pdf)[0] == 1
    for part in (name, street, unbroken):
        assert squeeze(part) in squeeze(text)
    assert "…" not in text and "..." not in text
    assert decode_pdf(pdf)[1]  # the codes still scan next to the long text


@pytest.mark.parametrize(
    ("name", "city", "font"),
    [
        ("Łukasz Dąbrowski", "Łódź", "DejaVu-Sans"),
        ("Ayşe Doğan", "İstanbul", "DejaVu-Sans"),
        ("王小明", "北京市朝阳区", "Droid-Sans-Fallback"),
        ("Ola 📦🎉", "Kraków", "Symbola"),
    ],
)
def test_text_outside_latin_1_renders_with_a_font_that_has_it(name, city, font):
    recipient = address(name=name, city=city, country="XX")

    pdf = render_labels_pdf([label(recipient=recipient)], "4x6")

    text = pdf_tool("pdftotext", pdf)
    assert name in text
    assert city in text
    assert font in pdf_tool("pdffonts", pdf)


def test_return_label_says_return_and_ships_from_the_customer_to_the_warehouse():
    original = label("NB6000000006F", recipient=address(name="Emily Johnson"))
    returned = original.as_return(
        tracking_number="NBR600000006F",
        qr_payload="https://nearbox.example/t/NBR600000006F",
        qr_caption="Track return",
        date=original.date,
    )

    pdf = render_labels_pdf([returned], "4x6")

    text = pdf_tool("pdftotext", pdf)
    assert "RETURN" in text
    from_block = text[text.index("FROM") : text.index("TO\n")]
    assert "Emily Johnson" in from_block
    assert "Nearbox Wola Warehouse" in text[text.index("TO\n") :]
    assert ("code128", "NBR600000006F") in decode_pdf(pdf)[1]


def test_shipment_without_tracking_number_cannot_be_printed_and_says_why():
    with pytest.raises(LabelError) as error:
        label("")

    assert error.value.field == "tracking_number"
    assert "no tracking number" in str(error.value)


def test_unknown_size_and_empty_batch_are_refused_by_name():
    with pytest.raises(LabelError, match="size"):
        render_labels_pdf([label()], "letter")
    with pytest.raises(LabelError, match="nothing to print"):
        render_labels_pdf([], "4x6")


def test_sort_code_is_destination_region_area_and_storage_point():
    assert sort_code("60614", "WLW") == "606-14 / WLW"
    assert sort_code("60614-2231", "wlw") == "606-14 / WLW"
    assert sort_code("90-001", "ŁDZ") == "900-01 / LDZ"
    with pytest.raises(LabelError, match="dest_zip"):
        sort_code(" - ", "WLW")
