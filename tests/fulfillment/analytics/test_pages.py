"""The Analytics page through the Django client: the figures of a known history with their
change against the previous period, filters that narrow them, the ZIP map's rows, htmx
fragments with the URL of their filters, bad filters as form errors (never a 500), markup
escaped, tenant isolation and a query count that does not grow with the history."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zoneinfo
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fulfillment.analytics.services.rollups import rebuild
from fulfillment.models import (
    AnalyticsDirtyDay,
    AnalyticsDirtyOrder,
    Order,
    Shipment,
    ShipmentEvent,
)
from fulfillment.orders.services.orders import create_order
from merchant.models.demand import PlacementPlan
from tests.factories.couriers import make_account, make_service
from tests.factories.merchant import make_point, make_product
from tests.factories.orders import order_data, stock
from tests.support.helpers import signed_in_client

pytestmark = pytest.mark.django_db

# The period the tests look at and the one before it (14 days each).
START, END = dt.date(2026, 3, 15), dt.date(2026, 3, 28)
PREVIOUS = dt.date(2026, 3, 1)
PERIOD = f"date_from={START}&date_to={END}"


@dataclass
class History:
    swift: object  # a CourierAccount
    metro: object
    point: object


def _at(merchant, day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), zoneinfo.ZoneInfo(merchant.time_zone))


def place_order(
    merchant,
    point,
    product,
    *,
    day: dt.date,
    zip_code: str = "60614",
    account=None,
    price: int = 500,
    delivered_after: int | None = 1,
    failed: int = 0,
) -> Order:
    """An order created on local `day`, booked with `account` at `price` (minor units) and
    delivered `delivered_after` days later (None: not delivered) after `failed` failed
    attempts; created through the service, then moved to its day."""
    order, _ = create_order(
        merchant=merchant,
        data=order_data(
            (product.sku, 1),
            destination={"postal_code": zip_code},
            value=10_000,
        ),
    )
    created = _at(merchant, day)
    Order.objects.filter(pk=order.pk).update(created_at=created)
    if account is not None:
        service = account.services.first()
        shipment = Shipment.objects.create(
            merchant=merchant,
            order=order,
            account=account,
            service=service,
            idempotency_key=f"page-{order.pk}",
            tracking_number=f"NBXPAGE{order.pk:05d}",
            price_minor=price,
            currency=merchant.currency,
            status="delivered" if delivered_after is not None else "in_transit",
            booked_at=created,
            delivered_at=created + dt.timedelta(days=delivered_after)
            if delivered_after is not None
            else None,
        )
        for n in range(failed):
            ShipmentEvent.objects.create(
                merchant=merchant,
                shipment=shipment,
                event_id=f"fail-{n}",
                status="failed_attempt",
                occurred_at=created + dt.timedelta(hours=20 + n),
                reason_code="not_home",
                source="courier",
            )
    return order


def seed_history(merchant) -> History:
    """This period: 4 orders (3 booked: Swift $5 and $7 to 60614, Metro $9 to 60601 after two
    failed attempts; one not shipped). Previous period: 2 orders booked with Swift at $5."""
    point = make_point(merchant, name="Loop hub", postal_code="60601")
    product = make_product(merchant)
    stock(merchant, point, product, 100)
    swift = make_account(merchant, name="Swift Couriers")
    make_service(swift)
    metro = make_account(merchant, name="Metro Post")
    make_service(metro)
    place_order(merchant, point, product, day=START, account=swift, price=500)
    place_order(
        merchant, point, product, day=START + dt.timedelta(days=3), account=swift, price=700
    )
    place_order(
        merchant,
        point,
        product,
        day=START + dt.timedelta(days=5),
        zip_code="60601",
        account=metro,
        price=900,
        delivered_after=3,
        failed=2,
    )
    place_order(merchant, point, product, day=END)
    for n in range(2):
        place_order(merchant, point, product, day=PREVIOUS + dt.timedelta(days=n), account=swift)
    rebuild(merchant=merchant)
    AnalyticsDirtyDay.objects.filter(merchant=merchant).delete()  # the rebuild covered them
    return History(swift=swift, metro=metro, point=point)


def figure_row(html: str, name: str) -> list[str]:
    """The cells of a figure's row in its section's table: this period, previous, change."""
    row = re.search(rf'<tr data-figure="{name}">(.*?)</tr>', html, re.S)
    assert row, f"no row for {name}"
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    return [re.sub(r"<[^>]+>", "", c).split("(")[0].strip() for c in cells]


@pytest.fixture
def history(merchant_a) -> History:
    return seed_history(merchant_a.merchant)


@pytest.mark.sqlite  # the page of `make run`
def test_page_shows_each_figure_against_the_previous_period(client_a, history):
    response = client_a.get(f"/app/analytics/?{PERIOD}")
    assert response.status_code == 200
    html = response.content.decode()
    assert figure_row(html, "orders") == ["4", "2", "▲ +100%"]
    assert figure_row(html, "label_spend_minor") == ["$21.00", "$10.00", "▲ +110%"]
    # $21 over 4 orders; the previous period $10 over 2.
    assert figure_row(html, "cost_per_order_minor")[:2] == ["$5.25", "$5.00"]
    assert figure_row(html, "failed_attempts")[:2] == ["2", "0"]
    # Two of three delivered parcels came at the first attempt.
    assert figure_row(html, "first_attempt_share")[:2] == ["66.7%", "100.0%"]
    assert "Mar 15, 2026 – Mar 28, 2026" in html
    assert "compared with Mar 1, 2026 – Mar 14, 2026" in html
    # The cost section's trend lines: this period and the previous one, day by day.
    assert html.count('class="trend-previous"') >= 1
    assert 'data-breakdown="cost-by-courier"' in html


def test_comparison_can_be_switched_off(client_a, history):
    html = client_a.get(f"/app/analytics/?{PERIOD}&compare=none").content.decode()
    assert figure_row(html, "orders") == ["4"]
    assert "trend-previous" not in html
    assert "compared with" not in html


def test_a_courier_filter_narrows_every_figure(client_a, history):
    html = client_a.get(f"/app/analytics/?{PERIOD}&carrier={history.metro.pk}").content.decode()
    assert figure_row(html, "orders")[:2] == ["1", "0"]
    assert figure_row(html, "label_spend_minor")[:2] == ["$9.00", "$0.00"]
    assert figure_row(html, "failed_attempts")[0] == "2"


def test_zip_map_has_the_failure_rate_at_each_zip_centroid(client_a, history):
    html = client_a.get(f"/app/analytics/?{PERIOD}").content.decode()
    data = re.search(
        r'<script id="analytics-map-data" type="application/json">(.*?)</script>', html
    )
    points = {p["zip"]: p for p in json.loads(data.group(1))}
    # 60601: two failed attempts, then delivered: 2 of 3 attempts failed.
    assert points["60601"]["failed"] == 2 and points["60601"]["attempts"] == 3
    assert points["60614"]["rate"] == 0
    assert 41.8 < points["60601"]["lat"] < 41.9
    table = re.search(r'<table class="table" id="zip-table">(.*?)</table>', html, re.S).group(1)
    assert table.index("60601") < table.index("60614")  # worst first
    assert "66.7%" in table


def test_delivery_days_histogram_counts_parcels_by_days(client_a, history):
    html = client_a.get(f"/app/analytics/?{PERIOD}").content.decode()
    hist = re.search(r'data-histogram="hist-order-to-delivery".*?<tbody>(.*?)</tbody>', html, re.S)
    rows = dict(
        re.findall(r'<th scope="row">(\w+\+?)</th><td class="num">(\d+)</td>', hist.group(1))
    )
    assert rows["1"] == "2" and rows["3"] == "1" and rows["0"] == "0"


def test_htmx_gets_the_fragment_and_the_url_of_its_filters(client_a, history):
    response = client_a.get(
        f"/app/analytics/?{PERIOD}&zip=606-14&channel=", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and 'id="analytics-body"' in html
    assert response["HX-Push-Url"] == f"/app/analytics/?{PERIOD}&zip=60614"
    assert figure_row(html, "orders")[0] == "3"  # the 60601 order is left out


def test_a_preset_sets_the_period_ending_today(client_a, merchant_a):
    html = client_a.get("/app/analytics/?preset=7&date_from=2020-01-01").content.decode()
    today = dt.datetime.now(zoneinfo.ZoneInfo(merchant_a.merchant.time_zone)).date()
    week_ago = today - dt.timedelta(days=6)
    assert f'value="{week_ago}"' in html and f'value="{today}"' in html
    assert re.search(r'aria-current="true"[^>]*>Last 7 days<', html)


def test_no_orders_yet_shows_what_to_do(client_a):
    html = client_a.get("/app/analytics/").content.decode()
    assert "No orders in this period yet" in html and "Ship some orders" in html
    assert "analytics-map-data" not in html


HOSTILE = [
    ("date_from=2026-02-30", "date_from", "YYYY-MM-DD"),
    ("date_from=2026-03-10&date_to=2026-03-01", "date_to", "before the start"),
    ("date_from=2020-01-01&date_to=2026-01-01", "date_to", "at most 400 days"),
    ("date_from=99999-01-01", "date_from", "YYYY-MM-DD"),
    ("point_id=99999999999999999999999", "point_id", "whole number"),
    ("point_id=-1", "point_id", "whole number"),
    ("carrier=fedex", "carrier", "courier account id"),
    ("service_id=%EF%BC%91", "service_id", "whole number"),  # a full-width digit one
    ("zip=%3Cscript%3E", "zip", "ZIP code"),
    ("zip=60614%00", "zip", "NUL"),
    ("zip=%ED%A0%80", "zip", "ZIP code"),  # a lone surrogate, as UTF-8 bytes
    ("channel=fax", "channel", "Expected one of"),
    ("compare=maybe", "compare", "valid choice"),
    ("date_to=" + "9" * 5000, "date_to", "Too long"),
]


@pytest.mark.parametrize(("query", "field", "words"), HOSTILE)
def test_a_bad_filter_is_a_form_error_on_its_field(client_a, query, field, words):
    response = client_a.get(f"/app/analytics/?{query}")
    assert response.status_code == 400
    html = response.content.decode()
    error = re.search(rf'id="id_{field}_error"[^>]*>(.*?)</ul>', html, re.S)
    assert error and words in error.group(1), html[:0]
    assert "<script>" not in html.split("</form>")[0].split("<form")[1]
    htmx = client_a.get(f"/app/analytics/?{query}", headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and htmx["HX-Push-Url"] == "false"
    assert words in htmx.content.decode()


def test_another_merchants_point_or_courier_is_unknown_and_their_figures_never_show(
    history, merchant_a, merchant_b
):
    client_b = signed_in_client(merchant_b)
    html = client_b.get(f"/app/analytics/?{PERIOD}").content.decode()
    assert "No orders in this period yet" in html
    assert "Swift Couriers" not in html and "Loop hub" not in html
    for query in (f"point_id={history.point.pk}", f"carrier={history.swift.pk}"):
        response = client_b.get(f"/app/analytics/?{PERIOD}&{query}")
        assert response.status_code == 400
        assert b"No such" in response.content
        export = client_b.get(f"/app/analytics/export.csv?{PERIOD}&{query}")
        assert export.status_code == 400 and b"No such" in export.content


def test_names_people_typed_are_escaped(client_a, merchant_a):
    merchant = merchant_a.merchant
    point = make_point(merchant, name="<img src=x onerror=alert(1)>")
    product = make_product(merchant)
    stock(merchant, point, product, 5)
    account = make_account(merchant, name="<script>alert('courier')</script>")
    make_service(account)
    place_order(merchant, point, product, day=START, account=account)
    rebuild(merchant=merchant)
    html = client_a.get(f"/app/analytics/?{PERIOD}").content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#x27;courier&#x27;)" in html


def test_the_page_reads_the_same_number_of_queries_whatever_the_history(client_a, merchant_a):
    merchant = merchant_a.merchant
    point = make_point(merchant, postal_code="60601")
    product = make_product(merchant)
    stock(merchant, point, product, 100)
    account = make_account(merchant, name="Swift")
    make_service(account)

    def queries() -> int:
        rebuild(merchant=merchant)
        with CaptureQueriesContext(connection) as captured:
            assert client_a.get(f"/app/analytics/?{PERIOD}").status_code == 200
        return len(captured)

    place_order(merchant, point, product, day=START, account=account)
    few = queries()
    for n in range(8):
        place_order(
            merchant,
            point,
            product,
            day=START + dt.timedelta(days=n),
            zip_code=("60614", "60601", "60657", "60622")[n % 4],
            account=account,
        )
    assert queries() == few


def test_signed_out_people_are_sent_to_sign_in():
    response = Client().get("/app/analytics/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_nav_leads_to_the_page_and_the_placeholder_is_gone(client_a):
    html = client_a.get("/app/").content.decode()
    assert 'href="/app/analytics/"' in html
    assert client_a.get("/app/area/analytics/").status_code == 404


def test_an_accepted_placement_plan_shows_its_before_and_after(client_a, merchant_a, history):
    merchant = merchant_a.merchant
    plan = PlacementPlan.objects.create(
        merchant=merchant,
        status=PlacementPlan.Status.ACCEPTED,
        accepted_at=_at(merchant, START - dt.timedelta(days=1)),
    )
    html = client_a.get(f"/app/analytics/?{PERIOD}").content.decode()
    effect = re.search(rf"Effect of placement plan {plan.pk}</h3>(.*?)</table>", html, re.S)
    assert effect, "no placement effect table"
    # 14 days after: all four orders of the period were allocated to the nearest point.
    row = re.search(r"Orders allocated to a point</th>(.*?)</tr>", effect.group(1), re.S)
    assert re.findall(r'<td class="num[^"]*">([^<]*)', row.group(1))[:2] == ["2", "4"]


def test_the_export_link_downloads_the_csv_of_the_page_filters(client_a, history):
    html = client_a.get(f"/app/analytics/?{PERIOD}&carrier={history.swift.pk}").content.decode()
    link = re.search(r'id="analytics-export" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert f"carrier={history.swift.pk}" in link and f"date_from={START}" in link
    response = client_a.get(link)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 14
    assert sum(int(r["orders"]) for r in rows) == int(figure_row(html, "orders")[0]) == 2
    assert client_a.get("/app/analytics/export.csv?date_from=nope").status_code == 400


def test_past_92_days_the_daily_numbers_are_left_to_the_csv(client_a, history):
    html = client_a.get("/app/analytics/?date_from=2026-01-01&date_to=2026-04-30").content.decode()
    assert figure_row(html, "orders")[0] == "6"
    assert "per day (the numbers of the charts)" not in html
    assert html.count("are in the CSV (") == 4  # one note a section, linking the export
    html = client_a.get(f"/app/analytics/?{PERIOD}").content.decode()
    assert html.count("per day (the numbers of the charts)") == 4


def test_orders_waiting_for_the_fold_show_the_updating_hint(client_a, history, merchant_a):
    html = client_a.get(f"/app/analytics/?{PERIOD}").content.decode()
    assert "still being counted" not in html
    order = Order.objects.for_merchant(merchant_a.merchant).first()
    AnalyticsDirtyOrder.objects.create(
        merchant=merchant_a.merchant, order_id=order.pk, marked_at=order.created_at
    )
    html = client_a.get(f"/app/analytics/?{PERIOD}").content.decode()
    assert "Updating: 1 recent change still being counted." in html
