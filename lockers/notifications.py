"""Emails to shoppers about parcels at lockers and shops: plain text in the shop's name with
its reply-to, logged on the order (fulfillment/messaging). The tracking notifications may take
these over by disconnecting `email_pickup_code` from the signal."""

from __future__ import annotations

import logging

from django.utils.formats import date_format

from fulfillment.messaging.services.sending import send_plain_email
from lockers.models import PickupParcel
from merchant.zones import local_time

logger = logging.getLogger(__name__)


def _collect_by(parcel: PickupParcel) -> str:
    """The deadline in the pickup place's zone (its merchant's), with the zone named: a shopper
    reading the mail elsewhere must not guess. E.g. "Dec. 12, 2026, 6 p.m. CST"."""
    moment = local_time(parcel.collect_by, parcel.order.merchant)
    return f"{date_format(moment, 'DATETIME_FORMAT', use_l10n=True)} {moment.tzname()}"


def _where(parcel: PickupParcel) -> str:
    place = parcel.bank or parcel.shop
    return f"{place.name}, {place.address}"


def email_pickup_code(sender, *, parcel: PickupParcel, pin: str, qr_payload: str, **kw) -> None:
    order = parcel.order
    if not order.shopper_email:
        return
    body = (
        f"Hello {order.shopper_name},\n\nyour parcel {parcel.tracking_number} is ready at "
        f"{_where(parcel)}.\n\nPickup code: {pin}\n(QR code text: {qr_payload})\n\n"
        f"Collect it by {_collect_by(parcel)}; after that "
        "it goes back to the shop.\n"
    )
    try:
        send_plain_email(
            merchant=order.merchant, to=order.shopper_email, order=order,
            subject=f"Your parcel is ready: code {pin}", text=body, event="available_for_pickup",
        )  # fmt: skip
    except Exception:  # the code stays valid; staff can see the parcel on the counter page
        logger.warning("Could not email the pickup code of parcel %s", parcel.pk, exc_info=True)


def send_expiry_reminder(parcel: PickupParcel) -> None:
    order = parcel.order
    if not order.shopper_email:
        return
    body = (
        f"Hello {order.shopper_name},\n\nyour parcel {parcel.tracking_number} is still waiting "
        f"at {_where(parcel)}. Collect it by {_collect_by(parcel)}"
        " with the code we sent you; after that it goes back to the shop.\n"
    )
    send_plain_email(
        merchant=order.merchant, to=order.shopper_email, order=order,
        subject="Your parcel goes back tomorrow", text=body, event="available_for_pickup",
    )  # fmt: skip
