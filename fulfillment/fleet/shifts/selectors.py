"""Reading shifts."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from fulfillment.models import Shift
from merchant.models import Merchant, get_for_merchant_or_404


def shifts_for_list(merchant: Merchant, *, since: date | None = None) -> QuerySet[Shift]:
    shifts = Shift.objects.for_merchant(merchant).select_related(
        "driver", "vehicle", "start_point", "end_point"
    )
    return shifts.filter(date__gte=since) if since else shifts


def shifts_on(merchant: Merchant, day: date) -> QuerySet[Shift]:
    return shifts_for_list(merchant).filter(date=day, driver__is_active=True)


def get_shift_for_merchant(merchant: Merchant, shift_id: object) -> Shift:
    """The merchant's shift; Http404 for another merchant's id or garbage."""
    return get_for_merchant_or_404(Shift, merchant, shift_id)
