"""Courier webhooks: verify (HMAC over the raw body with a signed timestamp, 5-minute
tolerance), refuse replays (one receipt per signature and account), then store the events.

A request that fails any check stores nothing: the receipt and the events are written in one
transaction, after verification.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from fulfillment.couriers.adapters.errors import CourierError, WebhookRejected
from fulfillment.couriers.adapters.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER
from fulfillment.couriers.services import accounts as courier_service
from fulfillment.models import CourierAccount, PollCursor, ShipmentEvent, WebhookReceipt
from fulfillment.tracking.ingest import ingest_results, results_from_events

MAX_BODY_BYTES = 1024 * 1024


class UnknownWebhook(Exception):
    """No active courier account has this webhook token."""


class WebhookReplayed(Exception):
    """This exact signed request was accepted before."""


class WebhookMalformed(Exception):
    """Signed correctly, but the body is not what the courier documents."""


@dataclass(frozen=True)
class WebhookOutcome:
    events: int
    shipments: int
    transitions: int


def _nonce(headers: Mapping[str, str], body: bytes) -> str:
    lowered = {k.lower(): v for k, v in headers.items()}
    signed = lowered.get(TIMESTAMP_HEADER.lower(), "") + lowered.get(SIGNATURE_HEADER.lower(), "")
    return hashlib.sha256((signed or "").encode() + b"\x1f" + body).hexdigest()


def receive_webhook(*, token: str, body: bytes, headers: Mapping[str, str]) -> WebhookOutcome:
    account = CourierAccount.objects.filter(webhook_token=token, is_active=True).first()
    if account is None or not token:
        raise UnknownWebhook("No courier account has this webhook address.")
    adapter = courier_service.adapter_for(account)
    if not adapter.capabilities.has_webhooks:
        raise WebhookRejected(f"{account.name} does not send webhooks", courier=account.courier)
    try:
        events = adapter.parse_webhook(body, headers)  # verifies the signature first
    except WebhookRejected:
        raise
    except CourierError as error:
        raise WebhookMalformed(str(error)) from None
    except RecursionError:  # json.loads of a signed body nested thousands of levels deep
        raise WebhookMalformed("The webhook body is nested too deeply to read.") from None
    now = timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                WebhookReceipt.objects.create(
                    account=account, nonce=_nonce(headers, body), events=len(events)
                )
        except IntegrityError:
            raise WebhookReplayed("This webhook was received before.") from None
        report = ingest_results(
            account=account,
            results=results_from_events(events),
            source=ShipmentEvent.Source.WEBHOOK,
            pushed=True,
            now=now,
        )
        PollCursor.objects.update_or_create(
            account=account,
            defaults={"merchant_id": account.merchant_id, "last_webhook_at": now},
        )
    return WebhookOutcome(len(events), report.shipments, len(report.transitions))
