"""The demo merchant that `make run` and `seed_demo` load: a shop in Chicago, IL.

Later capabilities add their part of the demo here (storage points, products, orders,
couriers, lockers); each step must be idempotent, since `make run` seeds on every start.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from merchant.models import ApiKey, Membership, Merchant, User
from merchant.services.api_keys import KEY_PREFIXES, digest_key

DEMO_SLUG = "windy-city-goods"
DEMO_NAME = "Windy City Goods"
DEMO_EMAIL = "demo@nearbox.example"
DEMO_PASSWORD = "nearbox-demo"
DEMO_ORIGINS = ["http://127.0.0.1:8000", "http://localhost:8000"]


@dataclass(frozen=True)
class DemoSummary:
    merchant: Merchant
    secret_api_key: str
    publishable_key: str

    def as_dict(self) -> dict:
        return {
            "merchant_id": self.merchant.pk,
            "slug": self.merchant.slug,
            "name": self.merchant.name,
            "email": DEMO_EMAIL,
            "password": DEMO_PASSWORD,
            "secret_api_key": self.secret_api_key,
            "publishable_key": self.publishable_key,
        }


def demo_key(kind: str) -> str:
    # Derived from SECRET_KEY, so re-seeding can print the same keys without storing them.
    mac = hmac.new(settings.SECRET_KEY.encode(), f"nearbox-demo-{kind}".encode(), hashlib.sha256)
    return KEY_PREFIXES[kind] + base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def seed_demo() -> DemoSummary:
    with transaction.atomic():
        merchant, _ = Merchant.objects.get_or_create(
            slug=DEMO_SLUG,
            defaults={"name": DEMO_NAME, "time_zone": "America/Chicago", "currency": "USD"},
        )
        owner, created = User.objects.get_or_create(
            email=DEMO_EMAIL, defaults={"full_name": "Demo Owner"}
        )
        if created or not owner.check_password(DEMO_PASSWORD):
            owner.set_password(DEMO_PASSWORD)
            owner.save(update_fields=["password"])
        Membership.objects.get_or_create(
            merchant=merchant, user=owner, defaults={"role": Membership.Role.OWNER}
        )
        keys = {kind: _ensure_demo_key(merchant, kind) for kind in KEY_PREFIXES}
    return DemoSummary(merchant, keys[ApiKey.Kind.SECRET], keys[ApiKey.Kind.PUBLISHABLE])


def _ensure_demo_key(merchant: Merchant, kind: str) -> str:
    raw = demo_key(kind)
    ApiKey.objects.get_or_create(
        digest=digest_key(raw),
        defaults={
            "merchant": merchant,
            "kind": kind,
            "name": f"Demo {ApiKey.Kind(kind).label.split(' ')[0].lower()} key",
            "prefix": raw[: len(KEY_PREFIXES[kind]) + 6],
            "allowed_origins": DEMO_ORIGINS if kind == ApiKey.Kind.PUBLISHABLE else [],
        },
    )
    return raw
