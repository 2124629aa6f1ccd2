"""schemathesis over /api/v1/openapi.json against the real WSGI app on PostgreSQL: generated
requests to every operation, with the secret key and the publishable key, about a merchant with
products, stock, points, orders, shipments, transfers and lockers. No answer may be a 5xx or
differ from the documented schema.

The app runs behind `wsgiref.validate`, which refuses what runserver refuses (a header value
that is not a `str`): a response gunicorn tolerates fails here too. Generation is derandomized
(the same requests on every run) and capped per operation, so the run time stays bounded.
"""

from __future__ import annotations

import logging
import warnings
from collections import Counter
from dataclasses import dataclass, field
from wsgiref.headers import Headers

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from fulfillment.models import CheckoutRule, CourierRule, Order
from fulfillment.models.returns import ReturnRequest
from lockers.parcels import parcel_from_dims
from lockers.services import reservations
from merchant.services.transfers import create_transfer
from tests.factories.couriers import make_shipment
from tests.factories.lockers import make_bank, make_shop
from tests.factories.merchant import make_point, make_product
from tests.factories.orders import order_data, stock
from tests.fulfillment.fleet.admin.factories import make_fleet_service, make_shift
from tests.fulfillment.fleet.plans.factories import make_plan_with_stop
from tests.fulfillment.returns.factories import make_return

EXAMPLES_PER_OPERATION = 30  # x 47 operations: about 1,400 requests, a few minutes
MIN_REQUESTS = 1000
CHECKS = [not_a_server_error, response_schema_conformance]
settings_for_fuzzing = hypothesis_settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@dataclass
class Run:
    requests: int = 0
    per_operation: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


def seed(new) -> dict[str, list]:
    """Realistic data, so generated requests with real ids reach the services."""
    from fulfillment.orders.services.orders import create_order

    merchant = new.merchant
    points = [make_point(merchant, postal_code=zip_) for zip_ in ("60601", "60614", "60622")]
    products = [make_product(merchant) for _ in range(4)]
    for point in points:
        for product in products:
            stock(merchant, point, product, 500)
    orders = [
        create_order(merchant=merchant, data=order_data((products[n % 4].sku, 1 + n % 3)))[0]
        for n in range(6)
    ]
    shipments = [make_shipment(merchant, order=order) for order in orders[:3]]
    transfer = create_transfer(
        merchant=merchant, from_point=points[0], to_point=points[1], lines=[(products[0], 2)]
    )
    banks = [make_bank(merchant), make_bank(merchant)]
    shops = [make_shop(merchant)]
    hold = reservations.reserve_compartment(
        bank=banks[0],
        parcel=parcel_from_dims(weight_g=500, length_mm=100, width_mm=100, height_mm=50),
    )
    checkout_rule = CheckoutRule.objects.create(merchant=merchant, name="Hide", action="hide")
    courier_rule = CourierRule.objects.create(merchant=merchant, name="Any", point=points[0])
    returns = [make_return(merchant), make_return(merchant)]
    ReturnRequest.objects.filter(pk=returns[1].pk).update(state="requested")  # to decide
    fleet_shift = make_shift(merchant, hub=points[0])  # own fleet (#16): driver, vehicle, shift
    fleet_service = make_fleet_service(merchant, hub=points[0])
    fleet_stop = make_plan_with_stop(merchant)  # a ready plan with a route and a stop
    return {
        "route_plan_id": [fleet_stop.plan_id],
        "stop_id": [fleet_stop.pk],
        "route_id": [fleet_stop.route_id],
        "driver_id": [fleet_shift.driver_id],
        "vehicle_id": [fleet_shift.vehicle_id],
        "shift_id": [fleet_shift.pk],
        "fleet_service_id": [fleet_service.pk],
        "return_id": [r.pk for r in returns],
        "checkout_rule_id": [checkout_rule.pk],
        "courier_rule_id": [courier_rule.pk],
        "point_id": [p.pk for p in points],
        "product_id": [p.pk for p in products],
        "order_id": [o.pk for o in orders],
        "shipment_id": [s.pk for s in shipments],
        "transfer_id": [transfer.pk],
        "bank_id": [b.pk for b in banks],
        "compartment_id": [c.pk for b in banks for c in b.compartments.all()],
        "shop_id": [s.pk for s in shops],
        "reservation_id": [hold.pk],
        "token": [hold.token],
        "sku": [p.sku for p in products],
    }


def _real_ids(case, ids: dict[str, list], draw) -> None:
    """Point some generated ids at real rows, wherever they are (path, query, body)."""
    for name in list(case.path_parameters or {}):
        if name in ids:
            case.path_parameters[name] = draw(st.sampled_from(ids[name]))
    for name in list(case.query or {}):
        if name in ids:
            case.query[name] = draw(st.sampled_from(ids[name]))
    if isinstance(case.body, dict):
        for name in list(case.body):
            if name in ids:
                case.body[name] = draw(st.sampled_from(ids[name]))


