"""Error reporting starts only when SENTRY_DSN is set, and sends no personal data."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import sentry_sdk

from config.observability.sentry import drop_user, init_sentry
from tests.support.helpers import ROOT

PROBE = """
import json, django, sentry_sdk
django.setup()
client = sentry_sdk.get_client()
event = {
    "request": {"headers": {"Authorization": "Bearer sk_live_1", "X-Api-Key": "k"},
                "cookies": {"sessionid": "s"}, "data": {"email": "ann@example.com"}},
    "extra": {"order": {"recipient_name": "Ann", "address1": "1 Main St", "phone": "+1555",
                        "postal_code": "60601", "sku": "MUG-1"}},
}
if client.is_active():
    client.options["event_scrubber"].scrub_event(event)
print(json.dumps({"active": client.is_active(), "options": {
    k: client.options.get(k) for k in
    ("send_default_pii", "max_request_body_size", "include_local_variables")}, "event": event},
    default=lambda value: getattr(value, "value", repr(value))))
"""


def probe(dsn: str) -> dict:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="tests.settings", SENTRY_DSN=dsn)
    run = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_error_reporting_is_off_without_a_dsn():
    assert probe("")["active"] is False
    assert init_sentry("") is False
    assert not sentry_sdk.get_client().is_active()  # this test process never started it


def test_with_a_dsn_it_starts_without_personal_data():
    # Nothing listens at this address: starting the SDK sends nothing until an error.
    found = probe("http://public@127.0.0.1:9/1")
    assert found["active"] is True
    assert found["options"] == {
        "send_default_pii": False,
        "max_request_body_size": "never",
        "include_local_variables": False,
    }
    event = found["event"]
    order = event["extra"]["order"]
    assert order["sku"] == "MUG-1"  # not personal: kept
    for field in ("recipient_name", "address1", "phone", "postal_code"):
        assert order[field] == "[Filtered]"
    assert event["request"]["headers"]["Authorization"] == "[Filtered]"
    assert "sk_live_1" not in json.dumps(event) and "ann@example.com" not in json.dumps(event)


def test_only_the_user_id_is_kept():
    event = {"user": {"id": 7, "email": "ann@example.com", "ip_address": "203.0.113.9"}}
    assert drop_user(event, {}) == {"user": {"id": 7}}
