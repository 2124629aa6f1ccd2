"""Reading the merchant's drivers."""

from __future__ import annotations

from django.db.models import QuerySet

from fulfillment.models import Driver
from merchant.models import Merchant, get_for_merchant_or_404


def drivers_for_list(merchant: Merchant, *, show_inactive: bool = False) -> QuerySet[Driver]:
    drivers = Driver.objects.for_merchant(merchant)
    return drivers if show_inactive else drivers.filter(is_active=True)


def get_driver_for_merchant(merchant: Merchant, driver_id: object) -> Driver:
    """The merchant's driver; Http404 for another merchant's id or garbage."""
    return get_for_merchant_or_404(Driver, merchant, driver_id)
