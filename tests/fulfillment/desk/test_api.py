"""POST /api/v1/ship-runs (order ids or a filter) and GET its state, with problems for bad input
and 404 for another merchant's run."""

from __future__ import annotations

import pytest

from fulfillment.desk.services import ship_runs
from fulfillment.desk.services.tags import set_order_tags
from fulfillment.models import ShipRun
from merchant.models import Job
from merchant.services.jobs import Progress
from tests.factories.couriers import make_account, make_service
from tests.factories.orders import make_order
from tests.fulfillment.desk.support import ready_orders, sandbox_account
from tests.support.couriers import sandbox  # noqa: F401  (fixture)


@pytest.mark.django_db
def test_a_run_started_by_ids_is_followed_to_its_files(merchant_a, api_client_a, sandbox):  # noqa: F811
    merchant = merchant_a.merchant
    sandbox_account(merchant, sandbox.url)
    orders = ready_orders(merchant, 2)
    response = api_client_a.post(
        "/api/v1/ship-runs", {"order_ids": [o.pk for o in orders]}, content_type="application/json"
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["state"] == "queued" and body["total"] == 2 and not body["pdf_ready"]
    assert api_client_a.get(f"/api/v1/ship-runs/{body['id']}/labels.pdf").status_code == 409

    run = ShipRun.objects.get(pk=body["id"])
    ship_runs.run_ship_run(run_id=run.pk, progress=Progress(Job.objects.get(pk=run.job_id)))
    Job.objects.filter(pk=run.job_id).update(state=Job.State.SUCCEEDED)
    body = api_client_a.get(f"/api/v1/ship-runs/{run.pk}").json()
    assert body["booked"] == 2 and body["pdf_ready"]
    assert all(item["tracking_number"] for item in body["items"])
    pdf = api_client_a.get(f"/api/v1/ship-runs/{run.pk}/labels.pdf")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    zpl = api_client_a.get(f"/api/v1/ship-runs/{run.pk}/labels.zpl")
    assert b"".join(zpl.streaming_content).count(b"^XA") == 2


@pytest.mark.django_db
def test_a_run_by_filter_takes_the_tagged_orders_with_one_service_for_all(merchant_a, api_client_a):
    merchant = merchant_a.merchant
    service = make_service(make_account(merchant))
    tagged, other = make_order(merchant), make_order(merchant)
    set_order_tags(order=tagged, tags="vip")
    response = api_client_a.post(
        "/api/v1/ship-runs",
        {"filter": {"tag": "VIP", "country": "US"}, "service_id": service.pk},
        content_type="application/json",
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert [i["order_id"] for i in body["items"]] == [tagged.pk]
    assert body["service_id"] == service.pk
    assert other.pk not in [i["order_id"] for i in body["items"]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "order_ids"),
        ({"order_ids": [1], "filter": {}}, "order_ids"),
        ({"order_ids": []}, "order_ids"),
        ({"order_ids": [999999999]}, "order_ids"),
        ({"filter": {"tag": "nothing-has-this"}}, "filter"),
        ({"filter": {"point_id": 999999999}}, "filter.point_id"),
        ({"order_ids": [1], "service_id": 999999999}, "service_id"),
        ({"filter": {"tag": "a\u0000b"}}, "filter.tag"),
        ({"order_ids": [True]}, "order_ids.0"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field(merchant_a, api_client_a, payload, field):
    response = api_client_a.post("/api/v1/ship-runs", payload, content_type="application/json")
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "invalid" and body["detail"]
    assert (body["field"] or "").startswith(field.split(".")[0])
    assert not ShipRun.objects.exists()


@pytest.mark.django_db
def test_another_merchants_orders_and_runs_are_not_found(merchant_a, merchant_b, api_client_a):
    theirs = make_order(merchant_b.merchant)
    run = ship_runs.start_ship_run(merchant=merchant_b.merchant, order_ids=[theirs.pk])
    assert api_client_a.get(f"/api/v1/ship-runs/{run.pk}").status_code == 404
    assert api_client_a.get(f"/api/v1/ship-runs/{run.pk}/labels.pdf").status_code == 404
    response = api_client_a.post(
        "/api/v1/ship-runs", {"order_ids": [theirs.pk]}, content_type="application/json"
    )
    assert response.status_code == 422
