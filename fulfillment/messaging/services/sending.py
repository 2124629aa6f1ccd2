"""Sending one message in the shop's name and logging it (SentMessage): what, when, to whom, on
which channel. The provider's later reports (delivered, bounced) move the logged state forward
only (record_delivery_report)."""

from __future__ import annotations

import logging
from email.utils import make_msgid, parseaddr

from django.core.mail import EmailMultiAlternatives
from django.db import transaction

from fulfillment.messaging.services import brand
from fulfillment.messaging.services.composing import Email
from fulfillment.models import Notification, Order, SentMessage
from fulfillment.tracking.sms import SmsMessage, get_sms_backend
from merchant.models import Merchant

logger = logging.getLogger(__name__)

State = SentMessage.State
# A report never moves a message back: a bounce after "delivered" counts, not the reverse.
RANK = {State.SENT: 0, State.DELIVERED: 1, State.BOUNCED: 2, State.COMPLAINED: 2, State.FAILED: 2}


def message_id(merchant: Merchant) -> str:
    domain = parseaddr(brand.sender(merchant))[1].rpartition("@")[2] or "nearbox.local"
    return make_msgid("nearbox", domain=domain)


def send_email(
    *,
    merchant: Merchant,
    to: str,
    email: Email,
    event: str,
    language: str = "",
    order: Order | None = None,
    notification: Notification | None = None,
    connection=None,
    is_test: bool = False,
) -> SentMessage:
    """Send one email from 'Shop name <address>' with the shop's reply-to; log it. A failure
    is logged as failed and raised again."""
    mid = message_id(merchant)
    log = SentMessage(
        merchant=merchant, order=order, notification=notification, event=event,
        channel=SentMessage.Channel.EMAIL, recipient=to, subject=email.subject[:200],
        language=language, is_test=is_test, provider_id=mid.strip("<>"),
    )  # fmt: skip
    headers = {"Message-ID": mid}
    if notification is not None:
        headers["X-Nearbox-Notification"] = str(notification.pk)
    message = EmailMultiAlternatives(
        subject=email.subject, body=email.text, from_email=brand.sender(merchant), to=[to],
        reply_to=brand.reply_to(merchant), headers=headers, connection=connection,
    )  # fmt: skip
    if email.html:
        message.attach_alternative(email.html, "text/html")
    try:
        message.send()
    except Exception as error:
        log.state, log.detail = State.FAILED, str(error)[:300]
        log.save()
        raise
    log.save()
    return log


def send_sms(
    *,
    merchant: Merchant,
    to: str,
    text: str,
    event: str,
    reference: str,
    language: str = "",
    order: Order | None = None,
    notification: Notification | None = None,
    is_test: bool = False,
) -> SentMessage:
    """Send one text message through NEARBOX_SMS_BACKEND; log it with the provider's id."""
    log = SentMessage(
        merchant=merchant, order=order, notification=notification, event=event,
        channel=SentMessage.Channel.SMS, recipient=to, language=language, is_test=is_test,
    )  # fmt: skip
    try:
        provider_id = get_sms_backend().send(SmsMessage(to, text, reference))
    except Exception as error:
        log.state, log.detail = State.FAILED, str(error)[:300]
        log.save()
        raise
    log.provider_id = str(provider_id or "")[:200]
    log.save()
    return log


def record_delivery_report(
    *, channel: str, provider_id: str, state: str, detail: str = ""
) -> SentMessage | None:
    """A provider's report about one message (found by its id): the state moves forward only.
    None when no message has that id (another system's mail, an old one)."""
    provider_id = provider_id.strip().strip("<>")
    if not provider_id or state not in RANK:
        return None
    with transaction.atomic():
        sent = (
            SentMessage.objects.select_for_update()
            .filter(channel=channel, provider_id=provider_id)
            .first()
        )
        if sent is None:
            return None
        if RANK[state] > RANK[State(sent.state)]:
            sent.state, sent.detail = state, detail[:300]
            sent.save(update_fields=["state", "detail", "updated_at"])
    return sent


def send_plain_email(
    *, merchant: Merchant, to: str, subject: str, text: str, event: str, order: Order | None
) -> SentMessage:
    """A plain-text email in the shop's name (the pickup code, the reminder), logged."""
    email = Email(subject=subject, text=text, html="", body_html="")
    return send_email(merchant=merchant, to=to, email=email, event=event, order=order)
