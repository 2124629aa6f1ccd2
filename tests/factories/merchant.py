"""Small factories for inventory tests."""

from __future__ import annotations

import itertools

from merchant.models import Merchant, Product, StoragePoint

_seq = itertools.count(1)

# Real Chicago ZIP centroids (zipcodes package) so distances are meaningful.
CHICAGO = {
    "60601": (41.8858, -87.6181),
    "60614": (41.9229, -87.6483),
    "60616": (41.8445, -87.6247),
    "60622": (41.9023, -87.6772),
    "60647": (41.9210, -87.7016),
}


def make_point(
    merchant: Merchant, *, name: str | None = None, postal_code: str = "60601", **fields
) -> StoragePoint:
    lat, lon = CHICAGO.get(postal_code, CHICAGO["60601"])
    defaults = dict(
        name=name or f"Point {next(_seq)}",
        address_line="1 Test St",
        city="Chicago",
        state="IL",
        postal_code=postal_code,
        latitude=lat,
        longitude=lon,
    )
    defaults.update(fields)
    return StoragePoint.objects.create(merchant=merchant, **defaults)


def make_product(merchant: Merchant, *, sku: str | None = None, **fields) -> Product:
    n = next(_seq)
    defaults = dict(
        name=f"Product {n}", weight_g=500, length_mm=200, width_mm=150, height_mm=100, value=2500
    )
    defaults.update(fields)
    return Product.objects.create(merchant=merchant, sku=sku or f"SKU-{n}", **defaults)
