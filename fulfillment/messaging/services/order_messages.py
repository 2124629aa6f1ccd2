"""Messages about an order outside the parcel's tracking: the return label is ready, the
return arrived. Each event goes to an order's shopper once (the order row is locked while it is
checked and sent), in the shop's brand and the shopper's language, as the merchant's channel
switches allow."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from fulfillment.messaging.services import composing, rendering, sending
from fulfillment.models import NotificationSettings, Order, SentMessage, Shipment
from fulfillment.models.returns import ReturnRequest
from merchant.zones import merchant_zone

logger = logging.getLogger(__name__)

RETURN_EVENTS = {
    ReturnRequest.State.APPROVED: "return_label_ready",
    ReturnRequest.State.RECEIVED: "return_received",
}


def return_context(request: ReturnRequest) -> dict[str, Any]:
    order = request.order
    shipment = request.shipment
    portal = reverse("returns_portal_return", args=[order.merchant.slug, request.public_token])
    return {
        "kind": RETURN_EVENTS.get(request.state, ""),
        "merchant": order.merchant,
        "courier": shipment.account.name if shipment else request.dropoff_place,
        "shopper_name": order.shopper_name,
        "order_reference": order.reference or f"#{order.pk}",
        "tracking_url": settings.NEARBOX_BASE_URL + portal,
        "tracking_number": shipment.tracking_number if shipment else request.dropoff_code,
    }


def send_return_message(*, return_id: int) -> list[SentMessage]:
    """The message of the return's current state (label ready, received), once per order."""
    request = (
        ReturnRequest.objects.select_related("order__merchant", "shipment__account")
        .filter(pk=return_id)
        .first()
    )
    if request is None or request.state not in RETURN_EVENTS:
        return []
    if request.state == ReturnRequest.State.APPROVED and request.method != "label":
        return []  # a drop-off code is shown in the portal; there is no label to announce
    return send_order_message(
        order_id=request.order_id, event=RETURN_EVENTS[request.state],
        context=return_context(request),
    )  # fmt: skip


def parcel_context(shipment: Shipment, *, event: str, **extra: Any) -> dict[str, Any]:
    """The placeholders of a message about one parcel outside its tracking events (a redirect
    to a pickup point, a new delivery day: #20 item 4), plus the event's own values."""
    order = shipment.order
    token_url = reverse("tracking_page", args=[shipment.public_token])
    return {
        "kind": event,
        "merchant": order.merchant,
        "courier": shipment.account.name,
        "shopper_name": order.shopper_name,
        "order_reference": order.reference or f"#{order.pk}",
        "tracking_url": settings.NEARBOX_BASE_URL + token_url,
        "tracking_number": shipment.tracking_number,
        **extra,
    }


def send_order_message(
    *, order_id: int, event: str, context: dict[str, Any], once_per_order: bool = True
) -> list[SentMessage]:
    """The event's message to the order's shopper on the merchant's channels. Once per order
    and event unless `once_per_order` is off (the caller claims its own record first: one
    message per redirect, per new day)."""
    sent: list[SentMessage] = []
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("merchant").get(pk=order_id)
        merchant = order.merchant
        done = SentMessage.objects.filter(order=order, event=event, is_test=False).exclude(
            state=SentMessage.State.FAILED
        )
        if once_per_order and done.exists():
            return sent
        prefs = NotificationSettings.objects.for_merchant(merchant).first()
        prefs = prefs or NotificationSettings(merchant=merchant)
        language = rendering.shopper_language(order.language)
        with merchant_zone(merchant):
            if prefs.email_enabled and order.shopper_email:
                email = composing.compose_email(
                    merchant, event=event, language=language, context=context
                )
                sent.append(_guarded(lambda: sending.send_email(
                    merchant=merchant, to=order.shopper_email, email=email, event=event,
                    language=language, order=order,
                )))  # fmt: skip
            if prefs.sms_enabled and order.shopper_phone:
                text = composing.compose_sms(
                    merchant, event=event, language=language, context=context
                )
                sent.append(_guarded(lambda: sending.send_sms(
                    merchant=merchant, to=order.shopper_phone, text=text, event=event,
                    reference=f"order-{order.pk}-{event}", language=language, order=order,
                )))  # fmt: skip
    return [message for message in sent if message is not None]


def _guarded(send) -> SentMessage | None:
    """One channel's failure is logged as a failed row (sending does) and does not stop the
    other channel."""
    try:
        return send()
    except Exception:
        logger.warning("shopper message failed", exc_info=True)
        return None
