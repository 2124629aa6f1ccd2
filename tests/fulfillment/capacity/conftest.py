"""A shop with eight weeks of 100 orders a day, one hub with own delivery (waves 10:00 and
15:00), two drivers on TOMORROW, a bike courier serving the hub's ZIP and a dearer next-day
courier; TODAY is fixed."""

import datetime as dt

import pytest

from fulfillment.couriers.services.accounts import create_area
from fulfillment.fleet.services.setup import save_fleet_service
from fulfillment.models import Driver, Shift, Vehicle
from merchant.models import DemandRecord
from tests.factories.couriers import make_account, make_service
from tests.factories.merchant import make_point

TODAY = dt.date(2026, 12, 7)  # a Monday
TOMORROW = TODAY + dt.timedelta(days=1)


def demand(merchant, *, per_day: int, days: int = 56, today: dt.date = TODAY) -> None:
    DemandRecord.objects.bulk_create(
        DemandRecord(
            merchant=merchant,
            ordered_on=today - dt.timedelta(days=d),
            postal_code="60614",
            latitude=41.92,
            longitude=-87.65,
        )
        for d in range(1, days + 1)
        for _ in range(per_day)
    )


def shift(merchant, hub, *, name: str, day: dt.date, parcels: int = 20, **fields) -> Shift:
    driver = Driver.objects.create(merchant=merchant, name=name)
    vehicle = Vehicle.objects.create(
        merchant=merchant, name=f"{name}'s van", capacity_parcels=parcels, capacity_g=10**6,
        capacity_ml=10**6,
    )  # fmt: skip
    values = dict(
        starts_at=dt.time(8), ends_at=dt.time(16), start_point=hub, end_point=hub,
        breaks=[{"start": "12:00", "end": "14:00", "minutes": 30}],
    )  # fmt: skip
    values.update(fields)
    return Shift.objects.create(
        merchant=merchant, driver=driver, vehicle=vehicle, date=day, **values
    )


@pytest.fixture
def shop(merchant_a):
    return build_shop(merchant_a.merchant, today=TODAY)


def build_shop(merchant, *, today: dt.date) -> dict:
    tomorrow = today + dt.timedelta(days=1)
    hub = make_point(merchant, name="Lincoln Park", postal_code="60614")
    save_fleet_service(
        merchant=merchant, hub=hub, name="Own drivers", area_kind="radius", radius_km=8,
        cutoff=dt.time(13), waves=["10:00", "15:00"],
    )  # fmt: skip
    demand(merchant, per_day=100, today=today)
    shift(merchant, hub, name="Maya Ortiz", day=tomorrow)
    shift(merchant, hub, name="Luis Ramirez", day=tomorrow)
    bike = make_account(merchant, name="Bike courier", area=False)
    make_service(bike, level="same_day", name="Same day", base_minor=900)
    create_area(account=bike, kind="zip", zip_codes="60614, 60622")
    parcel = make_account(merchant, name="Parcel Co")  # 50 km around the Loop
    make_service(parcel, level="next_day", name="Next day", base_minor=400)
    return {"merchant": merchant, "hub": hub, "bike": bike, "parcel": parcel}
