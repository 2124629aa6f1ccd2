"""The checkout's two hot queries (free compartments, shop loads), run as one round trip."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lockers.models import Compartment, PickupParcel
from lockers.parcels import Parcel
from lockers.services import options
from tests.factories.lockers import LOOP, make_bank, make_shop
from tests.factories.orders import make_order

pytestmark = pytest.mark.sqlite  # hand-written SQL or a vendor branch: runs on SQLite too

_seq = itertools.count(1)
SMALL = Parcel(weight_g=500, length_mm=300, width_mm=200, height_mm=50)


def park(shop, n: int) -> None:
    """`n` parcels waiting for collection at `shop`."""
    now = timezone.now()
    for _ in range(n):
        PickupParcel.objects.create(
            merchant=shop.merchant,
            order=make_order(shop.merchant),
            tracking_number=f"TN{next(_seq)}",
            shop=shop,
            token=f"tok-{next(_seq)}",
            code_hash="x",
            arrived_at=now,
            collect_by=now + dt.timedelta(days=7),
        )


@pytest.mark.django_db
def test_sizes_and_loads_in_one_query_equal_the_two_queries(merchant_a):
    merchant = merchant_a.merchant
    roomy = make_bank(merchant, compartments={"S": 1, "L": 1})
    only_small = make_bank(merchant, compartments={"S": 2})
    full = make_bank(merchant, compartments={"M": 1})
    Compartment.objects.filter(bank=full).update(state=Compartment.State.OCCUPIED)
    busy, quiet = make_shop(merchant), make_shop(merchant)
    park(busy, 2)
    banks, shops = [roomy.pk, only_small.pk, full.pk], [busy.pk, quiet.pk]
    tall = Parcel(weight_g=500, length_mm=300, width_mm=200, height_mm=150)
    for parcel, expected in ((SMALL, {roomy.pk: "S", only_small.pk: "S"}), (tall, {roomy.pk: "L"})):
        with CaptureQueriesContext(connection) as queries:
            sizes, loads = options.free_sizes_and_loads(merchant, banks, shops, parcel)
        assert len(queries) == 1
        assert sizes == expected == options.free_sizes(merchant, banks, parcel)
        assert loads == {busy.pk: 2} == options.shop_loads(merchant, shops)


@pytest.mark.django_db
def test_a_full_shop_is_not_offered(merchant_a):
    merchant = merchant_a.merchant
    make_bank(merchant, at=LOOP)
    full = make_shop(merchant, at=LOOP, name="Full", holding_capacity=2)
    room = make_shop(merchant, at=(41.8900, -87.6200), name="Room", holding_capacity=2)
    park(full, 2)
    park(room, 1)
    answer = options.delivery_options(
        merchant=merchant, destination=options.Destination(*LOOP, "60601"), parcel=SMALL
    )
    assert [shop["id"] for shop in answer["shops"]] == [room.pk]
    assert len(answer["lockers"]) == 1


@pytest.mark.django_db
def test_another_merchants_parcels_do_not_fill_a_shop(merchant_a, merchant_b):
    shop = make_shop(merchant_a.merchant, holding_capacity=1)
    assert options.shop_loads(merchant_b.merchant, [shop.pk]) == {}
    park(shop, 1)
    assert options.shop_loads(merchant_a.merchant, [shop.pk]) == {shop.pk: 1}
    assert options.shop_loads(merchant_b.merchant, [shop.pk]) == {}


@pytest.mark.django_db
def test_the_index_rows_are_the_orms_rows_with_hours_decoded(merchant_a):
    from lockers.models import LockerBank, PickupShop
    from lockers.selectors import spatial

    merchant = merchant_a.merchant
    hours = {"mon": [["09:00", "18:00"]], "sat": [["10:00", "14:00"]]}
    make_bank(merchant, is_24_7=False, opening_hours=hours)
    make_bank(merchant)
    make_shop(merchant, opening_hours=hours)
    make_shop(merchant, opening_hours=hours)
    indexes = spatial.network_indexes(merchant.pk, "test")
    banks = LockerBank.objects.filter(merchant=merchant).order_by("pk")
    shops = PickupShop.objects.filter(merchant=merchant).order_by("pk")
    assert indexes["lockers"].rows == list(banks.values_list(*spatial.INDEX_FIELDS, "is_24_7"))
    assert indexes["shops"].rows == list(
        shops.values_list(*spatial.INDEX_FIELDS, "holding_capacity")
    )
    assert indexes["shops"].rows[0][spatial.HOURS_COL] == hours
