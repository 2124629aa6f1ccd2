"""merchant/rawsql.py: the hand-written SQL of hot paths gives what the ORM would give."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from merchant.models import DemandRecord, StoragePoint
from merchant.rawsql import insert_many, model_rows
from tests.factories.merchant import make_point, make_product

pytestmark = pytest.mark.sqlite  # hand-written SQL or a vendor branch: runs on SQLite too


@pytest.mark.django_db
def test_insert_many_writes_every_group_in_one_statement_and_sets_the_ids_in_order(merchant_a):
    merchant = merchant_a.merchant
    tea, mug = make_product(merchant, sku="TEA"), make_product(merchant, sku="MUG")
    first = make_point(merchant, name="North")
    records = [
        DemandRecord(
            merchant=merchant,
            ordered_on=dt.date(2026, 3, n),
            postal_code=f"6061{n}",
            latitude=41.9 + n / 100,
            longitude=-87.6,
            product=product,
            units=n,
            source="order",
            reference=f"order:{n}",
        )
        for n, product in ((1, tea), (2, mug), (3, None))
    ]
    point = StoragePoint(
        merchant=merchant,
        name="South",
        postal_code="60607",
        latitude=41.88,
        longitude=-87.64,
        opening_hours={"mon": [["09:00", "17:00"]]},
    )

    with CaptureQueriesContext(connection) as queries:
        insert_many(records, [point])

    # One statement on PostgreSQL; elsewhere one bulk_create per group.
    assert len(queries.captured_queries) == (1 if connection.vendor == "postgresql" else 2)
    assert point.pk and point.pk != first.pk and not point._state.adding
    saved = {r.pk: r for r in DemandRecord.objects.filter(merchant=merchant)}
    assert [saved[r.pk].reference for r in records] == ["order:1", "order:2", "order:3"]
    assert [saved[r.pk].product_id for r in records] == [tea.pk, mug.pk, None]
    assert saved[records[1].pk].ordered_on == dt.date(2026, 3, 2)
    assert StoragePoint.objects.get(pk=point.pk).opening_hours == {"mon": [["09:00", "17:00"]]}


@pytest.mark.django_db
def test_insert_many_refuses_a_group_of_two_models(merchant_a):
    merchant = merchant_a.merchant
    with pytest.raises(TypeError):
        insert_many([DemandRecord(merchant=merchant), StoragePoint(merchant=merchant)])


@pytest.mark.django_db
def test_model_rows_convert_raw_columns_as_the_orm_does(merchant_a):
    point = make_point(merchant_a.merchant, name="North")
    StoragePoint.objects.filter(pk=point.pk).update(opening_hours={"tue": [["08:00", "12:00"]]})
    rows = model_rows(StoragePoint, ("id", "name", "opening_hours"), connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {rows.select_list('p')} FROM merchant_storagepoint p WHERE p.id = %s",
            [point.pk],
        )
        (made,) = rows.instances(cursor.fetchall())

    assert made.pk == point.pk and made.name == "North"
    assert made.opening_hours == {"tue": [["08:00", "12:00"]]}
