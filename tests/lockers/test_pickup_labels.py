"""A locker or shop order's label sends the courier to the pickup place: its TO block is the
shopper's name "c/o" the place, with the place's full address, in the PDF and the ZPL."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from fulfillment.couriers.selectors import rate_input_for_order
from fulfillment.labels.render import render_labels_pdf, render_labels_zpl
from fulfillment.labels.render.zpl import zpl_structure
from fulfillment.labels.services.labels import label_data_for
from tests.factories.couriers import make_shipment
from tests.factories.lockers import make_bank, make_shop, order_for
from tests.factories.orders import make_order
from tests.fulfillment.labels.render.samples import pdf_tool


@pytest.mark.django_db
def test_a_locker_orders_label_is_addressed_to_the_locker_care_of_the_shopper(merchant_a):
    merchant = merchant_a.merchant
    bank = make_bank(
        merchant, name="Clark St lockers", address_line="233 S Clark St", postal_code="60604"
    )
    shipment = make_shipment(merchant, order=order_for(merchant, bank))
    order = shipment.order

    to = label_data_for(shipment).ship_to

    assert to.name == order.shopper_name
    assert to.lines == ("c/o Clark St lockers (parcel locker)", "233 S Clark St")
    assert (to.city, to.state, to.postal_code) == ("Chicago", "IL", "60604")
    pdf_text = " ".join(
        pdf_tool("pdftotext", render_labels_pdf([label_data_for(shipment)])).split()
    )
    assert f"{order.shopper_name} c/o Clark St lockers (parcel locker) 233 S Clark St" in (pdf_text)
    assert "60604 Chicago IL" in pdf_text
    zpl_text = "\n".join(zpl_structure(render_labels_zpl([label_data_for(shipment)]))["text"])
    assert "c/o Clark St lockers (parcel locker)\n233 S Clark St\n60604 Chicago IL" in zpl_text


@pytest.mark.django_db
def test_a_shop_orders_label_names_the_shop_and_its_address(merchant_a):
    merchant = merchant_a.merchant
    shop = make_shop(merchant, name="Corner <b>shop</b>", address_line="9 W Division St")
    shipment = make_shipment(merchant, order=order_for(merchant, shop))

    to = label_data_for(shipment).ship_to

    assert to.lines == ("c/o Corner <b>shop</b> (pickup shop)", "9 W Division St")
    text = pdf_tool("pdftotext", render_labels_pdf([label_data_for(shipment)]))
    assert "c/o Corner <b>shop</b> (pickup shop)" in text  # markup printed as text


@pytest.mark.django_db
def test_a_home_orders_label_keeps_the_shoppers_address(merchant_a):
    shipment = make_shipment(merchant_a.merchant)
    to = label_data_for(shipment).ship_to
    assert to.lines[0] == shipment.order.line1
    assert not any("c/o" in line for line in to.lines)


@pytest.mark.django_db
def test_a_label_for_a_pickup_place_that_is_gone_is_refused_with_the_reason(merchant_a, merchant_b):
    merchant = merchant_a.merchant
    shipment = make_shipment(merchant, order=order_for(merchant, make_shop(merchant)))
    shipment.order.pickup_location_ref = make_shop(merchant_b.merchant).pickup_ref
    with pytest.raises(ValidationError, match="not in your pickup network any more"):
        label_data_for(shipment)


@pytest.mark.django_db
def test_the_courier_is_asked_to_deliver_a_locker_order_to_the_locker(merchant_a):
    merchant = merchant_a.merchant
    bank = make_bank(merchant, name="Clark St lockers", address_line="233 S Clark St")
    order = order_for(merchant, bank)

    recipient = rate_input_for_order(order).recipient

    assert recipient["name"] == order.shopper_name
    assert recipient["street"] == "c/o Clark St lockers (parcel locker), 233 S Clark St"
    assert (recipient["city"], recipient["postal_code"]) == ("Chicago", "60601")
    home = make_order(merchant)
    assert rate_input_for_order(home).recipient["street"] == home.line1
