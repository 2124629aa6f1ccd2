"""Shopper notifications: each sent at most once (the row is claimed pending → sending by one
conditional UPDATE before anything goes out), by email (HTML and text in the merchant's
branding, Django's mail) and by SMS (sms.py), as the merchant's settings allow."""

from __future__ import annotations

import logging
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from fulfillment.models import Notification, NotificationSettings, Shipment
from fulfillment.orders.services import status as order_status
from fulfillment.tracking import hooks
from fulfillment.tracking.sms import SmsMessage, get_sms_backend
from merchant.models import Merchant
from merchant.zones import merchant_zone

logger = logging.getLogger(__name__)

COPY = {
    "shipped": (
        "Your order from {shop} is on its way",
        "Your parcel is on its way",
        "We handed your parcel to {courier}.",
    ),
    "out_for_delivery": (
        "Your {shop} parcel arrives today",
        "Out for delivery",
        "The driver has your parcel and is delivering it today.",
    ),
    "available_for_pickup": (
        "Your {shop} parcel is ready for pickup",
        "Ready for pickup",
        "Your parcel is waiting for you at the pickup point.",
    ),
    "delivered": (
        "Your {shop} parcel was delivered",
        "Delivered",
        "Your parcel was delivered. Enjoy!",
    ),
    "failed_attempt": (
        "We missed you: your {shop} parcel",
        "We tried to deliver your parcel",
        "Nobody could take the parcel. The courier will try again, or you can have it sent "
        "to a locker or pickup shop near you.",
    ),
    # The lead is the courier's name and minutes away, filled in when sent (nearby.py).
    "nearby": (
        "Your {shop} parcel is nearly there",
        "Your courier is nearly there",
        "Your courier is nearly there with your parcel.",
    ),
}
# Kinds with their own templates (fulfillment/emails/<name>.html, .txt, _sms.txt).
TEMPLATES = {"nearby": "nearby"}
OUTDATED = "Not sent: the parcel had already moved on (a later update is the one that counts)."
PICKUP_CODE_PLACEHOLDER = "You will receive your pickup code in a separate message."


def get_settings(merchant: Merchant) -> NotificationSettings:
    prefs = NotificationSettings.objects.for_merchant(merchant).first()
    return prefs or NotificationSettings(merchant=merchant)


def update_settings(*, merchant: Merchant, **switches: bool) -> NotificationSettings:
    fields = {
        "shipped", "out_for_delivery", "available_for_pickup", "delivered", "failed_attempt",
        "nearby", "email_enabled", "sms_enabled",
    }  # fmt: skip
    unknown = set(switches) - fields
    if unknown:
        raise ValueError(f"unknown notification setting {sorted(unknown)[0]}")
    with transaction.atomic():
        prefs, _ = NotificationSettings.objects.select_for_update().get_or_create(merchant=merchant)
        for name, value in switches.items():
            setattr(prefs, name, bool(value))
        prefs.save()
    return prefs


def tracking_url(shipment: Shipment) -> str:
    return settings.NEARBOX_BASE_URL + reverse("tracking_page", args=[shipment.public_token])


def message_context(notification: Notification) -> dict:
    shipment = notification.shipment
    merchant = notification.merchant
    order = shipment.order
    tz = zoneinfo.ZoneInfo(merchant.time_zone or "UTC")
    subject, headline, lead = COPY[notification.kind]
    names = {"shop": merchant.name, "courier": shipment.account.name}
    context = {
        "kind": notification.kind,
        "subject": subject.format(**names),
        "headline": headline,
        "lead": lead.format(**names),
        "merchant": merchant,
        "brand_color": merchant.brand_color or "#0f766e",
        "logo_url": (
            settings.NEARBOX_BASE_URL + reverse("merchant_logo", args=[merchant.slug])
            if merchant.logo
            else ""
        ),
        "shopper_name": order.shopper_name,
        "order_reference": order.reference or f"#{order.pk}",
        "tracking_url": tracking_url(shipment),
        "tracking_number": shipment.tracking_number,
        "eta_from": timezone.localtime(shipment.eta_from, tz) if shipment.eta_from else None,
        "eta_until": timezone.localtime(shipment.eta_until, tz) if shipment.eta_until else None,
        "eta_confidence": shipment.eta_confidence,
        "pickup_code": "",
        "pickup_point": None,
        "offer_redirect": notification.kind == "failed_attempt",
    }
    if notification.kind == "available_for_pickup":
        context["pickup_code"] = hooks.pickup_code(shipment) or ""
        context["pickup_code_placeholder"] = PICKUP_CODE_PLACEHOLDER
        context["pickup_point"] = hooks.pickup_point(shipment)
    if notification.kind == "nearby":
        from fulfillment.tracking import nearby  # nearby queues through this module

        copy = nearby.message_copy(shipment)
        context.update(copy, lead=copy["nearby_lead"] + ".", subject=copy["nearby_lead"])
    return context


CLAIM_CHUNK = 10  # rows claimed at a time: a worker killed mid-send loses at most these


def send_notification(*, notification_id: int) -> Notification | None:
    """Send one notification; any later call for the same row sends nothing."""
    sent = send_notifications(notification_ids=[notification_id])
    return sent[0] if sent else None


