"""Every order is scored as it comes in (order_created, sent after commit), so analytics and the
exceptions queue can read its risk (fulfillment.models.risk.OrderRisk)."""

from __future__ import annotations

import logging

from fulfillment.orders.signals import order_created

log = logging.getLogger(__name__)


def on_order_created(sender, *, order_id: int, merchant_id: int, **_) -> None:
    from fulfillment.models import Order
    from fulfillment.risk.services import score_order

    order = Order.objects.filter(pk=order_id, merchant_id=merchant_id).select_related("merchant")
    found = order.first()
    if found is None:
        return
    try:
        score_order(order=found)
    except Exception:  # the order is already written: a missing score never fails intake
        log.exception("address risk: could not score order %s", order_id)


def forget_cached(sender, instance, **_) -> None:
    """A saved setting or a new model is used at once by this process (others: within the TTL)."""
    from fulfillment.risk.services import forget

    forget(instance.merchant_id)


def connect() -> None:
    from django.db.models.signals import post_save

    from fulfillment.models.risk import AddressRiskModel, AddressRiskSettings

    order_created.connect(on_order_created, dispatch_uid="fulfillment.risk.on_order_created")
    for model in (AddressRiskModel, AddressRiskSettings):
        post_save.connect(forget_cached, sender=model, dispatch_uid=f"risk.forget.{model.__name__}")
