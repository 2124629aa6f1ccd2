"""Every hand-written SQL site and vendor branch gives what its ORM path gives on the same data.

One test (or group) per site of docs/architecture.md "Hand-written SQL". Each runs the
hand-written statement and the ORM path on seeded random data of several merchants (so the
merchant scoping is compared too) and compares whole results. Writing paths run inside a
savepoint that is rolled back, so the second path starts from the same rows. The tests marked
`sqlite` run again on SQLite; the others need PostgreSQL (their hand-written path is PG-only).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import random
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.db import connection, transaction
from django.db.models import Count, F, Min

from fulfillment.models import Shipment, ShipmentEvent
from fulfillment.orders.services import routing
from fulfillment.tracking import ingest
from lockers.api import publishable
from lockers.models import Compartment, LockerBank, PickupParcel, PickupShop
from lockers.parcels import RANK_SIZE, SIZE_RANK, Parcel, fitting
from lockers.selectors import spatial
from lockers.services import options
from merchant.limits import EARLIEST, LATEST
from merchant.models import (
    ApiKey,
    DemandRecord,
    Job,
    Product,
    StockLevel,
    StockMovement,
    StoragePoint,
)
from merchant.rawsql import (
    CompiledQuery,
    array_literal,
    id_set,
    insert_many,
    int_array_literal,
    model_rows,
    value_set,
)
from merchant.selectors.inventory import products_by_sku
from merchant.services import stock
from merchant.services.api_keys import issue_api_key, revoke_api_key
from merchant.services.health import check_database
from merchant.services.inventory_csv import SideProgress
from tests.factories.couriers import make_shipment
from tests.factories.lockers import make_bank, make_shop
from tests.factories.merchant import make_point, make_product
from tests.factories.orders import make_order

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the hand-written path is PostgreSQL-only"
)
NOW = dt.datetime(2026, 3, 4, 12, 30, 15, 123456, tzinfo=dt.UTC)


def rolled_back(run: Callable[[], Any]) -> Any:
    """What `run()` returns, with every write it made undone."""
    with transaction.atomic():
        result = run()
        transaction.set_rollback(True)
    return result


def as_vendor(vendor: str):
    """`connection.vendor` (read at call time by the site) as `vendor`: runs the other branch."""
    return mock.patch.object(type(connection), "vendor", vendor, create=True)


def field_values(instance, fields: list[str] | tuple[str, ...] | None = None) -> tuple:
    """The instance's concrete field values (JSON as sorted text, so rows are hashable)."""
    names = fields or [f.attname for f in type(instance)._meta.concrete_fields]
    values = []
    for name in names:
        value = getattr(instance, name)
        values.append(
            json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value
        )
    return tuple(values)


def merchants(make_merchant, n: int = 3) -> list:
    return [make_merchant().merchant for _ in range(n)]


# --- merchant/rawsql.py insert_many ---------------------------------------------------------


def _unsaved_groups(rng: random.Random, shops: list) -> tuple[list, list, list]:
    products, points, demand = [], [], []
    for n, merchant in enumerate(shops):
        for k in range(rng.randint(1, 4)):
            products.append(
                Product(
                    merchant=merchant,
                    sku=f"INS-{n}-{k}",
                    name=rng.choice(["Mug", "Tea", "Ünïcode ☕", 'O\'Brien "quoted"']),
                    weight_g=rng.randint(1, 9_000),
                    length_mm=rng.randint(1, 900),
                    width_mm=rng.randint(1, 900),
                    height_mm=rng.randint(1, 900),
                    value=rng.randint(0, 99_999),
                )
            )
        points.append(
            StoragePoint(
                merchant=merchant,
                name=f"Inserted {n}",
                address_line="1 Test St",
                city="Chicago",
                postal_code="60601",
                latitude=rng.uniform(41.6, 42.1),
                longitude=rng.uniform(-88.0, -87.5),
                same_day_cutoff=rng.choice([None, dt.time(rng.randint(8, 18), 30)]),
                opening_hours=rng.choice([{}, {"mon": [["09:00", "18:00"]]}]),
            )
        )
        for k in range(rng.randint(1, 3)):
            demand.append(
                DemandRecord(
                    merchant=merchant,
                    ordered_on=dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 300)),
                    postal_code=f"606{rng.randint(10, 99)}",
                    latitude=rng.uniform(41.6, 42.1),
                    longitude=rng.uniform(-88.0, -87.5),
                    units=rng.randint(1, 50),
                    source="order",
                    reference=f"order:{n}-{k}",
                )
            )
    return products, points, demand


