"""Transfers: the life-cycle moves stock exactly, and the pages drive it without JavaScript."""

import pytest
from django.urls import reverse

from merchant.models import StockLevel, Transfer
from merchant.services import stock, transfers
from merchant.services.stock import ledger_mismatches
from tests.factories.merchant import make_point, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(merchant_a):
    m = merchant_a.merchant
    source, destination = make_point(m, name="Source"), make_point(m, name="Destination")
    product = make_product(m, sku="TEA")
    stock.receive_stock(merchant=m, product=product, point=source, quantity=10)
    return m, source, destination, product


def figures(product, point) -> tuple[int, int]:
    level = StockLevel.objects.filter(product=product, point=point).first()
    return (level.on_hand, level.reserved) if level else (0, 0)


def test_life_cycle_holds_then_moves_the_units_exactly(setup):
    m, source, destination, product = setup
    transfer = transfers.create_transfer(
        merchant=m, from_point=source, to_point=destination, lines=[(product, 4)]
    )
    assert figures(product, source) == (10, 4)

    transfers.ship_transfer(transfer=transfer)
    assert figures(product, source) == (6, 0)
    assert figures(product, destination) == (0, 0)

    transfers.receive_transfer(transfer=transfer)
    assert figures(product, destination) == (4, 0)
    assert figures(product, source) == (6, 0)
    assert Transfer.objects.get(pk=transfer.pk).status == "received"
    assert ledger_mismatches(m) == []


def test_cancel_releases_the_held_units(setup):
    m, source, destination, product = setup
    transfer = transfers.create_transfer(
        merchant=m, from_point=source, to_point=destination, lines=[(product, 4)]
    )
    transfers.cancel_transfer(transfer=transfer)
    assert figures(product, source) == (10, 0)
    assert ledger_mismatches(m) == []


def test_a_transfer_to_another_merchants_point_is_refused(setup, merchant_b):
    m, source, _destination, product = setup
    foreign = make_point(merchant_b.merchant)
    with pytest.raises(Exception, match="another shop"):
        transfers.create_transfer(
            merchant=m, from_point=source, to_point=foreign, lines=[(product, 1)]
        )
    assert not Transfer.objects.exists()


# --- Pages ----------------------------------------------------------------------------------


def post_transfer(client, source, destination, lines):
    data = {
        "from_point": source.pk,
        "to_point": destination.pk,
        "note": "",
        "lines-TOTAL_FORMS": "5",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "50",
    }
    for n, (product, quantity) in enumerate(lines):
        data[f"lines-{n}-product"] = product.sku
        data[f"lines-{n}-quantity"] = quantity
    return client.post(reverse("transfer_create"), data)


def test_transfer_form_creates_a_transfer_from_the_filled_lines(setup, client_a):
    _m, source, destination, product = setup
    response = post_transfer(client_a, source, destination, [(product, 3)])
    transfer = Transfer.objects.get()
    assert response.url == reverse("transfer_detail", args=[transfer.pk])
    assert [(line.product.sku, line.quantity) for line in transfer.lines.all()] == [("TEA", 3)]


def test_transfer_beyond_available_stock_is_a_form_error_not_a_500(setup, client_a):
    _m, source, destination, product = setup
    response = post_transfer(client_a, source, destination, [(product, 11)])
    assert response.status_code == 422
    assert "Only 10 of TEA available at Source" in response.content.decode()
    assert not Transfer.objects.exists()
    assert figures(product, source) == (10, 0)


def test_transfer_to_the_same_point_shows_the_error_on_the_destination(setup, client_a):
    _m, source, _destination, product = setup
    response = post_transfer(client_a, source, source, [(product, 1)])
    assert "to_point" in response.context["form"].errors


def test_transfer_without_lines_is_refused(setup, client_a):
    _m, source, destination, _product = setup
    response = post_transfer(client_a, source, destination, [])
    assert response.status_code == 422
    assert "at least one product" in response.content.decode()


def test_buttons_ship_receive_and_refuse_a_second_receive(setup, client_a):
    m, source, destination, product = setup
    transfer = transfers.create_transfer(
        merchant=m, from_point=source, to_point=destination, lines=[(product, 2)]
    )
    detail = reverse("transfer_detail", args=[transfer.pk])
    assert "Ship" in client_a.get(detail).content.decode()

    assert client_a.post(reverse("transfer_ship", args=[transfer.pk])).url == detail
    assert client_a.post(reverse("transfer_receive", args=[transfer.pk])).url == detail
    again = client_a.post(reverse("transfer_receive", args=[transfer.pk]), follow=True)
    assert "is received, not in transit" in again.content.decode()
    assert figures(product, destination) == (2, 0)


def test_cancel_button_is_refused_once_shipped(setup, client_a):
    m, source, destination, product = setup
    transfer = transfers.create_transfer(
        merchant=m, from_point=source, to_point=destination, lines=[(product, 2)]
    )
    transfers.ship_transfer(transfer=transfer)
    response = client_a.post(reverse("transfer_cancel", args=[transfer.pk]), follow=True)
    assert "not requested" in response.content.decode()
    assert Transfer.objects.get(pk=transfer.pk).status == "in_transit"


def test_transfer_list_filters_by_status(setup, client_a):
    m, source, destination, product = setup
    kept = transfers.create_transfer(
        merchant=m, from_point=source, to_point=destination, lines=[(product, 1)]
    )
    gone = transfers.create_transfer(
        merchant=m, from_point=source, to_point=destination, lines=[(product, 1)]
    )
    transfers.cancel_transfer(transfer=gone)
    html = client_a.get(reverse("transfer_list"), {"status": "requested"}).content.decode()
    assert f"Transfer {kept.pk}<" in html and f"Transfer {gone.pk}<" not in html


def test_empty_transfer_list_says_what_to_do(client_a):
    html = client_a.get(reverse("transfer_list")).content.decode()
    assert "No transfers" in html and reverse("transfer_create") in html