def send_notifications(*, notification_ids: list[int]) -> list[Notification]:
    """Send these notifications, each at most once: a chunk of rows is claimed pending →
    sending in one transaction before anything goes out, so a redelivered task, a second task
    for the same rows or a concurrent worker sends none of them again. One mail connection for
    the whole call. Returns the notifications this call claimed (sent, skipped or failed)."""
    done: list[Notification] = []
    ids = list(dict.fromkeys(notification_ids))
    if not ids:
        return done
    prefs_by_merchant: dict[int, NotificationSettings] = {}
    mail = get_connection()
    with mail:
        for start in range(0, len(ids), CLAIM_CHUNK):
            claimed = _claim(ids[start : start + CLAIM_CHUNK])
            if claimed:
                done.extend(_send_claimed(claimed, prefs_by_merchant, mail))
    return done


def _claim(ids: list[int]) -> list[Notification]:
    with transaction.atomic():
        mine = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk__in=ids, state=Notification.State.PENDING)
            .values_list("pk", flat=True)
        )
        if not mine:
            return []
        Notification.objects.filter(pk__in=mine).update(state=Notification.State.SENDING)
    return list(
        Notification.objects.select_related(
            "merchant", "shipment__order", "shipment__account"
        ).filter(pk__in=mine)
    )


def _send_claimed(
    claimed: list[Notification], prefs_by_merchant: dict[int, NotificationSettings], mail
) -> list[Notification]:
    outcomes: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    already_sent = sent_kinds([n.shipment_id for n in claimed], states=[Notification.State.SENT])
    for notification in claimed:
        prefs = prefs_by_merchant.get(notification.merchant_id)
        if prefs is None:
            prefs = prefs_by_merchant[notification.merchant_id] = get_settings(
                notification.merchant
            )
        channels: list[str] = []
        # Checked again when sending: the parcel may have moved on since the row was queued
        # (checked in at the locker, a later message sent), and news goes out in order only.
        if not order_status.message_allowed(
            order=notification.shipment.order,
            kind=notification.kind,
            sent_kinds=already_sent[notification.shipment_id],
            parcel_status=notification.shipment.status,
        ):
            notification.state, notification.channels, notification.detail = (
                Notification.State.SKIPPED, "", OUTDATED
            )  # fmt: skip
            outcomes[(notification.state, "", OUTDATED)].append(notification.pk)
            continue
        try:
            _deliver(notification, prefs, mail, channels)
        except Exception as error:  # kept on the row for staff; never sent a second time
            logger.exception("notification %s failed", notification.pk)
            state, detail = Notification.State.FAILED, str(error)[:300]
        else:
            state = Notification.State.SENT if channels else Notification.State.SKIPPED
            detail = "" if channels else "No email address or phone number for this shopper."
        notification.state, notification.channels, notification.detail = (
            state, ",".join(channels), detail
        )  # fmt: skip
        outcomes[(state, notification.channels, detail)].append(notification.pk)
        if state == Notification.State.SENT:
            already_sent[notification.shipment_id].add(notification.kind)
    now = timezone.now()
    for (state, channels, detail), pks in outcomes.items():
        sent_at = None if state == Notification.State.FAILED else now
        Notification.objects.filter(pk__in=pks).update(
            state=state, channels=channels, detail=detail, sent_at=sent_at
        )
    return claimed


# A message counts as given once it is queued, being sent or gone out (tracking ingest does
# not queue it twice); sending itself only trusts the ones that went out.
QUEUED_OR_SENT = (
    Notification.State.PENDING,
    Notification.State.SENDING,
    Notification.State.SENT,
)


def sent_kinds(shipment_ids: list[int], *, states: Iterable[str]) -> dict[int, set[str]]:
    """The message kinds each shipment has in one of `states`, by shipment id (one query)."""
    found: dict[int, set[str]] = defaultdict(set)
    for shipment_id, kind in Notification.objects.filter(
        shipment_id__in=set(shipment_ids), state__in=list(states)
    ).values_list("shipment_id", "kind"):
        found[shipment_id].add(kind)
    return found


def _deliver(
    notification: Notification, prefs: NotificationSettings, mail, channels: list[str]
) -> None:
    # Rendered in the merchant's zone: the date filters show the active zone (UTC in a worker).
    with merchant_zone(notification.merchant):
        _render_and_send(notification, prefs, mail, channels)


def _render_and_send(
    notification: Notification, prefs: NotificationSettings, mail, channels: list[str]
) -> None:
    order = notification.shipment.order
    context = message_context(notification)
    template = "fulfillment/emails/" + TEMPLATES.get(notification.kind, "tracking")
    if prefs.email_enabled and order.shopper_email:
        email = EmailMultiAlternatives(
            subject=context["subject"],
            body=render_to_string(f"{template}.txt", context),
            from_email=f"{notification.merchant.name} <{_from_address()}>",
            to=[order.shopper_email],
            headers={"X-Nearbox-Notification": str(notification.pk)},
            connection=mail,
        )
        email.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
        email.send()
        channels.append("email")
    if prefs.sms_enabled and order.shopper_phone:
        text = render_to_string(f"{template}_sms.txt", context).strip()
        get_sms_backend().send(
            SmsMessage(order.shopper_phone, text, f"notification-{notification.pk}")
        )
        channels.append("sms")


def _from_address() -> str:
    sender = settings.DEFAULT_FROM_EMAIL
    return sender.split("<", 1)[1].rstrip(">") if "<" in sender else sender