def _insert_with(vendor: str | None, shops: list) -> list[list[tuple]]:
    groups = _unsaved_groups(random.Random(41), shops)

    def run() -> list[list[tuple]]:
        with mock.patch("django.utils.timezone.now", return_value=NOW):
            if vendor is None:
                insert_many(*groups)
            else:
                with as_vendor(vendor):
                    insert_many(*groups)
        read = []
        for group in groups:
            model = type(group[0])
            stored = model.objects.in_bulk([o.pk for o in group])
            assert all(not o._state.adding for o in group)
            # Each instance got the id of the row holding its own values (ids left out: the
            # rolled-back sequence does not rewind).
            read.append([field_values(stored[o.pk])[1:] for o in group])
            assert read[-1] == [field_values(o)[1:] for o in group]
        return read

    return rolled_back(run)


@pytest.mark.sqlite
@pytest.mark.django_db
def test_rawsql_insert_many_equals_bulk_create(make_merchant):
    # On SQLite both runs take the bulk_create branch; what still runs there is the check in
    # _insert_with that every instance got the id of the row holding its own values.
    shops = merchants(make_merchant)
    assert _insert_with(None, shops) == _insert_with("sqlite", shops)


# --- merchant/selectors/inventory.py products_by_sku -----------------------------------------


@pytest.mark.sqlite
@pytest.mark.django_db
def test_inventory_products_by_sku_equals_the_orm_query(make_merchant):
    rng = random.Random(42)
    shops = merchants(make_merchant)
    skus = [f"SKU-{n}" for n in range(12)]
    for merchant in shops:  # the same SKUs in every shop: scoping decides
        for sku in rng.sample(skus, 8):
            make_product(merchant, sku=sku, is_active=rng.random() < 0.7)
    for merchant in shops:
        for _ in range(5):
            asked = rng.sample([*skus, "UNKNOWN", "sku-1"], rng.randint(0, 6))
            raw = {sku: field_values(p) for sku, p in products_by_sku(merchant, asked).items()}
            orm = {
                p.sku: field_values(p)
                for p in Product.objects.filter(merchant=merchant, sku__in=asked)
            }
            assert raw == orm


# --- merchant/services/stock.py reserve_many -------------------------------------------------


# created_at left out: each path stamps its own now.
MOVEMENT_FIELDS = [
    "merchant_id",
    "product_id",
    "point_id",
    "kind",
    "on_hand_delta",
    "reserved_delta",
    "reason",
    "reference",
    "created_by_id",
]


def _reservation(path, merchant, changes, user) -> tuple:
    """(outcome, stock rows, new movements) of one path, rolled back."""
    before = StockMovement.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def run() -> tuple:
        try:
            levels = path(merchant, changes, "ORDER-1", user)
            outcome = ("reserved", [field_values(lv, stock.LEVEL_FIELDS) for lv in levels])
        except stock.OutOfStock as refused:
            outcome = (
                "refused",
                refused.product.pk,
                refused.point.pk,
                refused.requested,
                refused.available,
            )
        levels = list(
            StockLevel.objects.order_by("pk").values_list(
                "pk", "merchant_id", "product_id", "point_id", "on_hand", "reserved", "updated_at"
            )
        )
        moved = sorted(StockMovement.objects.filter(pk__gt=before).values_list(*MOVEMENT_FIELDS))
        return outcome, levels, moved

    return rolled_back(run)


