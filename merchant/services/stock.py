"""Every change of stock goes through here: one ledger movement plus the summary row, under a
row lock taken in primary-key order (so two transactions never deadlock), in one transaction.

`reserve_stock` is what order routing calls; it never oversells, however many checkouts race
for the last units (the CheckConstraints on StockLevel are the last guard).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, Q, Sum, Value, When
from django.utils import timezone

from merchant.models import Merchant, Product, StockLevel, StockMovement, StoragePoint, User
from merchant.rawsql import model_rows

Kind = StockMovement.Kind


class OutOfStock(Exception):
    """Not enough available stock of a product at a point."""

    code = "out_of_stock"

    def __init__(
        self, *, product: Product, point: StoragePoint, requested: int, available: int
    ) -> None:
        self.product, self.point = product, point
        self.requested, self.available = requested, available
        super().__init__(
            f"Only {available} of {product.sku} available at {point.name}; {requested} requested."
        )


@dataclass(frozen=True)
class StockChange:
    product: Product
    point: StoragePoint
    quantity: int


def check_quantity(quantity: object, *, field: str = "quantity", allow_zero: bool = False) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise ValidationError({field: "Enter a whole number of units."}, code="invalid")
    if quantity < 0 or (quantity == 0 and not allow_zero):
        raise ValidationError({field: "Enter a positive number of units."}, code="invalid")
    return quantity


def _check_owner(merchant: Merchant, product: Product, point: StoragePoint) -> None:
    if product.merchant_id != merchant.pk or point.merchant_id != merchant.pk:
        raise ValidationError("That product or storage point belongs to another shop.")


def _locked_levels(
    merchant: Merchant, pairs: Iterable[tuple[Product, StoragePoint]]
) -> dict[tuple[int, int], StockLevel]:
    """Summary rows for (product, point) pairs, created if missing, locked in pk order."""
    pairs = list(pairs)
    StockLevel.objects.bulk_create(
        [StockLevel(merchant=merchant, product=product, point=point) for product, point in pairs],
        ignore_conflicts=True,
    )
    query = StockLevel.objects.none()
    for product, point in pairs:
        query = query | StockLevel.objects.filter(product=product, point=point)
    levels = list(query.select_for_update().order_by("pk"))
    return {(level.product_id, level.point_id): level for level in levels}


def _apply(
    level: StockLevel,
    *,
    merchant: Merchant,
    kind: str,
    on_hand_delta: int,
    reserved_delta: int,
    reason: str,
    reference: str,
    user: User | None,
) -> StockLevel:
    StockLevel.objects.filter(pk=level.pk).update(
        on_hand=F("on_hand") + on_hand_delta, reserved=F("reserved") + reserved_delta
    )
    level.on_hand += on_hand_delta
    level.reserved += reserved_delta
    StockMovement.objects.create(
        merchant=merchant,
        product_id=level.product_id,
        point_id=level.point_id,
        kind=kind,
        on_hand_delta=on_hand_delta,
        reserved_delta=reserved_delta,
        reason=reason[:255],
        reference=reference[:80],
        created_by=user if user and user.is_authenticated else None,
    )
    return level


def move(
    *,
    merchant: Merchant,
    product: Product,
    point: StoragePoint,
    kind: str,
    on_hand_delta: int,
    reserved_delta: int,
    reason: str = "",
    reference: str = "",
    user: User | None = None,
) -> StockLevel:
    _check_owner(merchant, product, point)
    with transaction.atomic():
        level = _locked_levels(merchant, [(product, point)])[(product.pk, point.pk)]
        new_on_hand = level.on_hand + on_hand_delta
        new_reserved = level.reserved + reserved_delta
        if new_on_hand < new_reserved or new_on_hand < 0:
            raise OutOfStock(
                product=product,
                point=point,
                requested=-on_hand_delta or reserved_delta,
                available=level.available,
            )
        if new_reserved < 0:
            raise ValidationError(
                {"quantity": f"Only {level.reserved} of {product.sku} reserved at {point}."}
            )
        return _apply(
            level,
            merchant=merchant,
            kind=kind,
            on_hand_delta=on_hand_delta,
            reserved_delta=reserved_delta,
            reason=reason,
            reference=reference,
            user=user,
        )


def receive_stock(
    *,
    merchant: Merchant,
    product: Product,
    point: StoragePoint,
    quantity: int,
    reason: str = "",
    reference: str = "",
    user: User | None = None,
) -> StockLevel:
    quantity = check_quantity(quantity)
    return move(
        merchant=merchant,
        product=product,
        point=point,
        kind=Kind.RECEIVE,
        on_hand_delta=quantity,
        reserved_delta=0,
        reason=reason,
        reference=reference,
        user=user,
    )


def return_stock(
    *,
    merchant: Merchant,
    product: Product,
    point: StoragePoint,
    quantity: int,
    reference: str = "",
    user: User | None = None,
) -> StockLevel:
    quantity = check_quantity(quantity)
    return move(
        merchant=merchant,
        product=product,
        point=point,
        kind=Kind.RETURN,
        on_hand_delta=quantity,
        reserved_delta=0,
        reference=reference,
        user=user,
    )


def adjust_stock(
    *,
    merchant: Merchant,
    product: Product,
    point: StoragePoint,
    delta: int,
    reason: str,
    user: User | None = None,
    reference: str = "",
) -> StockLevel:
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0:
        raise ValidationError({"delta": "Enter a non-zero whole number of units."})
    if not reason.strip():
        raise ValidationError({"reason": "Say why the stock is adjusted (count, damage, …)."})
    return move(
        merchant=merchant,
        product=product,
        point=point,
        kind=Kind.ADJUST,
        on_hand_delta=delta,
        reserved_delta=0,
        reason=reason,
        reference=reference,
        user=user,
    )


def set_stock_count(
    *,
    merchant: Merchant,
    product: Product,
    point: StoragePoint,
    counted: int,
    reason: str = "Stock count",
    reference: str = "",
    user: User | None = None,
) -> StockLevel:
    """Bring on-hand to a counted figure with one adjustment (nothing if it already matches)."""
    counted = check_quantity(counted, field="on_hand", allow_zero=True)
    _check_owner(merchant, product, point)
    with transaction.atomic():
        level = _locked_levels(merchant, [(product, point)])[(product.pk, point.pk)]
        delta = counted - level.on_hand
        if delta == 0:
            return level
        if counted < level.reserved:
            raise ValidationError(
                {
                    "on_hand": f"{level.reserved} units of {product.sku} are "
                    f"reserved for orders at {point}; count {counted} "
                    "is below that."
                }
            )
        return _apply(
            level,
            merchant=merchant,
            kind=Kind.ADJUST,
            on_hand_delta=delta,
            reserved_delta=0,
            reason=reason,
            reference=reference,
            user=user,
        )


def reserve_stock(
    *,
    merchant: Merchant,
    product: Product,
    point: StoragePoint,
    quantity: int,
    reference: str = "",
    user: User | None = None,
) -> StockLevel:
    """Hold units for an order line; raises OutOfStock when fewer are available."""
    return reserve_many(
        merchant=merchant,
        changes=[StockChange(product, point, quantity)],
        reference=reference,
        user=user,
    )[0]


def reserve_many(
    *, merchant: Merchant, changes: list[StockChange], reference: str = "", user: User | None = None
) -> list[StockLevel]:
    """Reserve several lines at once, all or nothing.

    A constant number of queries whatever the number of changes: one SELECT … FOR UPDATE of
    the summary rows (in pk order, so concurrent reservations never deadlock), one UPDATE of
    all of them and one INSERT of the movements; on PostgreSQL the three are one statement
    (RESERVE_SQL). Inside the caller's transaction no savepoint is made: nothing is written
    unless every line fits, so after OutOfStock the caller may carry on (as routing does to
    plan again).
    """
    for change in changes:
        check_quantity(change.quantity)
        _check_owner(merchant, change.product, change.point)
    if not changes:
        return []
    # PostgreSQL: RESERVE_SQL, lock + check + update + ledger in one round trip for every order.
    reserve = _reserve_many_postgresql if connection.vendor == "postgresql" else _reserve_many
    if connection.in_atomic_block:
        return reserve(merchant, changes, reference, user)
    with transaction.atomic():
        return reserve(merchant, changes, reference, user)


def _wanted(changes: list[StockChange]) -> dict[tuple[int, int], int]:
    """Units wanted per (product id, point id): lines of one product and point add up."""
    wanted: dict[tuple[int, int], int] = {}
    for c in changes:
        pair = (c.product.pk, c.point.pk)
        wanted[pair] = wanted.get(pair, 0) + c.quantity
    return wanted


def _refuse(changes: list[StockChange], wanted: dict, levels: dict) -> None:
    """Raise OutOfStock for the first change that the locked `levels` cannot fill."""
    for c in changes:
        pair = (c.product.pk, c.point.pk)
        level = levels.get(pair)
        available = level.available if level is not None else 0
        if available < wanted[pair]:
            raise OutOfStock(
                product=c.product, point=c.point, requested=wanted[pair], available=available
            )


# One round trip for the whole reservation (order intake runs it for every order): lock the
# summary rows in pk order, then, only if every pair exists and has enough available, add to
# `reserved` and write the movements. The rows come back as locked, before the change.
RESERVE_SQL = """
WITH wanted (product_id, point_id, delta) AS (
    SELECT * FROM unnest(%(products)s::bigint[], %(points)s::bigint[], %(deltas)s::integer[])
),
locked AS (
    SELECT {level_columns}, w.delta
    FROM {level} s JOIN wanted w ON w.product_id = s.product_id AND w.point_id = s.point_id
    WHERE s.merchant_id = %(merchant)s
    ORDER BY s.id
    FOR UPDATE OF s
),
enough AS (
    SELECT count(*) = %(pairs)s AND coalesce(bool_and(on_hand - reserved >= delta), false) AS ok
    FROM locked
),
updated AS (
    UPDATE {level} s SET reserved = s.reserved + l.delta
    FROM locked l, enough e
    WHERE s.id = l.id AND e.ok
    RETURNING s.id
),
moved AS (
    INSERT INTO {movement} (merchant_id, product_id, point_id, kind, on_hand_delta,
                            reserved_delta, reason, reference, created_by_id, created_at)
    SELECT %(merchant)s, m.product_id, m.point_id, %(kind)s, 0, m.quantity, '', %(reference)s,
           %(user)s, %(now)s
    FROM unnest(%(m_products)s::bigint[], %(m_points)s::bigint[], %(m_quantities)s::integer[])
         AS m (product_id, point_id, quantity),
         enough e
    WHERE e.ok
)
SELECT locked.*, (SELECT ok FROM enough) FROM locked
"""
LEVEL_FIELDS = (
    "id",
    "merchant_id",
    "product_id",
    "point_id",
    "on_hand",
    "reserved",
    "low_stock_threshold",
    "updated_at",
)


def _reserve_many_postgresql(
    merchant: Merchant, changes: list[StockChange], reference: str, user: User | None
) -> list[StockLevel]:
    wanted = _wanted(changes)
    level_rows = model_rows(StockLevel, LEVEL_FIELDS, connection.vendor)
    sql = RESERVE_SQL.format(
        level_columns=level_rows.select_list("s"),
        level=StockLevel._meta.db_table,
        movement=StockMovement._meta.db_table,
    )
    created_by = user if user and user.is_authenticated else None
    params = {
        "merchant": merchant.pk,
        "products": [product for product, _ in wanted],
        "points": [point for _, point in wanted],
        "deltas": list(wanted.values()),
        "pairs": len(wanted),
        "kind": Kind.RESERVE,
        "reference": reference[:80],
        "user": created_by.pk if created_by else None,
        "now": timezone.now(),
        "m_products": [c.product.pk for c in changes],
        "m_points": [c.point.pk for c in changes],
        "m_quantities": [c.quantity for c in changes],
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    levels = {}
    for row in rows:
        level = level_rows.instance(row)
        levels[(level.product_id, level.point_id)] = level
    if not rows or not rows[0][-1]:
        _refuse(changes, wanted, levels)
        raise AssertionError("the reservation was refused, yet every line fits")
    for pair, delta in wanted.items():
        levels[pair].reserved += delta
    return [levels[(c.product.pk, c.point.pk)] for c in changes]


def _reserve_many(
    merchant: Merchant, changes: list[StockChange], reference: str, user: User | None
) -> list[StockLevel]:
    wanted = _wanted(changes)
    # Only rows that exist can hold stock: a missing row is out of stock, nothing to create.
    with transaction.atomic(savepoint=False):  # a database error here dooms the transaction
        levels = _lock_existing_levels(merchant, list(wanted))
    _refuse(changes, wanted, levels)
    with transaction.atomic(savepoint=False):
        by_pk = {levels[pair].pk: delta for pair, delta in wanted.items()}
        if len(by_pk) == 1:
            (delta,) = by_pk.values()
            increment = Value(delta)
        else:
            increment = Case(
                *(When(pk=pk, then=Value(delta)) for pk, delta in by_pk.items()),
                output_field=IntegerField(),
            )
        updated = StockLevel.objects.filter(pk__in=list(by_pk)).update(
            reserved=F("reserved") + increment
        )
        if updated != len(by_pk):  # cannot happen while the rows are locked
            raise AssertionError(f"reserved {updated} of {len(by_pk)} locked stock rows")
        created_by = user if user and user.is_authenticated else None
        StockMovement.objects.bulk_create(
            [
                StockMovement(
                    merchant=merchant,
                    product_id=c.product.pk,
                    point_id=c.point.pk,
                    kind=Kind.RESERVE,
                    on_hand_delta=0,
                    reserved_delta=c.quantity,
                    reason="",
                    reference=reference[:80],
                    created_by=created_by,
                )
                for c in changes
            ]
        )
    for pair, delta in wanted.items():
        levels[pair].reserved += delta
    return [levels[(c.product.pk, c.point.pk)] for c in changes]


def _lock_existing_levels(
    merchant: Merchant, pairs: list[tuple[int, int]]
) -> dict[tuple[int, int], StockLevel]:
    """Existing summary rows for (product_id, point_id) pairs, locked in pk order."""
    products = {product_id for product_id, _ in pairs}
    points = {point_id for _, point_id in pairs}
    query = StockLevel.objects.for_merchant(merchant)
    if len(products) == 1 or len(points) == 1:
        # The pairs are exactly the product × point grid: two IN lists say it.
        query = query.filter(product_id__in=products, point_id__in=points)
    else:
        condition = Q()
        for product_id, point_id in pairs:
            condition |= Q(product_id=product_id, point_id=point_id)
        query = query.filter(condition)
    levels = query.select_for_update().order_by("pk")
    return {(level.product_id, level.point_id): level for level in levels}


def release_stock(
    *,
    merchant: Merchant,
    product: Product,
    point: StoragePoint,
    quantity: int,
    reference: str = "",
    user: User | None = None,
) -> StockLevel:
    """Give back a reservation (a cancelled order line, a re-routed order)."""
    quantity = check_quantity(quantity)
    return move(
        merchant=merchant,
        product=product,
        point=point,
        kind=Kind.RELEASE,
        on_hand_delta=0,
        reserved_delta=-quantity,
        reference=reference,
        user=user,
    )


def pick_stock(
    *,
    merchant: Merchant,
    product: Product,
    point: StoragePoint,
    quantity: int,
    reference: str = "",
    user: User | None = None,
    kind: str = Kind.PICK,
) -> StockLevel:
    """Take reserved units off the shelf: on hand and reserved both go down."""
    quantity = check_quantity(quantity)
    return move(
        merchant=merchant,
        product=product,
        point=point,
        kind=kind,
        on_hand_delta=-quantity,
        reserved_delta=-quantity,
        reference=reference,
        user=user,
    )


def ledger_mismatches(merchant: Merchant) -> list[dict]:
    """Summary rows that disagree with the sum of their ledger (empty when all is well)."""
    sums = {
        (row["product_id"], row["point_id"]): (row["on_hand"], row["reserved"])
        for row in StockMovement.objects.for_merchant(merchant)
        .values("product_id", "point_id")
        .annotate(on_hand=Sum("on_hand_delta"), reserved=Sum("reserved_delta"))
    }
    problems = []
    for level in StockLevel.objects.for_merchant(merchant):
        ledger = sums.pop((level.product_id, level.point_id), (0, 0))
        if ledger != (level.on_hand, level.reserved):
            problems.append(
                {
                    "product_id": level.product_id,
                    "point_id": level.point_id,
                    "summary": (level.on_hand, level.reserved),
                    "ledger": ledger,
                }
            )
    problems += [
        {"product_id": k[0], "point_id": k[1], "summary": None, "ledger": v}
        for k, v in sums.items()
    ]
    return problems
