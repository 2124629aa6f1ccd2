"""An own-delivery order booked while today's routes are planned or running joins them: the
cheapest feasible place after the done stops (services.insert_order), without a click."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True, name="fulfillment.tasks.insert_booked_order")
def insert_booked_order(order_id: int) -> str:
    from fulfillment.fleet.dispatch.services import NotInserted, insert_order
    from fulfillment.models import Order

    order = Order.objects.select_related("merchant").filter(pk=order_id).first()
    if order is None:
        return "gone"
    try:
        stop = insert_order(order=order)
    except NotInserted as refusal:
        # No route of its hub today, after the cut-off, already on a route, nowhere feasible:
        # the next wave's plan takes it, and the dispatcher board can still insert it by hand.
        logger.info("order %s not inserted into running routes: %s", order_id, refusal.messages)
        return refusal.reason
    return f"route {stop.route_id}"