@on_postgresql
@pytest.mark.django_db
def test_stock_reserve_many_postgresql_equals_reserve_many_orm(make_merchant):
    rng = random.Random(43)
    news = [make_merchant() for _ in range(3)]
    shops = [new.merchant for new in news]
    grid = {}
    for merchant in shops:
        points = [make_point(merchant) for _ in range(3)]
        products = [make_product(merchant) for _ in range(4)]
        for point in points:
            for product in products:
                if rng.random() < 0.8:  # some pairs have no stock row at all
                    stock.receive_stock(
                        merchant=merchant, product=product, point=point, quantity=rng.randint(1, 9)
                    )
        StockLevel.objects.filter(merchant=merchant).update(reserved=F("on_hand") / 3)
        grid[merchant.pk] = (points, products)
    outcomes = set()
    for _ in range(24):
        new = rng.choice(news)
        points, products = grid[new.merchant.pk]
        changes = [
            stock.StockChange(rng.choice(products), rng.choice(points), rng.randint(1, 4))
            for _ in range(rng.randint(1, 5))
        ]
        postgresql = _reservation(stock._reserve_many_postgresql, new.merchant, changes, new.owner)
        orm = _reservation(stock._reserve_many, new.merchant, changes, new.owner)
        assert postgresql == orm
        outcomes.add(postgresql[0][0])
    assert outcomes == {"reserved", "refused"}  # the data exercised both outcomes


# --- merchant/services/inventory_csv.py SideProgress -----------------------------------------


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_inventory_csv_side_progress_is_what_the_orm_reads_inside_the_import_transaction(
    make_merchant,
):
    # No ORM path: elsewhere progress is simply not written until commit. The compared value
    # is the Job row as the ORM reads it while the import's transaction is still open.
    rng = random.Random(44)
    shops = merchants(make_merchant, 2)
    jobs = [
        Job.objects.create(merchant=m, kind="inventory_import", title="Import", total=40)
        for m in shops
    ]
    with transaction.atomic():
        progress = SideProgress(jobs[0], total=40)
        try:
            for n, steps in enumerate([*(rng.randint(1, 9) for _ in range(6)), 99]):
                message = rng.choice(["Writing stock", "Ünïcode ☕", "x" * 300]) + str(n)
                progress(steps, message)
                seen = set(Job.objects.values_list("pk", "done", "message"))
                assert seen == {(jobs[0].pk, progress.done, message[:255]), (jobs[1].pk, 0, "")}
        finally:
            progress.close()
    assert progress.done == 40  # the last 99 steps are clamped to the total
    assert set(Job.objects.values_list("pk", "done")) == {(jobs[0].pk, 40), (jobs[1].pk, 0)}


# --- merchant/services/health.py SELECT 1 ----------------------------------------------------


@pytest.mark.sqlite
@pytest.mark.django_db
def test_health_select_1_reaches_the_database():
    # No ORM path: `SELECT 1` asks only whether the database answers.
    assert check_database() == {"ok": True}


# --- merchant/rawsql.py CompiledQuery --------------------------------------------------------


def _orders_of(merchant_id: int, ids: Any):
    from fulfillment.models import Order

    return (
        Order.objects.filter(merchant_id=merchant_id, pk__in=ids)
        .values("id", "source", "created_at", "value")
        .order_by("id")
    )


@pytest.mark.sqlite
@pytest.mark.django_db
def test_compiled_query_reads_what_the_orm_reads_run_after_run(make_merchant):
    first, second = make_merchant(), make_merchant()
    mine = [make_order(first.merchant).pk for _ in range(3)]
    theirs = [make_order(second.merchant).pk for _ in range(2)]
    query = CompiledQuery(_orders_of)
    for merchant_id, ids in (
        (first.merchant.pk, mine),
        (first.merchant.pk, mine[:1] + theirs),  # another merchant's ids stay out
        (second.merchant.pk, theirs),
        (second.merchant.pk, []),
    ):
        expected = list(_orders_of(merchant_id, id_set(ids)))
        assert query.dicts(merchant_id, id_set(ids)) == expected
    assert [row["id"] for row in query.dicts(first.merchant.pk, id_set(mine))] == sorted(mine)
    if connection.vendor == "postgresql":
        assert len(query._compiled) == 1 and None not in query._compiled.values()  # compiled once


