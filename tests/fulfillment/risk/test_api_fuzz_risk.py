"""Hostile generated requests (schemathesis, as tests/test_api_fuzz.py) to the address risk API and
the delivery-options API with its risk fields: every answer is below 500 and as documented."""

from __future__ import annotations

import logging
import warnings

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application

from tests.test_api_fuzz import Run, exercise_operation, runserver_strict, seed

OURS = ("/api/v1/address-risk", "/api/v1/delivery-options")


@pytest.mark.django_db
def test_generated_requests_to_the_risk_operations_answer_below_500_and_as_documented(
    merchant_a, settings, keep_connection, caplog
):
    caplog.set_level(logging.ERROR, logger="django.request")
    settings.NEARBOX_PUBLIC_RATE_LIMIT = 1_000_000
    ids = seed(merchant_a)
    headers = {
        "Authorization": f"Bearer {merchant_a.secret_key.raw}",
        "X-Nearbox-Key": merchant_a.publishable_key.raw,
    }
    app = runserver_strict(get_wsgi_application())
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [
        op
        for op in (r.ok() for r in schema.get_all_operations())
        if op.path.startswith(tuple(p.removeprefix("/api/v1") for p in OURS))
        or op.full_path.startswith(OURS)
    ]
    assert len(operations) >= 6, [op.label for op in operations]
    run = Run()
    for operation in operations:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exercise_operation(operation, ids, headers, run)()
    assert not run.failures, "\n".join(run.failures[:20])
    assert run.statuses["5xx"] == 0
    assert run.statuses["2xx"] > 0
