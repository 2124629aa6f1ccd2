"""Reading the merchant's vehicles."""

from __future__ import annotations

from django.db.models import QuerySet

from fulfillment.models import Vehicle
from merchant.models import Merchant, get_for_merchant_or_404


def vehicles_for_list(merchant: Merchant, *, show_inactive: bool = False) -> QuerySet[Vehicle]:
    vehicles = Vehicle.objects.for_merchant(merchant)
    return vehicles if show_inactive else vehicles.filter(is_active=True)


def get_vehicle_for_merchant(merchant: Merchant, vehicle_id: object) -> Vehicle:
    """The merchant's vehicle; Http404 for another merchant's id or garbage."""
    return get_for_merchant_or_404(Vehicle, merchant, vehicle_id)
