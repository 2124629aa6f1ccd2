"""Shopper notifications: each sent at most once (the row is claimed pending → sending by one
conditional UPDATE before anything goes out), by email (HTML and text in the merchant's
branding and the shopper's language, Django's mail) and by SMS (sms.py), as the merchant's
settings allow. The words, the layout and the log of what went out are fulfillment/messaging's."""

from __future__ import annotations

import logging
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from fulfillment.messaging.services import composing, rendering, sending
from fulfillment.models import Notification, NotificationSettings, Shipment
from fulfillment.orders.services import status as order_status
from fulfillment.tracking import hooks
from merchant.models import Merchant
from merchant.zones import merchant_zone

logger = logging.getLogger(__name__)

OUTDATED = "Not sent: the parcel had already moved on (a later update is the one that counts)."


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
    """What a message of this notification may say (placeholders and the layout's parts);
    its words come from fulfillment/messaging (the merchant's template or the default)."""
    shipment = notification.shipment
    merchant = notification.merchant
    order = shipment.order
    tz = zoneinfo.ZoneInfo(merchant.time_zone or "UTC")
    context = {
        "kind": notification.kind,
        "merchant": merchant,
        "courier": shipment.account.name,
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
        context["pickup_point"] = hooks.pickup_point(shipment)
    if notification.kind == "nearby":
        from fulfillment.tracking import nearby  # nearby queues through this module

        context.update(nearby.message_copy(shipment))
    if notification.kind in ("out_for_delivery", "failed_attempt", "delivered"):
        # An own driver's parcel (#16): "Look out for Sam (Cargo bike)", what happens next
        # after a failed stop (instead of the locker offer), the delivery photo.
        from fulfillment.fleet.live.shopper import message_extras

        context.update(message_extras(shipment))
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
    merchant = notification.merchant
    context = message_context(notification)
    language = rendering.shopper_language(order.language)
    event = notification.kind
    if prefs.email_enabled and order.shopper_email:
        email = composing.compose_email(merchant, event=event, language=language, context=context)
        sending.send_email(
            merchant=merchant, to=order.shopper_email, email=email, event=event,
            language=language, order=order, notification=notification, connection=mail,
        )  # fmt: skip
        channels.append("email")
    if prefs.sms_enabled and order.shopper_phone:
        text = composing.compose_sms(merchant, event=event, language=language, context=context)
        sending.send_sms(
            merchant=merchant, to=order.shopper_phone, text=text, event=event,
            reference=f"notification-{notification.pk}", language=language, order=order,
            notification=notification,
        )  # fmt: skip
        channels.append("sms")
