"""Helpers the tests import (the fixtures are in tests/conftest.py): the shared password, a
signed-in client (and browser), the test worker's name, waiting for background work, browser
screenshots, and data several test modules build alike (demand records, the storage-point form)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.test import Client
from django.utils import timezone

from merchant.models import DemandRecord
from merchant.services.merchants import NewMerchant
from tests.factories.merchant import CHICAGO

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "correct-horse-battery-staple"
# The session's Celery worker log, one per pytest-xdist worker (tests/conftest.py).
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
WORKER_LOG = ARTIFACTS / (
    f"celery-worker-{_XDIST_WORKER}.log" if _XDIST_WORKER else "celery-worker.log"
)


def signed_in_client(new: NewMerchant) -> Client:
    client = Client()
    client.force_login(new.owner)
    return client


def sign_in_browser(page, live_server, user) -> None:
    """Sign `user` in to Chromium: a session made by the test client, handed to the page's
    browser context as its cookie for the live server."""
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    cookie = {"name": name, "value": client.cookies[name].value, "url": live_server.url}
    page.context.add_cookies([cookie])


def worker_name() -> str:
    return f"nearbox-test-{os.getpid()}@{os.uname().nodename}"


def wait_for(
    condition: Callable[[], object],
    *,
    timeout: float = 30,
    every: float = 0.2,
    what: str = "condition",
):
    """Poll until `condition()` is truthy and return its value (tests of background work):
    an event waited for, not a fixed sleep."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"{what}: not within {timeout:g} s")


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def add_demand(merchant, product, postal_code: str, units: int, days_ago: int = 3) -> None:
    """A demand record: `units` of `product` ordered to `postal_code` `days_ago` days ago."""
    lat, lon = CHICAGO[postal_code]
    DemandRecord.objects.create(
        merchant=merchant,
        product=product,
        postal_code=postal_code,
        latitude=lat,
        longitude=lon,
        units=units,
        ordered_on=timezone.localdate() - timedelta(days=days_ago),
    )


WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def point_form_data(**overrides) -> dict:
    """The storage-point form as a merchant fills it in (weekdays 09:00-18:00), with overrides."""
    data = {
        "name": "Lincoln Park back room",
        "kind": "back_room",
        "role": "in_use",
        "address_line": "2430 N Cannon Dr",
        "city": "Chicago",
        "state": "",
        "postal_code": "60614",
        "country": "US",
        "capacity_units": "800",
        "capacity_m3": "12.5",
        "monthly_cost": "1250.50",
        "cost_per_order": "1.75",
        "same_day_cutoff": "14:00",
    }
    for day in WEEKDAYS[:5]:
        data[f"hours_{day}_open"], data[f"hours_{day}_close"] = "09:00", "18:00"
    data["hours_sat_closed"] = data["hours_sun_closed"] = "on"
    data.update(overrides)
    return data
