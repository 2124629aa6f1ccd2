"""A booked pick-up of a merchant, for the tenant-isolation sweep and the API fuzzing."""

import datetime as dt

from fulfillment.capacity.services import save_pickup
from fulfillment.models import CourierPickup
from merchant.models import Merchant
from tests.factories.couriers import make_account
from tests.factories.merchant import make_point


def make_pickup(merchant: Merchant, **fields) -> CourierPickup:
    values = dict(
        point=fields.pop("point", None) or make_point(merchant),
        account=fields.pop("account", None) or make_account(merchant),
        weekdays=[0, 2, 4],
        max_parcels=30,
        today=dt.date(2026, 12, 7),
    )
    values.update(fields)
    return save_pickup(merchant=merchant, **values)


TENANT_FACTORIES = {"pickup_id": lambda new: make_pickup(new.merchant).pk}
