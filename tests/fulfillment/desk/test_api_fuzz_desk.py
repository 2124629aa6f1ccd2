"""The ship runs and order tags operations under schemathesis alone (the whole API's fuzz test,
tests/test_api_fuzz.py, covers them too, over every operation): below 500 and as documented."""

from __future__ import annotations

import logging
import warnings

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application

from tests.test_api_fuzz import Run, exercise_operation, runserver_strict, seed


@pytest.mark.django_db
def test_generated_requests_to_ship_runs_and_tags_answer_below_500(
    merchant_a, settings, keep_connection, caplog
):
    caplog.set_level(logging.ERROR, logger="django.request")
    ids = seed(merchant_a)
    headers = {"Authorization": f"Bearer {merchant_a.secret_key.raw}"}
    app = runserver_strict(get_wsgi_application())
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [
        op.ok()
        for op in schema.get_all_operations()
        if "/ship-runs" in op.ok().path or op.ok().path.endswith("/tags")
    ]
    assert len(operations) == 5
    run = Run()
    for operation in operations:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exercise_operation(operation, ids, headers, run)()
    assert not run.failures, "\n".join(run.failures[:40])
    assert run.statuses["5xx"] == 0
    assert run.statuses["2xx"] > 0
