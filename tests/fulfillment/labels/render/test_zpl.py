"""ZPL labels: native commands, one format per label, codes carrying the right data."""

import pytest

from fulfillment.labels.render import LabelError, render_labels_zpl, zpl_structure
from tests.fulfillment.labels.render.samples import address, label


def test_zpl_has_one_format_per_label_with_code128_and_qr_of_each():
    labels = [
        label("NB7000000007G"),
        label("NB8000000008H", locker=True, recipient=address(name="Zofia Łódź-Wiśniewska")),
    ]

    zpl = render_labels_zpl(labels)

    structure = zpl_structure(zpl)
    assert structure["formats"] == structure["starts"] == structure["ends"] == 2
    assert structure["utf8"]
    assert structure["ascii_only"]
    assert structure["code128"] == ["NB7000000007G", "NB8000000008H"]
    assert structure["qr"] == ["https://nearbox.example/t/NB7000000007G", "4821-7730"]
    assert "Zofia Łódź-Wiśniewska" in structure["text"]
    assert "^GF" not in zpl and "~DG" not in zpl  # no embedded image
    assert "^BY3" in zpl  # 3-dot Code128 modules


def test_zpl_return_label_has_banner_and_command_characters_are_escaped():
    returned = label("NB9000000009J").as_return(
        tracking_number="NBR90000009J", qr_payload="R-1", qr_caption="Return", date=label().date
    )
    caret = label("NB9100000009J", reference="#10^43~x")

    structure = zpl_structure(render_labels_zpl([returned, caret]))

    assert "RETURN" in structure["text"]
    assert "#10^43~x" in structure["text"]
    assert structure["code128"] == ["NBR90000009J", "NB9100000009J"]


def test_zpl_of_nothing_is_refused():
    with pytest.raises(LabelError, match="nothing to print"):
        render_labels_zpl([])