def exercise_operation(operation, ids: dict[str, list], headers: dict[str, str], run: Run):
    @given(case=operation.as_strategy(), real=st.booleans(), data=st.data())
    @settings_for_fuzzing
    def exercise(case, real, data):
        if real:
            _real_ids(case, ids, data.draw)
        run.requests += 1
        try:
            response = case.call(headers=headers)
        except AssertionError as refused:  # runserver would have answered 500
            run.failures.append(f"{operation.label} -> {refused}")
            return
        run.per_operation[operation.label] += 1
        run.statuses[f"{response.status_code // 100}xx"] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except Exception as failure:  # collected: one report for every operation
            first = str(failure).strip().splitlines()[:8]
            run.failures.append(
                f"{operation.label} -> {response.status_code}: {' | '.join(first)}\n"
                f"    {case.as_curl_command(headers=headers)[:600]}"
            )

    return exercise


def runserver_strict(app):
    """The app with runserver's header rule: wsgiref's `Headers` refuses any name or value
    that is not exactly a `str` (gunicorn lets an enum member through)."""

    def strict(environ, start_response):
        def checked_start_response(status, headers, exc_info=None):
            Headers(list(headers))  # AssertionError, as under runserver
            return start_response(status, headers, exc_info)

        return app(environ, checked_start_response)

    return strict


def _order_of_operations(operation) -> tuple[int, str]:
    # Deleting and cancelling last, so the other operations still find the seeded rows.
    late = operation.method.upper() == "DELETE" or operation.path.endswith(("/cancel", "/void"))
    return (1 if late else 0, operation.label)


@pytest.mark.django_db
def test_generated_requests_to_every_operation_answer_below_500_and_as_documented(
    merchant_a, settings, keep_connection, caplog
):
    caplog.set_level(logging.ERROR, logger="django.request")  # 4xx are expected, 5xx still logged
    settings.NEARBOX_PUBLIC_RATE_LIMIT = 1_000_000  # the limiter is tested elsewhere
    ids = seed(merchant_a)
    headers = {
        "Authorization": f"Bearer {merchant_a.secret_key.raw}",
        "X-Nearbox-Key": merchant_a.publishable_key.raw,
    }
    app = runserver_strict(get_wsgi_application())
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = sorted((r.ok() for r in schema.get_all_operations()), key=_order_of_operations)
    run = Run()

    for operation in operations:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # hypothesis notes on nested @given
            exercise_operation(operation, ids, headers, run)()

    print(
        f"\nschemathesis: {run.requests} requests over {len(run.per_operation)} operations; "
        f"answers by class {dict(sorted(run.statuses.items()))}; {len(run.failures)} failures"
    )
    assert not run.failures, "\n".join(run.failures[:40])
    assert run.requests >= MIN_REQUESTS
    assert set(run.per_operation) == {op.label for op in operations}
    assert run.statuses["5xx"] == 0
    assert run.statuses["2xx"] >= run.requests // 5  # the seeded rows are reached
    assert Order.objects.filter(merchant=merchant_a.merchant).count() >= len(ids["order_id"])


def test_the_checks_refuse_an_answer_outside_the_documented_schema():
    """So that 0 failures above means something: a wrong type, and a time documented as RFC
    3339 `format: time` (which demands an offset) but sent as 23:59:00, both fail."""
    import json

    import requests

    from config.api import api

    service = {
        "id": 1,
        "level": "next_day",
        "code": "nd",
        "name": "Next day",
        "transit_hours": 24,
        "pickup_cutoff": "23:59:00",
        "is_active": True,
    }
    account = {"id": 1, "courier": "manual", "name": "Courier", "credentials_hint": "…1234",
               "base_url": "", "is_active": True, "last_error": "", "last_error_at": None,
               "services": [service], "areas": []}  # fmt: skip
    request = requests.Request("GET", "http://localhost/api/v1/couriers").prepare()

    def verdict(document: dict, body: object) -> bool:
        operation = schemathesis.openapi.from_dict(document)["/api/v1/couriers"]["GET"]
        answer = schemathesis.Response(
            200,
            {"content-type": ["application/json"]},
            json.dumps(body).encode(),
            request,
            0.0,
            True,
        )
        try:
            operation.Case().validate_response(answer, checks=CHECKS)
        except BaseException:  # schemathesis raises a FailureGroup
            return False
        return True

    document = api.get_openapi_schema()
    assert verdict(document, [account])
    assert not verdict(document, [{**account, "id": "one"}])
    lying = json.loads(json.dumps(document))
    lying["components"]["schemas"]["ServiceOut"]["properties"]["pickup_cutoff"] = {
        "type": "string",
        "format": "time",
    }
    assert not verdict(lying, [account])
