"""One currency per merchant (issue 14, item 4): an amount in another currency is converted at a
configured, stated rate, or refused with the reason; it is never shown under another symbol."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template

from fulfillment.couriers.adapters import DeliveryWindow, Quote
from fulfillment.couriers.selectors import rate_book, rate_input_for_order
from fulfillment.couriers.services.rates import build_options, with_live_quotes
from fulfillment.couriers.services.scorecard import scorecard
from fulfillment.models import Shipment
from fulfillment.shipments.services.booking import request_shipment
from lockers.parcels import Parcel
from lockers.services.options import Destination, home_options
from merchant.models import StoragePoint
from merchant.money import convert, format_money
from tests.factories.couriers import make_account, make_service, make_shipment
from tests.factories.orders import make_order

pytestmark = pytest.mark.django_db

NOON_UTC = dt.datetime(2025, 6, 3, 15, 0, tzinfo=dt.UTC)  # a Tuesday, 10:00 in Chicago
EUR_USD = {"EUR:USD": {"rate": "1.25", "source": "test table, 1 Jun 2025"}}


@pytest.fixture
def usd_shop(merchant_a):
    merchant = merchant_a.merchant
    merchant.currency, merchant.time_zone = "USD", "America/Chicago"
    merchant.save()
    return merchant


def test_a_rate_card_in_euros_is_refused_in_a_dollar_shop_without_a_rate(usd_shop, settings):
    settings.NEARBOX_FX_RATES = {}
    make_service(make_account(usd_shop, currency="EUR", name="Euro Co"), base_minor=800)
    order = make_order(usd_shop)

    [option] = build_options(rate_book(usd_shop), rate_input_for_order(order), NOON_UTC)

    assert not option.eligible
    assert "rate card in EUR, no rate to USD configured" in option.refusal
    assert option.currency == "USD" and option.price_text == "—"


def test_a_rate_card_in_euros_is_converted_at_the_stated_rate(usd_shop, settings):
    settings.NEARBOX_FX_RATES = EUR_USD
    make_service(make_account(usd_shop, currency="EUR", name="Euro Co"), base_minor=800)
    order = make_order(usd_shop)

    [option] = build_options(rate_book(usd_shop), rate_input_for_order(order), NOON_UTC)

    assert option.eligible and option.currency == "USD" and option.price_minor == 1000
    assert option.price_text == "$10.00"
    assert "€8.00 at 1.25 USD/EUR (test table, 1 Jun 2025)" in option.price_source


def _live(options, inp, quote: Quote, account):
    return with_live_quotes(
        options,
        inp,
        {account.pk: account},
        quote=lambda _account, _request: [quote],
        on_error=lambda *_: None,
    )


def test_a_live_quote_in_euros_keeps_the_rate_card_price_and_says_why_without_a_rate(
    usd_shop, settings
):
    settings.NEARBOX_FX_RATES = {}
    account = make_account(usd_shop, courier="sandbox", name="Sandbox")
    service = make_service(account, base_minor=700, code="next-day")
    inp = rate_input_for_order(make_order(usd_shop))
    quote = Quote("sandbox", service.code, "Next day", 1234, "EUR")

    [option] = _live(build_options(rate_book(usd_shop), inp, NOON_UTC), inp, quote, account)

    assert option.currency == "USD" and option.price_minor == 700
    assert "live quote refused: quote in EUR, no rate to USD configured" in option.price_source
    assert "€" not in option.price_text


def test_a_live_quote_in_euros_is_converted_with_its_window_in_the_merchants_zone(
    usd_shop, settings
):
    settings.NEARBOX_FX_RATES = EUR_USD
    account = make_account(usd_shop, courier="sandbox", name="Sandbox")
    service = make_service(account, base_minor=700, code="next-day")
    inp = rate_input_for_order(make_order(usd_shop))
    window = DeliveryWindow(
        dt.datetime(2025, 6, 4, 18, tzinfo=dt.UTC), dt.datetime(2025, 6, 4, 22, tzinfo=dt.UTC)
    )
    quote = Quote("sandbox", service.code, "Next day", 1000, "EUR", window)

    [option] = _live(build_options(rate_book(usd_shop), inp, NOON_UTC), inp, quote, account)

    assert option.currency == "USD" and option.price_minor == 1250
    assert option.price_source == "live quote, €10.00 at 1.25 USD/EUR (test table, 1 Jun 2025)"
    assert option.window.end == window.end and option.window.end.hour == 17  # 22:00 UTC in CDT


def test_a_shipment_from_a_converted_price_stores_dollars_and_the_rate(usd_shop, settings):
    settings.NEARBOX_FX_RATES = EUR_USD
    make_service(make_account(usd_shop, currency="EUR", name="Euro Co"), base_minor=800)
    order = make_order(usd_shop)

    shipment = request_shipment(merchant=usd_shop, order=order, now=NOON_UTC)

    assert (shipment.price_minor, shipment.currency) == (1000, "USD")
    assert shipment.why.endswith(
        "Price converted from €8.00 at 1.25 USD/EUR (test table, 1 Jun 2025)."
    )


def test_the_scorecard_cost_is_in_the_merchants_currency_whatever_the_parcels_were_priced_in(
    usd_shop, settings
):
    euro = make_shipment(usd_shop, price_minor=800, currency="EUR")
    Shipment.objects.create(
        merchant=usd_shop, order=euro.order, account=euro.account, service=euro.service,
        idempotency_key="usd-parcel", tracking_number="NBXUSD1", price_minor=500, currency="USD",
    )  # fmt: skip
    key = (euro.account_id, euro.service_id)

    settings.NEARBOX_FX_RATES = {}
    line = scorecard(usd_shop)[key]
    assert line.parcels == 2 and line.currency == "USD"
    assert line.cost_per_parcel_minor == 500  # the euro parcel is left out, and it says so
    assert "EUR, no rate to USD configured" in line.cost_note

    settings.NEARBOX_FX_RATES = EUR_USD
    line = scorecard(usd_shop)[key]
    assert line.cost_per_parcel_minor == 750  # ($10.00 + $5.00) / 2
    assert "converted from €8.00 at 1.25 USD/EUR" in line.cost_note


def test_checkout_home_options_are_priced_in_the_merchants_currency(usd_shop, settings):
    settings.NEARBOX_FX_RATES = EUR_USD
    make_service(make_account(usd_shop, currency="EUR", name="Euro Co"), base_minor=800)
    order = make_order(usd_shop)
    point = StoragePoint.objects.get(pk=rate_input_for_order(order).origin.point_id)

    [home] = home_options(
        usd_shop,
        Destination(latitude=41.9214, longitude=-87.6513, postal_code="60614"),
        Parcel(weight_g=500, length_mm=200, width_mm=150, height_mm=100),
        point=point,
        book=rate_book(usd_shop),
        now=NOON_UTC,
    )
    assert home["price"] == {"amount": 1000, "currency": "USD"}


def test_the_shipment_page_shows_an_old_euro_price_in_dollars_with_its_rate(
    usd_shop, client_a, settings
):
    shipment = make_shipment(usd_shop, price_minor=800, currency="EUR")

    settings.NEARBOX_FX_RATES = EUR_USD
    page = client_a.get(f"/app/couriers/shipments/{shipment.pk}/").content.decode()
    assert "<dd>$10.00 (€8.00 at 1.25 USD/EUR (test table, 1 Jun 2025))</dd>" in page

    settings.NEARBOX_FX_RATES = {}
    page = client_a.get(f"/app/couriers/shipments/{shipment.pk}/").content.decode()
    assert "<dd>not shown: amount in EUR, no rate to USD configured" in page


def test_the_money_filter_and_the_code_format_alike_and_round_half_even(settings):
    rendered = Template('{% load nearbox %}{{ v|money:"GBP" }}').render(Context({"v": -123456}))
    assert rendered == format_money(-123456, "GBP") == "-£1,234.56"
    assert format_money(None, "USD") == "—"
    assert convert(1, from_currency="EUR", to_currency="EUR").minor == 1

    settings.NEARBOX_FX_RATES = EUR_USD  # 1.25: 2 and 6 euro cents land on 2.5 and 7.5 cents
    assert convert(2, from_currency="EUR", to_currency="USD").minor == 2  # half-up would say 3
    assert convert(6, from_currency="EUR", to_currency="USD").minor == 8  # half-down would say 7


def test_the_inverse_pair_is_implied_and_named(settings):
    settings.NEARBOX_FX_RATES = EUR_USD
    converted = convert(1250, from_currency="USD", to_currency="EUR")
    assert converted.minor == 1000
    assert converted.note == "$12.50 at 0.8 EUR/USD (inverse of test table, 1 Jun 2025)"


def test_an_order_in_euros_is_shown_in_dollars_with_its_rate_and_its_lines_in_dollars(
    usd_shop, client_a, settings
):
    settings.NEARBOX_FX_RATES = EUR_USD
    order = make_order(usd_shop, currency="EUR", value=1000)

    detail = client_a.get(f"/app/orders/{order.pk}/").content.decode()
    assert "<dd>$12.50 (€10.00 at 1.25 USD/EUR (test table, 1 Jun 2025))</dd>" in detail
    line_value = order.lines.get().unit_value
    assert f'<td class="num">{format_money(line_value, "USD")}</td></tr>' in detail
    assert f'<td class="num">{format_money(line_value, "EUR")}</td>' not in detail
    listing = client_a.get("/app/orders/").content.decode()
    assert "$12.50 (€10.00 at 1.25 USD/EUR" in listing
