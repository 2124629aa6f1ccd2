"""A shop with a point in the Loop, two home services, a locker bank and a pickup shop, and the
helpers to ask the delivery-options API (publishable key) and the rules API (secret key)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import redis
from django.conf import settings
from django.test import Client

from tests.factories.couriers import make_account, make_service
from tests.factories.lockers import LOOP, make_bank, make_shop
from tests.factories.merchant import make_point

ORIGIN = "http://localhost:8000"
SMALL = {"weight_g": 500, "length_mm": 300, "width_mm": 200, "height_mm": 50}


@pytest.fixture(autouse=True)
def fresh_checkout_caches():
    """Network and checkout versions live in Redis and per process: start each test clean."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter("*lockers:*"):
        client.delete(key)
    from lockers.selectors import checkout_cache, spatial

    spatial._local.clear()
    checkout_cache._local.clear()
    yield


@pytest.fixture
def shop(merchant_a):
    merchant = merchant_a.merchant
    point = make_point(merchant, name="Loop Warehouse", postal_code="60601")
    next_day = make_service(
        make_account(merchant, name="City Post"),
        name="Next day",
        level="next_day",
        transit_hours=24,
        pickup_cutoff=dt.time(23, 59),
        base_minor=899,
        per_kg_minor=0,
    )
    same_day = make_service(
        make_account(merchant, name="Zip Bikes"),
        name="Same day",
        level="same_day",
        transit_hours=4,
        pickup_cutoff=dt.time(23, 59),
        base_minor=1500,
    )
    bank = make_bank(merchant, at=LOOP, name="Loop lockers")
    pickup = make_shop(merchant, at=(41.8860, -87.6180), name="Corner shop")
    return {
        "point": point,
        "next_day": next_day,
        "same_day": same_day,
        "bank": bank,
        "shop": pickup,
    }


def options(new, **params) -> Client:
    headers = {"X-Nearbox-Key": new.publishable_key.raw, "Origin": ORIGIN}
    return Client(headers=headers).get("/api/v1/delivery-options", params)


def api(new) -> Client:
    return Client(headers={"Authorization": f"Bearer {new.secret_key.raw}"})


def post_json(client: Client, url: str, body: object, method: str = "post"):
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")