@pytest.mark.sqlite
@pytest.mark.django_db
def test_compiled_query_places_sets_of_different_kinds_each_in_its_own_slot(make_merchant):
    # Three sets with three casts in one statement: each run's sets land where theirs did.
    from fulfillment.models.analytics import AnalyticsZipDay

    merchant = make_merchant().merchant
    days = [dt.date(2026, 3, d) for d in (1, 2, 3)]
    for day in days:
        for zip_code in ("60601", 'a"b,{c}'):
            AnalyticsZipDay.objects.create(
                merchant=merchant, day=day, zip=zip_code, channel="api", delivery_kind="home"
            )

    def build(merchant_id, ids, on_days, zips):
        return (
            AnalyticsZipDay.objects.filter(
                merchant_id=merchant_id, pk__in=ids, day__in=on_days, zip__in=zips
            )
            .values_list("day", "zip")
            .order_by("day", "zip")
        )

    query = CompiledQuery(build)
    every = list(AnalyticsZipDay.objects.filter(merchant=merchant).values_list("pk", flat=True))
    for picked_days, zips in ((days[:2], ["60601"]), (days[1:], ['a"b,{c}', "60601"]), ([], [])):
        args = (merchant.pk, id_set(every), value_set(picked_days, "date"), value_set(zips, "text"))
        expected = list(build(*args))
        assert query.tuples(*args) == expected
        assert len(expected) == len(picked_days) * len(zips)


@on_postgresql
@pytest.mark.django_db
def test_compiled_query_leaves_columns_that_need_a_converter_and_reused_arguments_to_the_orm(
    make_merchant,
):
    from fulfillment.models.analytics import AnalyticsZipDay

    merchant = make_merchant().merchant
    make_order(merchant)
    # A JSON column is text until Django's converter reads it: compiled, it would come back raw.
    json_rows = CompiledQuery(
        lambda merchant_id: Job.objects.filter(merchant_id=merchant_id).values("id", "result")
    )
    Job.objects.create(merchant=merchant, kind="k", title="t", result={"a": [1]})
    assert json_rows.dicts(merchant.pk)[0]["result"] == {"a": [1]}
    assert list(json_rows._compiled.values()) == [None]
    # The same argument twice among the parameters: not safe to place by position.
    twice = CompiledQuery(
        lambda merchant_id: AnalyticsZipDay.objects.filter(
            merchant_id=merchant_id, point_id=merchant_id
        ).values_list("id")
    )
    assert twice.tuples(merchant.pk) == []
    assert list(twice._compiled.values()) == [None]


