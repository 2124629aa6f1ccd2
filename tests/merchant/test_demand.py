"""Demand history, import, demo history, the demand page and the demand API."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from demo.seeders.history import generate_demo_history
from merchant.demand.simulate import SPIKE_DAYS_AGO, chicago_areas
from merchant.models import DemandRecord
from merchant.selectors.demand import demand_overview
from merchant.services.demand import (
    DemandImportInvalid,
    import_demand_history,
    record_demand,
)
from merchant.services.stock import receive_stock
from tests.factories.merchant import make_point, make_product

pytestmark = pytest.mark.django_db


def today_for(merchant) -> dt.date:
    return timezone.localdate(timezone=ZoneInfo(merchant.time_zone))


def csv_file(text: str, *, bom: bool = False) -> io.BytesIO:
    return io.BytesIO((b"\xef\xbb\xbf" if bom else b"") + text.encode())


@pytest.fixture
def demo_a(merchant_a):
    products = [make_product(merchant_a.merchant, sku=f"CHI-{n}") for n in range(1, 6)]
    make_point(merchant_a.merchant, name="Lincoln Park room", postal_code="60614")
    make_point(merchant_a.merchant, name="South Loop unit", postal_code="60616")
    written = generate_demo_history(merchant=merchant_a.merchant, products=products)
    return merchant_a, products, written


# --- record_demand -------------------------------------------------------------------------


def test_record_demand_geocodes_the_zip_when_no_coordinates_are_given(merchant_a):
    record = record_demand(
        merchant=merchant_a.merchant, ordered_on=dt.date(2025, 3, 1), postal_code="60614", units=2
    )
    assert record.postal_code == "60614"
    assert record.latitude == pytest.approx(41.92, abs=0.05)
    assert record.longitude == pytest.approx(-87.65, abs=0.05)
    assert record.source == "order"


def test_record_demand_names_the_field_of_a_bad_zip_or_units(merchant_a):
    with pytest.raises(ValidationError) as bad_zip:
        record_demand(
            merchant=merchant_a.merchant, ordered_on=dt.date(2025, 3, 1), postal_code="6x", units=1
        )
    assert "postal_code" in bad_zip.value.message_dict
    with pytest.raises(ValidationError) as bad_units:
        record_demand(
            merchant=merchant_a.merchant,
            ordered_on=dt.date(2025, 3, 1),
            postal_code="60614",
            units=0,
        )
    assert "units" in bad_units.value.message_dict
    assert not DemandRecord.objects.for_merchant(merchant_a.merchant).exists()


def test_record_demand_refuses_another_merchants_product(merchant_a, merchant_b):
    foreign = make_product(merchant_b.merchant)
    with pytest.raises(ValidationError) as error:
        record_demand(
            merchant=merchant_a.merchant,
            ordered_on=dt.date(2025, 3, 1),
            postal_code="60614",
            units=1,
            product=foreign,
        )
    assert "product" in error.value.message_dict


# --- CSV import ----------------------------------------------------------------------------


def test_import_writes_every_row_with_its_product_and_coordinates(merchant_a):
    make_product(merchant_a.merchant, sku="SKU-123")
    report = import_demand_history(
        merchant=merchant_a.merchant,
        file=csv_file(
            "date,postal_code,sku,units\n2025-01-03,60614,SKU-123,2\n2025-01-04,60616,,1\n",
            bom=True,
        ),
        filename="shopify.csv",
    )
    assert (report.rows, report.created, report.postal_codes) == (2, 2, 2)
    records = DemandRecord.objects.for_merchant(merchant_a.merchant).order_by("ordered_on")
    assert [(r.postal_code, r.units, r.source) for r in records] == [
        ("60614", 2, "import"),
        ("60616", 1, "import"),
    ]
    assert records[0].product.sku == "SKU-123"
    assert records[1].product is None
    assert records[1].latitude == pytest.approx(41.84, abs=0.05)


def test_import_with_errors_writes_nothing_and_names_line_and_column(merchant_a):
    make_product(merchant_a.merchant, sku="SKU-123")
    text = (
        "date,postal_code,sku,units\n"
        "2025-01-03,60614,SKU-123,2\n"
        "03/01/2025,60614,SKU-123,1\n"
        "2025-01-05,ABCDE,,1\n"
        "2025-01-06,60614,NOPE,1\n"
        "2025-01-07,60614,,zero\n"
    )
    with pytest.raises(DemandImportInvalid) as error:
        import_demand_history(merchant=merchant_a.merchant, file=csv_file(text), filename="h.csv")
    where = [(e.line, e.column) for e in error.value.errors]
    assert where == [(3, "date"), (4, "postal_code"), (5, "sku"), (6, "units")]
    assert "Line 5, column sku" in error.value.messages[2]
    assert not DemandRecord.objects.for_merchant(merchant_a.merchant).exists()


def test_import_refuses_a_file_without_the_required_columns(merchant_a):
    with pytest.raises(DemandImportInvalid) as error:
        import_demand_history(
            merchant=merchant_a.merchant, file=csv_file("day,zip\n2025-01-01,60614\n"), filename="x"
        )
    assert "date, postal_code, units" in error.value.errors[0].message


def test_reimporting_the_same_file_adds_nothing(merchant_a):
    text = "date,postal_code,sku,units\n2025-01-03,60614,,2\n2025-01-04,60614,,1\n"
    first = import_demand_history(
        merchant=merchant_a.merchant, file=csv_file(text), filename="a.csv"
    )
    again = import_demand_history(
        merchant=merchant_a.merchant, file=csv_file(text, bom=True), filename="renamed.csv"
    )
    assert (first.created, again.created, again.already_imported) == (2, 0, 2)
    assert DemandRecord.objects.for_merchant(merchant_a.merchant).count() == 2


# --- demo history --------------------------------------------------------------------------


def test_demo_history_is_written_once_with_weekly_seasonality_and_one_sale(demo_a):
    new, products, written = demo_a
    merchant = new.merchant
    assert 3500 <= written <= 4500
    assert generate_demo_history(merchant=merchant, products=products) == 0
    records = DemandRecord.objects.for_merchant(merchant)
    assert records.count() == written
    chicago = {a.postal_code for a in chicago_areas()}
    assert set(records.values_list("postal_code", flat=True)) <= chicago
    assert set(records.values_list("product__sku", flat=True)) <= {p.sku for p in products}

    by_weekday: dict[int, list[int]] = {}
    counts: dict[dt.date, int] = {}
    for day in records.values_list("ordered_on", flat=True):
        counts[day] = counts.get(day, 0) + 1
    for day, n in counts.items():
        by_weekday.setdefault(day.weekday(), []).append(n)
    saturday, tuesday = (sum(by_weekday[d]) / len(by_weekday[d]) for d in (5, 1))
    assert saturday > tuesday

    overview = demand_overview(merchant)
    flagged = {(today_for(merchant) - s["day"]).days for s in overview["spikes"]}
    assert flagged and flagged <= set(SPIKE_DAYS_AGO)


# --- page ----------------------------------------------------------------------------------


def test_demand_page_without_history_says_what_to_do(client_a):
    response = client_a.get(reverse("demand"))
    assert response.status_code == 200
    assert "Import your order history or wait for orders" in response.content.decode()
    assert "<svg" not in response.content.decode()


def test_demand_page_shows_chart_forecast_spikes_areas_and_advice(demo_a, client_a):
    new, products, _ = demo_a
    receive_stock(
        merchant=new.merchant,
        product=products[0],
        point=make_point(new.merchant, name="Logan Square", postal_code="60647"),
        quantity=3,
    )
    response = client_a.get(reverse("demand"))
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["nav_active"] == "demand"
    assert '<svg viewBox="0 0 760 260"' in html
    assert '<title id="demand-chart-title">' in html and '<desc id="demand-chart-desc">' in html
    assert 'class="forecast-band"' in html and 'class="forecast-mean"' in html
    assert 'class="spike"' in html
    assert "Forecast, next 28 days" in html
    advice = response.context["overview"]["advice"]
    assert advice, "a year of demo demand with busy Saturdays should give advice"
    assert advice[0]["text"].startswith("Expect ")
    assert "above a normal" in advice[0]["text"] and "book courier capacity" in advice[0]["text"]
    assert advice[0]["text"] in html
    assert "60614" in html  # a busy North Side ZIP in the areas table


def test_page_import_reports_line_errors_and_writes_nothing(client_a, merchant_a):
    upload = SimpleUploadedFile(
        "orders.csv", b"date,postal_code,sku,units\n2025-01-03,60614,,2\n2025-01-04,60614,,-1\n"
    )
    response = client_a.post(reverse("demand_import"), {"file": upload})
    assert response.status_code == 422
    assert "Line 3, column units" in response.content.decode()
    assert not DemandRecord.objects.for_merchant(merchant_a.merchant).exists()


def test_page_import_of_a_good_file_redirects_with_a_summary(client_a, merchant_a):
    upload = SimpleUploadedFile("orders.csv", b"date,postal_code,units\n2025-01-03,60614,2\n")
    response = client_a.post(reverse("demand_import"), {"file": upload}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("demand")
    assert "Imported 1 orders" in response.content.decode()
    assert DemandRecord.objects.for_merchant(merchant_a.merchant).count() == 1


# --- API -----------------------------------------------------------------------------------


def test_api_forecast_returns_daily_mean_and_band(demo_a, api_client_a):
    response = api_client_a.get("/api/v1/demand/forecast", {"area": "606xx", "horizon": 14})
    assert response.status_code == 200
    body = response.json()
    assert body["area"] == "606xx" and body["method"] == "holt-winters × share"
    assert len(body["days"]) == 14
    assert body["days"][0]["date"] == today_for(demo_a[0].merchant).isoformat()
    assert all(d["lower"] <= d["mean"] <= d["upper"] for d in body["days"])
    assert sum(d["mean"] for d in body["days"]) > 100


def test_api_history_aggregates_by_day(demo_a, api_client_a):
    body = api_client_a.get("/api/v1/demand/history", {"days": 90}).json()
    assert len(body["days"]) == 90
    start = today_for(demo_a[0].merchant) - dt.timedelta(days=90)
    expected = DemandRecord.objects.for_merchant(demo_a[0].merchant).filter(ordered_on__gte=start)
    assert sum(d["orders"] for d in body["days"]) == expected.count()


def test_api_refuses_a_bad_area_naming_the_field(api_client_a):
    response = api_client_a.get("/api/v1/demand/forecast", {"area": "Chicago"})
    assert response.status_code == 422
    assert response.json()["field"] == "area"


# --- isolation -----------------------------------------------------------------------------


def test_another_merchants_demand_never_appears(demo_a, make_merchant):
    from django.test import Client

    other = make_merchant("Shop C")
    record_demand(
        merchant=other.merchant,
        ordered_on=today_for(other.merchant) - dt.timedelta(days=2),
        postal_code="60614",
        units=1,
    )
    api = Client(headers={"Authorization": f"Bearer {other.secret_key.raw}"})
    body = api.get("/api/v1/demand/history", {"days": 30}).json()
    assert sum(d["orders"] for d in body["days"]) == 1
    page = Client()
    page.force_login(other.owner)
    html = page.get(reverse("demand")).content.decode()
    assert "CHI-1" not in html and "Lincoln Park room" not in html
    assert demand_overview(other.merchant)["last_week"] == 1
