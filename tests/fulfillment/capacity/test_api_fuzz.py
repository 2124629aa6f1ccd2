"""schemathesis over the capacity operations only (the whole API's run is tests/test_api_fuzz.py):
generated requests, with real ids half of the time, never answer 5xx or outside the schema."""

import logging
import warnings

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application

from tests.factories.couriers import make_account
from tests.factories.merchant import make_point
from tests.test_api_fuzz import Run, _order_of_operations, exercise_operation, runserver_strict

from .conftest import demand
from .factories import make_pickup


@pytest.mark.django_db
def test_generated_requests_to_the_capacity_api_answer_below_500_and_as_documented(
    merchant_a, settings, keep_connection, caplog
):
    caplog.set_level(logging.ERROR, logger="django.request")
    merchant = merchant_a.merchant
    points = [make_point(merchant, postal_code=z) for z in ("60601", "60614")]
    accounts = [make_account(merchant), make_account(merchant)]
    pickups = [make_pickup(merchant, point=points[0], account=accounts[0])]
    demand(merchant, per_day=20, days=21)
    ids = {
        "point_id": [p.pk for p in points],
        "point": [p.pk for p in points],
        "account_id": [a.pk for a in accounts],
        "pickup_id": [p.pk for p in pickups],
    }
    headers = {"Authorization": f"Bearer {merchant_a.secret_key.raw}"}
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/openapi.json", runserver_strict(get_wsgi_application())
    )
    operations = sorted(
        (r.ok() for r in schema.get_all_operations() if "/capacity" in r.ok().path),
        key=_order_of_operations,
    )
    assert len(operations) == 6
    run = Run()
    for operation in operations:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exercise_operation(operation, ids, headers, run)()
    assert not run.failures, "\n".join(run.failures[:20])
    assert run.statuses["5xx"] == 0
    assert run.statuses["2xx"] > 0
