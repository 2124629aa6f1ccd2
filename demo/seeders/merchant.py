"""The demo merchant that `make run` and `seed_demo` load: a shop in Chicago, IL.

It has storage points (two in use, the rest candidates for the placement advisor), products
with stock, and a year of past demand over the city's real ZIP codes (weekly seasonality, one
sales spike).

Later capabilities add their part of the demo here (storage points, products, orders,
couriers, lockers); each step must be idempotent, since `make run` seeds on every start.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from demo.seeders.history import generate_demo_history
from merchant.models import ApiKey, Membership, Merchant, Product, StockLevel, StoragePoint, User
from merchant.services.api_keys import KEY_PREFIXES, digest_key
from merchant.services.points import create_point
from merchant.services.products import create_product
from merchant.services.shopify import shopify_callback_url
from merchant.services.stock import receive_stock

DEMO_SLUG = "windy-city-goods"
DEMO_NAME = "Windy City Goods"
DEMO_EMAIL = "demo@nearbox.example"
DEMO_PASSWORD = "nearbox-demo"
# The dashboard, and the demo shop's checkout page (`make run` serves it on port 8766, another
# origin, to show the pickup widget as a real shop embeds it).
# `config/devrun.py` reads the same PORT and SHOP_PORT, so a run on other ports (the end-to-end
# test's) still lets the demo shop's origin use the publishable key.
DEMO_SHOP_PORT = int(os.environ.get("SHOP_PORT", "8766"))
DEMO_ORIGINS = [
    f"http://{host}:{port}"
    for port in dict.fromkeys(["8000", os.environ.get("PORT", "8000"), "8766", str(DEMO_SHOP_PORT)])
    for host in ("127.0.0.1", "localhost")
]

WEEKDAYS_9_TO_6 = {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
ALL_WEEK_8_TO_8 = {
    d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}
# name, kind, role, street, ZIP, capacity units, monthly cost (cents), cost per order (cents)
DEMO_POINTS = [
    (
        "West Loop Warehouse",
        "warehouse",
        "in_use",
        "1000 W Fulton Market",
        "60607",
        6000,
        320000,
        90,
    ),
    ("Lincoln Park Back Room", "back_room", "in_use", "2450 N Clark St", "60614", 800, 60000, 60),
    (
        "Pilsen Micro-Fulfilment",
        "mfc",
        "candidate",
        "1800 S Blue Island Ave",
        "60608",
        2500,
        140000,
        70,
    ),
    (
        "Logan Square Partner Shop",
        "partner",
        "candidate",
        "2600 N Milwaukee Ave",
        "60647",
        600,
        45000,
        110,
    ),
    ("Uptown Micro-Fulfilment", "mfc", "candidate", "4700 N Broadway", "60640", 2500, 150000, 70),
    ("Hyde Park Partner Shop", "partner", "candidate", "1500 E 53rd St", "60615", 500, 40000, 110),
    (
        "Rogers Park Back Room",
        "back_room",
        "candidate",
        "6900 N Sheridan Rd",
        "60626",
        700,
        50000,
        80,
    ),
]
# SKU, name, weight g, length, width, height mm, value (cents), units at the warehouse
DEMO_PRODUCTS = [
    ("MUG-CLASSIC", "Classic enamel mug", 380, 120, 120, 110, 1800, 400),
    ("CANDLE-LAKE", "Lake breeze soy candle", 450, 100, 100, 120, 2600, 300),
    ("COFFEE-1KG", "Dark roast coffee beans 1 kg", 1050, 250, 150, 90, 3200, 500),
    ("TEE-SKYLINE", "Skyline T-shirt", 220, 300, 250, 30, 2800, 350),
    ("POSTER-L", "Chicago skyline poster, large", 400, 620, 80, 80, 3500, 120),
    ("TOTE-CANVAS", "Canvas tote bag", 250, 400, 350, 20, 1600, 250),
    ("SOCKS-DEEP", "Deep-dish pizza socks", 90, 220, 100, 20, 1200, 600),
    ("BLANKET-WOOL", "Wool throw blanket", 1400, 400, 300, 150, 8900, 80),
]


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
            "shopify_callback_url": shopify_callback_url(self.merchant),
        }


def demo_key(kind: str) -> str:
    # Derived from SECRET_KEY, so re-seeding can print the same keys without storing them.
    mac = hmac.new(settings.SECRET_KEY.encode(), f"nearbox-demo-{kind}".encode(), hashlib.sha256)
    return KEY_PREFIXES[kind] + base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def seed_demo() -> DemoSummary:
    with transaction.atomic():
        merchant, _ = Merchant.objects.get_or_create(
            slug=DEMO_SLUG,
            defaults={
                "name": DEMO_NAME,
                "time_zone": "America/Chicago",
                "currency": "USD",
                "unit_system": Merchant.UnitSystem.IMPERIAL,  # a Chicago shop reads pounds
            },
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
        points = _ensure_points(merchant)
        products = _ensure_products(merchant)
        _ensure_stock(merchant, points, products)
    generate_demo_history(merchant=merchant, products=products)
    return DemoSummary(merchant, keys[ApiKey.Kind.SECRET], keys[ApiKey.Kind.PUBLISHABLE])


def _ensure_demo_key(merchant: Merchant, kind: str) -> str:
    raw = demo_key(kind)
    origins = DEMO_ORIGINS if kind == ApiKey.Kind.PUBLISHABLE else []
    key, created = ApiKey.objects.get_or_create(
        digest=digest_key(raw),
        defaults={
            "merchant": merchant,
            "kind": kind,
            "name": f"Demo {ApiKey.Kind(kind).label.split(' ')[0].lower()} key",
            "prefix": raw[: len(KEY_PREFIXES[kind]) + 6],
            "allowed_origins": origins,
        },
    )
    missing = [origin for origin in origins if origin not in key.allowed_origins]
    if not created and missing:
        # A database seeded before the demo shop existed gets its origins added.
        key.allowed_origins = [*key.allowed_origins, *missing]
        key.save(update_fields=["allowed_origins"])
    return raw


def _ensure_points(merchant: Merchant) -> list[StoragePoint]:
    existing = {p.name: p for p in StoragePoint.objects.for_merchant(merchant)}
    points = []
    for name, kind, role, street, zip_code, capacity, monthly, per_order in DEMO_POINTS:
        if name not in existing:
            existing[name] = create_point(
                merchant=merchant,
                name=name,
                kind=kind,
                role=role,
                address_line=street,
                city="Chicago",
                state="IL",
                postal_code=zip_code,
                capacity_units=capacity,
                monthly_cost=monthly,
                cost_per_order=per_order,
                same_day_cutoff="14:00",
                opening_hours=ALL_WEEK_8_TO_8 if kind == "mfc" else WEEKDAYS_9_TO_6,
            )
        points.append(existing[name])
    return points


def _ensure_products(merchant: Merchant) -> list[Product]:
    existing = {p.sku: p for p in Product.objects.for_merchant(merchant)}
    for sku, name, weight, length, width, height, value, _ in DEMO_PRODUCTS:
        if sku not in existing:
            existing[sku] = create_product(
                merchant=merchant,
                sku=sku,
                name=name,
                weight_g=weight,
                length_mm=length,
                width_mm=width,
                height_mm=height,
                value=value,
            )
    return [existing[row[0]] for row in DEMO_PRODUCTS]


def _ensure_stock(merchant: Merchant, points: list[StoragePoint], products: list[Product]) -> None:
    warehouse, back_room = points[0], points[1]
    stocked = set(StockLevel.objects.for_merchant(merchant).values_list("product_id", "point_id"))
    for product, row in zip(products, DEMO_PRODUCTS, strict=True):
        for point, units in ((warehouse, row[7]), (back_room, row[7] // 5)):
            if (product.pk, point.pk) not in stocked:
                receive_stock(
                    merchant=merchant,
                    product=product,
                    point=point,
                    quantity=units,
                    reason="Opening stock of the demo shop",
                    reference="demo",
                )
