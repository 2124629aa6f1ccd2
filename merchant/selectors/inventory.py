"""Reads of the inventory pages and API: products with their totals, stock levels, low-stock
alerts, the ledger and transfers, always scoped to one merchant."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from merchant.models import (
    Merchant,
    Product,
    StockLevel,
    StockMovement,
    StoragePoint,
    Transfer,
    get_for_merchant_or_404,
)
from merchant.rawsql import model_rows, placeholders


def get_product_for_merchant(merchant: Merchant, product_id: object) -> Product:
    return get_for_merchant_or_404(Product, merchant, product_id)


def get_transfer_for_merchant(merchant: Merchant, transfer_id: object) -> Transfer:
    return get_for_merchant_or_404(Transfer, merchant, transfer_id)


PRODUCT_FIELDS = tuple(f.attname for f in Product._meta.concrete_fields)


def products_by_sku(merchant: Merchant, skus: Iterable[str]) -> dict[str, Product]:
    """{sku: product} of the merchant's products among `skus` (unknown ones are left out).
    Hand-written SQL: order intake asks this for every order."""
    skus = list(set(skus))
    if not skus:
        return {}
    rows = model_rows(Product, PRODUCT_FIELDS, connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {rows.select_list('p')} FROM {Product._meta.db_table} p "
            f"WHERE p.merchant_id = %s AND p.sku IN ({placeholders(len(skus))})",
            [merchant.pk, *skus],
        )
        return {product.sku: product for product in rows.instances(cursor.fetchall())}


def search_products(
    merchant: Merchant, term: str, *, active_only: bool = False, limit: int = 20
) -> QuerySet[Product]:
    """Products whose SKU or name contains `term`, SKUs that start with it first."""
    # A NUL byte cannot be in a stored SKU or name, and PostgreSQL refuses it in a parameter.
    term = term.replace("\x00", "").strip()[:64]
    products = Product.objects.for_merchant(merchant)
    if active_only:
        products = products.filter(is_active=True)
    if not term:
        return products.order_by("sku")[:limit]
    products = products.filter(Q(sku__icontains=term) | Q(name__icontains=term))
    sku_first = Case(When(sku__istartswith=term, then=Value(0)), default=Value(1))
    return products.order_by(sku_first, "sku")[:limit]


def _is_low() -> Q:
    return Q(low_stock_threshold__gt=0, on_hand__lte=F("reserved") + F("low_stock_threshold"))


def products_with_totals(merchant: Merchant, *, search: str = "") -> QuerySet[Product]:
    """Products with on_hand_total, reserved_total, available_total and is_low annotations."""
    zero = Value(0, output_field=IntegerField())
    low_levels = StockLevel.objects.filter(_is_low(), product=OuterRef("pk"))
    products = Product.objects.for_merchant(merchant).annotate(
        on_hand_total=Coalesce(Sum("stock_levels__on_hand"), zero),
        reserved_total=Coalesce(Sum("stock_levels__reserved"), zero),
        has_low_stock=Exists(low_levels),
    )
    products = products.annotate(available_total=F("on_hand_total") - F("reserved_total"))
    if search.strip():
        term = search.strip()
        products = products.filter(Q(sku__icontains=term) | Q(name__icontains=term))
    return products.order_by("sku", "pk")


def active_points(merchant: Merchant) -> QuerySet[StoragePoint]:
    return StoragePoint.objects.for_merchant(merchant).filter(is_active=True).order_by("name")


def availability_matrix(
    merchant: Merchant, products: list[Product], points: list[StoragePoint]
) -> list[dict]:
    """Rows of {product, cells: [level or None per point]} for one page of products."""
    levels = {
        (level.product_id, level.point_id): level
        for level in StockLevel.objects.for_merchant(merchant).filter(
            product__in=products, point__in=points
        )
    }
    return [
        {"product": p, "cells": [levels.get((p.pk, point.pk)) for point in points]}
        for p in products
    ]


def low_stock_levels(merchant: Merchant) -> QuerySet[StockLevel]:
    """Levels whose available stock is at or below a set threshold, at active points."""
    return (
        StockLevel.objects.for_merchant(merchant)
        .filter(_is_low(), point__is_active=True)
        .select_related("product", "point")
        .annotate(available_units=F("on_hand") - F("reserved"))
        .order_by("available_units", "product__sku", "point__name")
    )


def stock_levels(
    merchant: Merchant, *, sku: str = "", point_id: int | None = None
) -> QuerySet[StockLevel]:
    levels = StockLevel.objects.for_merchant(merchant).select_related("product", "point")
    if sku:
        levels = levels.filter(product__sku=sku)
    if point_id is not None:
        levels = levels.filter(point_id=point_id)
    return levels.order_by("product__sku", "point__name", "pk")


def levels_of_product(product: Product) -> QuerySet[StockLevel]:
    return (
        StockLevel.objects.for_merchant(product.merchant)
        .filter(product=product)
        .select_related("point")
        .order_by("point__name")
    )


def ledger(
    merchant: Merchant,
    *,
    point: StoragePoint | None = None,
    product: Product | None = None,
    kind: str = "",
) -> QuerySet[StockMovement]:
    movements = StockMovement.objects.for_merchant(merchant).select_related(
        "product", "point", "created_by"
    )
    if point is not None:
        movements = movements.filter(point=point)
    if product is not None:
        movements = movements.filter(product=product)
    if kind:
        movements = movements.filter(kind=kind)
    return movements.order_by("-created_at", "-pk")


def transfers(merchant: Merchant, *, status: str = "") -> QuerySet[Transfer]:
    result = Transfer.objects.for_merchant(merchant).select_related("from_point", "to_point")
    if status:
        result = result.filter(status=status)
    return result.order_by("-created_at", "-pk")
