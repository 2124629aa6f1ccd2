"""Analytics tasks: the minute's fold of the dirty orders and days (config/beat.py) and a rebuild
of a range. Both are idempotent: the fold adds each order's new-minus-stored contribution once
(a second run finds a zero delta); a rebuild recomputes days whole from the source rows."""

from __future__ import annotations

import datetime as dt

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True, name="fulfillment.tasks.fold_analytics_days")
def fold_analytics_days() -> int:
    from fulfillment.analytics.services.dirty import fold_dirty_days

    return fold_dirty_days()


@shared_task(acks_late=True, ignore_result=True, name="fulfillment.tasks.rebuild_analytics")
def rebuild_analytics(
    merchant_id: int, date_from: str | None = None, date_to: str | None = None
) -> int:
    from fulfillment.analytics.services.rollups import rebuild
    from merchant.models import Merchant

    merchant = Merchant.objects.filter(pk=merchant_id).first()
    if merchant is None:
        return 0
    return rebuild(
        merchant=merchant,
        date_from=dt.date.fromisoformat(date_from) if date_from else None,
        date_to=dt.date.fromisoformat(date_to) if date_to else None,
    )