@on_postgresql
@pytest.mark.django_db
def test_array_literal_reads_back_every_text_in_its_order():
    # The fold stores contributions (JSON text) through one text[] parameter a column.
    texts = [
        '{"v":2,"d":[[[1,null,false,2,"api","home"],{"o":1}]]}',
        'a"b\\c,{d}',
        "NULL",
        "",
        " spaced ",
        "é ✓ \u2028",
        "60601",
    ]
    days = [dt.date(2026, 3, 8), dt.date(1999, 12, 31)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT unnest(%s::text[])", [array_literal(texts)])
        assert [row[0] for row in cursor.fetchall()] == texts
        cursor.execute(
            "SELECT unnest(%s::date[]), unnest(%s::bigint[])",
            [array_literal(days), int_array_literal([7, -3])],
        )
        assert cursor.fetchall() == [(days[0], 7), (days[1], -3)]


# --- merchant/timestamps.py (PostgreSQL loader, no SQL) ---------------------------------------


@on_postgresql
@pytest.mark.django_db
def test_timestamps_loader_reads_out_of_range_times_as_the_bounds(make_merchant):
    # No SQL and no ORM path: a psycopg loader registered on PostgreSQL connections only.
    job = Job.objects.create(merchant=make_merchant().merchant, kind="k", title="t")
    table = Job._meta.db_table
    for stored, read in (
        ("10000-01-01 00:00:00+00", LATEST),
        ("0001-01-01 00:00:00+00 BC", EARLIEST),
        ("2026-03-04 12:30:15.123456+00", NOW),
    ):
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET heartbeat_at = %s WHERE id = %s", [stored, job.pk])
        assert Job.objects.values_list("heartbeat_at", flat=True).get(pk=job.pk) == read


@on_postgresql
@pytest.mark.django_db
def test_timestamps_loader_reads_minus_infinity_as_the_earliest_bound():
    with connection.cursor() as cursor:
        cursor.execute("SELECT '-infinity'::timestamptz")
        assert cursor.fetchone()[0] == EARLIEST


@on_postgresql
@pytest.mark.django_db
def test_timestamps_loader_reads_what_djangos_own_loader_reads():
    # The loader parses with psycopg's C loader; Django's (pure Python) is the reference.
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader

    texts = [
        "2026-03-08 07:59:59.999999+00",  # the hour before Chicago's clocks go forward
        "2026-11-01 06:30:00+00",
        "1999-12-31 23:59:59.5+00",
        "2026-03-04 12:30:15.123456+00",
    ]
    reference = type("Reference", (BaseTzLoader,), {"timezone": dt.UTC})(1184, None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(["%s::timestamptz"] * len(texts)), texts)
        read = cursor.fetchone()
    loader = connection.connection.adapters.get_loader(1184, 0)(1184, connection.connection)
    assert type(loader._parse.__self__).__module__ == "psycopg_binary._psycopg"  # the C parser
    for text, value in zip(texts, read, strict=True):
        assert value == reference.load(text.encode()) and value.tzinfo is dt.UTC


@on_postgresql
@pytest.mark.django_db
def test_binary_reads_give_the_text_loaders_times_and_bounds():
    # CompiledQuery reads in binary (rawsql.binary_cursor): the same values as the text
    # loader, the same bounds for what Python cannot hold.
    from merchant.rawsql import binary_cursor

    texts = [
        "2026-03-08 07:59:59.999999+00",
        "2026-11-01 06:30:00+00",
        "1999-12-31 23:59:59.5+00",
        "10000-01-01 00:00:00+00",
        "0001-01-01 00:00:00+00 BC",
        "0001-01-01 03:00:00+00",  # year 1: no zone west of UTC could hold it
        "infinity",
        "-infinity",
    ]
    sql = "SELECT " + ", ".join(["%s::timestamptz"] * len(texts))
    with connection.cursor() as cursor:
        cursor.execute(sql, texts)
        as_text = cursor.fetchone()
    with binary_cursor() as cursor:
        cursor.execute(sql, texts)
        assert cursor.pgresult.fformat(0) == 1  # binary indeed
        as_binary = cursor.fetchone()
    assert as_binary == as_text
    assert as_binary[3:] == (LATEST, EARLIEST, EARLIEST, LATEST, EARLIEST)
    assert all(value.tzinfo is dt.UTC for value in as_binary)


# --- fulfillment/orders/services/routing.py plan_route PLAN_SQL -------------------------------


# PLAN_SQL's columns through the ORM: the point's POINT_FIELDS, then the stock row's.
PLAN_FIELDS = [
    *(f"point__{name}" if name != "id" else "point_id" for name in routing.POINT_FIELDS),
    "product_id",
    "on_hand",
    "reserved",
]


@pytest.mark.sqlite
@pytest.mark.django_db
def test_routing_plan_route_candidates_equal_the_orm_query(make_merchant):
    rng = random.Random(45)
    shops = merchants(make_merchant)
    catalogue = {}
    for merchant in shops:
        products = [make_product(merchant) for _ in range(4)]
        for _ in range(5):
            active = rng.random() < 0.75
            located = active or rng.random() < 0.5
            point = make_point(
                merchant,
                is_active=active,
                role=rng.choice(list(StoragePoint.Role)),
                latitude=rng.uniform(41.6, 42.1) if located else None,
                longitude=rng.uniform(-88.0, -87.5) if located else None,
                same_day_cutoff=rng.choice([None, dt.time(14, 0), dt.time(17, 30)]),
                opening_hours=rng.choice([{}, {"mon": [["09:00", "18:00"]]}]),
            )
            for product in rng.sample(products, 3):
                StockLevel.objects.create(
                    merchant=merchant,
                    product=product,
                    point=point,
                    on_hand=(on_hand := rng.randint(0, 6)),
                    reserved=rng.randint(0, on_hand),
                )
        catalogue[merchant.pk] = products

    point_rows = model_rows(StoragePoint, routing.POINT_FIELDS, connection.vendor)
    for merchant in shops:
        products = catalogue[merchant.pk]
        needs = {p.pk: rng.randint(1, 3) for p in rng.sample(products, rng.randint(1, 4))}
        ran: list[tuple[str, list]] = []

        def record(execute, sql, params, many, context, ran=ran):
            ran.append((sql, list(params)))
            return execute(sql, params, many, context)

        # The candidates are what is compared, not the choice: an Unroutable order will do.
        with connection.execute_wrapper(record), contextlib.suppress(routing.Unroutable):
            routing.plan_route(
                merchant=merchant,
                needs=needs,
                products={p.pk: p for p in products},
                destination=(41.9229, -87.6483),
                service_level="next_day",
            )
        assert len(ran) == 1  # plan_route's one query, run again here as it ran
        with connection.cursor() as cursor:
            cursor.execute(*ran[0])
            rows = cursor.fetchall()
        width = len(routing.POINT_FIELDS)
        raw = sorted(
            (*field_values(point_rows.instance(row), routing.POINT_FIELDS), *row[width:])
            for row in rows
        )
        orm = sorted(
            (*row[:-4], json.dumps(row[-4], sort_keys=True), *row[-3:])
            for row in StockLevel.objects.filter(
                merchant=merchant,
                product_id__in=needs,
                on_hand__gt=F("reserved"),
                point__is_active=True,
                point__role=StoragePoint.Role.IN_USE,
                point__latitude__isnull=False,
                point__longitude__isnull=False,
            ).values_list(*PLAN_FIELDS)
        )
        assert raw == orm


# --- fulfillment/tracking/ingest.py insert_events and write_states ----------------------------


def _shipments(shops: list, per_merchant: int) -> list[Shipment]:
    made = []
    for merchant in shops:
        order = make_order(merchant)
        made += [make_shipment(merchant, order=order) for _ in range(per_merchant)]
    return made


def _event_rows(rng: random.Random, shipments: list[Shipment], now: dt.datetime) -> list[tuple]:
    rows = []
    for shipment in shipments:
        for k in range(rng.randint(0, 4)):
            rows.append(
                (
                    shipment.merchant_id,
                    shipment.pk,
                    f"ev-{rng.randint(0, 3)}",  # repeats: within the batch and across batches
                    rng.choice(["in_transit", "out_for_delivery", "delivered"]),
                    now - dt.timedelta(minutes=rng.randint(0, 10_000), microseconds=k),
                    rng.choice(["", "IT", "DL"]),
                    rng.choice(["", "Departed hub", "Ünïcode ☕ “quoted”"]),
                    rng.choice(["", "Chicago, IL"]),
                    rng.choice(["", "NH"]),
                    rng.choice(list(ShipmentEvent.Source)).value,
                    "",
                    now,
                )
            )
    return rows


@on_postgresql
@pytest.mark.django_db
def test_ingest_insert_events_postgresql_equals_bulk_create(make_merchant):
    rng = random.Random(46)
    shipments = _shipments(merchants(make_merchant), 2)
    ingest.insert_events(_event_rows(rng, shipments, NOW))  # events already stored: conflicts
    batches = [_event_rows(rng, shipments, NOW) for _ in range(3)]

    def stored_after(vendor: str) -> list[tuple]:
        def run() -> list[tuple]:
            with as_vendor(vendor):
                for batch in batches:
                    ingest.insert_events(batch)
            return sorted(ShipmentEvent.objects.values_list(*ingest.EVENT_COLUMNS))

        return rolled_back(run)

    assert stored_after("postgresql") == stored_after("sqlite")


@on_postgresql
@pytest.mark.django_db
def test_ingest_insert_events_both_paths_store_the_batch_now_as_created_at(make_merchant):
    shipments = _shipments(merchants(make_merchant, 1), 1)
    rows = _event_rows(random.Random(52), shipments * 3, NOW)

    def created_after(vendor: str) -> set:
        def run() -> set:
            with as_vendor(vendor):
                ingest.insert_events(rows)
            return set(ShipmentEvent.objects.values_list("created_at", flat=True))

        return rolled_back(run)

    assert created_after("postgresql") == {NOW} == created_after("sqlite")


def _random_states(rng: random.Random, shipments: list[Shipment]) -> None:
    def when() -> dt.datetime | None:
        return rng.choice([None, NOW - dt.timedelta(seconds=rng.randint(0, 10**6))])

    for shipment in shipments:
        shipment.status = rng.choice(["in_transit", "delivered", "exception"])
        shipment.status_changed_at = when()
        shipment.status_reason = rng.choice(["", "NH", "Ünïcode ☕"])
        shipment.status_text = rng.choice(["", "Out for delivery", 'O\'Brien "quoted"'])
        shipment.last_event_at = when()
        shipment.handed_over_at = when()
        shipment.delivered_at = when()
        shipment.is_stuck = rng.random() < 0.5
        shipment.eta_from = when()
        shipment.eta_until = when()
        shipment.eta_confidence = rng.choice([None, rng.random()])
        shipment.eta_source = rng.choice(["", "courier", "history"])
        shipment.next_poll_at = when()
        shipment.last_polled_at = when()
        shipment.poll_failures = rng.randint(0, 30)
        shipment.last_error = rng.choice(["", "timeout"])


@on_postgresql
@pytest.mark.django_db
def test_ingest_write_states_postgresql_equals_bulk_update(make_merchant):
    shipments = _shipments(merchants(make_merchant), 2)
    written = shipments[: len(shipments) - 2]  # the last merchant's shipments stay as they are

    def stored_after(vendor: str) -> list[tuple]:
        def run() -> list[tuple]:
            _random_states(random.Random(48), written)  # the same states for both paths
            with as_vendor(vendor):
                ingest.write_states(written)
            fields = ["pk", "merchant_id", *ingest.UPDATED_FIELDS]
            return list(Shipment.objects.order_by("pk").values_list(*fields))

        return rolled_back(run)

    assert stored_after("postgresql") == stored_after("sqlite")


# --- lockers/services/options.py free_sizes, shop_loads, free_sizes_and_loads ----------------


def _network(rng: random.Random, shops: list) -> tuple[list[int], list[int]]:
    bank_ids, shop_ids = [], []
    for merchant in shops:
        order = make_order(merchant)
        for _ in range(3):
            bank = make_bank(merchant, compartments={"S": 2, "M": 2, "L": 2})
            bank_ids.append(bank.pk)
            for compartment in Compartment.objects.filter(bank=bank):
                compartment.inner_length_mm = rng.randint(50, 700)
                compartment.inner_width_mm = rng.randint(50, 700)
                compartment.inner_height_mm = rng.randint(50, 700)
                compartment.max_weight_g = rng.randint(1_000, 30_000)
                compartment.state = rng.choice(list(Compartment.State))
                compartment.save()
        for _ in range(3):
            shop = make_shop(merchant)
            shop_ids.append(shop.pk)
            for n in range(rng.randint(0, 4)):
                PickupParcel.objects.create(
                    merchant=merchant,
                    order=order,
                    tracking_number=f"TN-{shop.pk}-{n}",
                    shop=shop,
                    status=rng.choice(list(PickupParcel.Status)),
                    token=f"tok-{shop.pk}-{n}",
                    code_hash="x",
                    arrived_at=NOW,
                    collect_by=NOW + dt.timedelta(days=7),
                )
    return bank_ids, shop_ids


def _orm_free_sizes(merchant, bank_ids: list[int], parcel: Parcel) -> dict[int, str]:
    free = Compartment.objects.filter(
        merchant=merchant, state=Compartment.State.FREE, bank_id__in=bank_ids
    )
    ranks = fitting(free, parcel).order_by().values("bank_id").annotate(rank=Min(SIZE_RANK))
    return {row["bank_id"]: RANK_SIZE[row["rank"]] for row in ranks}


def _orm_shop_loads(merchant, shop_ids: list[int]) -> dict[int, int]:
    ready = PickupParcel.objects.filter(
        merchant=merchant, status=PickupParcel.Status.READY, shop_id__in=shop_ids
    )
    return dict(
        ready.order_by().values("shop_id").annotate(n=Count("pk")).values_list("shop_id", "n")
    )


@pytest.mark.sqlite
@pytest.mark.django_db
def test_options_free_sizes_shop_loads_and_both_equal_the_orm_aggregates(make_merchant):
    rng = random.Random(49)
    shops = merchants(make_merchant)
    bank_ids, shop_ids = _network(rng, shops)
    answered = set()
    for _ in range(30):
        merchant = rng.choice(shops)
        banks = rng.sample(bank_ids, rng.randint(0, 6))  # other merchants' ids too
        places = rng.sample(shop_ids, rng.randint(0, 6))
        parcel = Parcel(
            weight_g=rng.randint(1, 20_000),
            length_mm=rng.randint(1, 400),
            width_mm=rng.randint(1, 300),
            height_mm=rng.randint(1, 300),
        )
        sizes, loads = _orm_free_sizes(merchant, banks, parcel), _orm_shop_loads(merchant, places)
        assert options.free_sizes(merchant, banks, parcel) == sizes
        assert options.shop_loads(merchant, places) == loads
        assert options.free_sizes_and_loads(merchant, banks, places, parcel) == (sizes, loads)
        answered.update(sizes.values())
    assert answered == {"S", "M", "L"}  # the data exercised every size


# --- lockers/selectors/spatial.py _rows (the ORM's SQL through a plain cursor) ----------------


@pytest.mark.sqlite
@pytest.mark.django_db
def test_spatial_rows_equal_the_orm_values_list(make_merchant):
    rng = random.Random(50)
    shops = merchants(make_merchant)
    hours = [{}, {"mon": [["09:00", "18:00"]]}, {"sat": [["10:00", "14:00"]], "sun": []}]
    for merchant in shops:
        for _ in range(4):
            at = (rng.uniform(41.6, 42.1), rng.uniform(-88.0, -87.5))
            make_bank(
                merchant,
                at=at,
                compartments={},
                is_active=rng.random() < 0.8,
                is_24_7=rng.random() < 0.5,
                opening_hours=rng.choice(hours),
            )
            make_shop(
                merchant,
                at=at,
                is_active=rng.random() < 0.8,
                holding_capacity=rng.randint(1, 50),
                opening_hours=rng.choice(hours),
            )

    def typed(rows: list[tuple]) -> list[tuple]:
        # Types too: the rows reach the delivery-options JSON as they are (1 is not true).
        return [tuple((type(v).__name__, v) for v in row) for row in rows]

    for merchant in shops:
        # The two queries network_indexes builds.
        for model, extra in ((LockerBank, "is_24_7"), (PickupShop, "holding_capacity")):
            query = (
                model.objects.filter(merchant_id=merchant.pk, is_active=True)
                .order_by("pk")
                .values_list(*spatial.INDEX_FIELDS, extra)
            )
            raw, orm = spatial._rows(query), list(query)
            assert raw == orm
            assert typed(raw) == typed(orm)


# --- lockers/api/publishable.py _origin_has_a_key ---------------------------------------------


@pytest.mark.sqlite
@pytest.mark.django_db
def test_publishable_origin_has_a_key_postgresql_contains_equals_python(make_merchant):
    rng = random.Random(51)
    shops = merchants(make_merchant)
    hosts = [f"https://shop{n}.example" for n in range(8)]
    for merchant in shops:
        for _ in range(2):
            issue_api_key(
                merchant=merchant,
                kind=ApiKey.Kind.PUBLISHABLE,
                name="Widget",
                allowed_origins=rng.sample(hosts, 2),
            )
    revoked = issue_api_key(
        merchant=shops[0],
        kind=ApiKey.Kind.PUBLISHABLE,
        name="Old",
        allowed_origins=["https://revoked.example"],
    )
    revoke_api_key(api_key=revoked.api_key)
    issue_api_key(
        merchant=shops[1],
        kind=ApiKey.Kind.SECRET,
        name="Server",
        allowed_origins=["https://secret-only.example"],
    )
    active = ApiKey.objects.filter(kind=ApiKey.Kind.PUBLISHABLE, revoked_at__isnull=True)
    listed = {o for origins in active.values_list("allowed_origins", flat=True) for o in origins}
    asked = [
        *hosts,
        "https://revoked.example",
        "https://secret-only.example",
        "http://localhost:8000",  # every merchant's default widget key
        "https://shop1.example.com",
        "https://shop1",
        "",
    ]
    expected = [origin in listed for origin in asked]
    branches = ["sqlite"] if connection.vendor == "sqlite" else ["postgresql", "sqlite"]
    for vendor in branches:
        with as_vendor(vendor):
            assert [publishable._origin_has_a_key(origin) for origin in asked] == expected
    assert True in expected and False in expected
