"""Courier webhooks: verify as the courier documents (the adapter: an HMAC over the raw body,
a signed timestamp, or a configured header), refuse replays (one receipt per nonce and
account), then store what the webhook says: tracking events and live courier positions.

A request that fails any check stores nothing: the receipt, the events and the positions are
written in one transaction, after verification. The webhook couriers send most (one position,
every few seconds a courier) is one statement on PostgreSQL, with the account remembered in
the process and checked in that statement (_ONE_POSITION_SQL). A position whose job id matches
no shipment of the account is ignored and counted (a job booked outside Nearbox, or another
tenant's id: it never reaches another merchant's shipment, as only this account's shipments are
looked at).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from fulfillment.couriers.adapters.base import get_adapter
from fulfillment.couriers.adapters.errors import CourierError, WebhookRejected
from fulfillment.couriers.adapters.types import PositionReport, WebhookUpdate
from fulfillment.couriers.adapters.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER
from fulfillment.couriers.services import accounts as courier_service
from fulfillment.models import (
    CourierAccount,
    PollCursor,
    Shipment,
    ShipmentEvent,
    WebhookReceipt,
)
from fulfillment.tracking import nearby
from fulfillment.tracking.ingest import ingest_results, results_from_events
from fulfillment.tracking.positions import (
    ROW_PLACEHOLDERS,
    Position,
    receive_position,
    row_values,
    upsert_sql,
)
from merchant.rawsql import model_rows

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024


class UnknownWebhook(Exception):
    """No active courier account has this webhook token."""


class WebhookReplayed(Exception):
    """This exact signed request was accepted before."""


class WebhookMalformed(Exception):
    """Signed correctly, but the body is not what the courier documents."""


class WebhookRetry(Exception):
    """Verified, but not stored this time (nothing was): the courier should send it again."""


@dataclass(frozen=True)
class WebhookOutcome:
    events: int
    shipments: int
    transitions: int
    positions: int = 0  # courier positions received for shipments of the account
    unmatched_positions: int = 0  # positions whose job id is no shipment of the account
    stored_positions: int = 0  # of `positions`, those newer than the stored one


def _nonce(headers: Mapping[str, str], body: bytes) -> str:
    lowered = {k.lower(): v for k, v in headers.items()}
    signed = lowered.get(TIMESTAMP_HEADER.lower(), "") + lowered.get(SIGNATURE_HEADER.lower(), "")
    return hashlib.sha256((signed or "").encode() + b"\x1f" + body).hexdigest()


class _AccountChanged(Exception):
    """The account remembered for a token was changed or deactivated since: read it again."""


def receive_webhook(*, token: str, body: bytes, headers: Mapping[str, str]) -> WebhookOutcome:
    try:
        return _receive(token=token, body=body, headers=headers, remembered=True)
    except _AccountChanged:  # verified against what memory had: verify again with the stored
        pass
    try:
        return _receive(token=token, body=body, headers=headers, remembered=False)
    except _AccountChanged:  # changed again while this webhook was being stored
        raise WebhookRetry("The courier account changed meanwhile; send it again.") from None


def _receive(
    *, token: str, body: bytes, headers: Mapping[str, str], remembered: bool
) -> WebhookOutcome:
    account, from_memory = (
        _account_for(token, remembered=remembered) if _is_token(token) else (None, False)
    )
    if account is None:
        raise UnknownWebhook("No courier account has this webhook address.")
    try:
        update = _verified_update(account, body, headers)
    except (WebhookRejected, WebhookMalformed):
        if from_memory:  # perhaps signed with credentials changed since: read them again
            _forget_account(token)
            raise _AccountChanged from None
        raise
    events, reports = list(update.events), list(update.positions)
    now = timezone.now()
    nonce = (update.nonce or _nonce(headers, body))[:128]
    if not events and len(reports) == 1 and _one_statement_will_do(account):
        shipment_id = _shipments_by_reference(account, {reports[0].reference}).get(
            reports[0].reference
        )
        if shipment_id is not None:  # the courier's every few seconds: see _receive_position
            stored = _receive_position(account, token, nonce, shipment_id, reports[0], now)
            return WebhookOutcome(0, 0, 0, positions=1, stored_positions=int(stored))
    if from_memory:  # the general path checks the remembered account first
        current = _active_account(token)
        if current is None or _identity(current) != _identity(account):
            _forget_account(token)
            raise _AccountChanged
        account = current
    try:
        with transaction.atomic():
            # The transaction's first write: a replay has written nothing, and raising rolls
            # the transaction back.
            if not _receipt_stored(account, nonce, len(events) + len(reports), now):
                raise WebhookReplayed("This webhook was received before.")
            shipments = transitions = 0
            if events:
                report = ingest_results(
                    account=account,
                    results=results_from_events(events),
                    source=ShipmentEvent.Source.WEBHOOK,
                    pushed=True,
                    now=now,
                )
                shipments, transitions = report.shipments, len(report.transitions)
            matched, unmatched, stored = store_positions(account=account, reports=reports)
            _mark_pushed(account, now)
    except IntegrityError:
        # At commit: a position for a shipment matched from memory that no longer exists
        # (deleted meanwhile). Nothing was stored; the courier's retry is matched afresh.
        forget_known_shipments()
        raise WebhookRetry("A shipment of this webhook changed meanwhile; send it again.") from None
    if unmatched:
        logger.info(
            "courier account %s: %d position(s) for no shipment of the account ignored",
            account.pk,
            unmatched,
        )
    return WebhookOutcome(len(events), shipments, transitions, matched, unmatched, stored)


def _verified_update(
    account: CourierAccount, body: bytes, headers: Mapping[str, str]
) -> WebhookUpdate:
    # No HTTP client: a webhook is parsed, never answered by a call to the courier (building
    # one loads the TLS trust store, 40 ms a request).
    adapter = get_adapter(
        account.courier,
        credentials=courier_service.credentials_for(account),
        base_url=account.base_url or None,
    )
    if not adapter.capabilities.has_webhooks:
        raise WebhookRejected(f"{account.name} does not send webhooks", courier=account.courier)
    try:
        return adapter.parse_webhook_update(body, headers)  # verifies before it parses
    except WebhookRejected:
        raise
    except CourierError as error:
        raise WebhookMalformed(str(error)) from None
    except RecursionError:  # json.loads of a signed body nested thousands of levels deep
        raise WebhookMalformed("The webhook body is nested too deeply to read.") from None


def _one_statement_will_do(account: CourierAccount) -> bool:
    """A webhook of one position and nothing else can be stored by one statement
    (_receive_position): on PostgreSQL, when the account needs no marking as pushing."""
    return connection.vendor == "postgresql" and not _mark_due(account)


# Hand-written (PostgreSQL: data-modifying CTEs), for the webhook couriers send every few
# seconds a courier: the receipt, the position if newer, and what nearby needs, in one
# autocommitted statement (atomic: a replay or an error stores nothing) instead of six round
# trips (BEGIN, three statements, COMMIT). The same rules as the general path.
# `current`: the account is still active with the credentials the webhook was verified with
# (an account remembered in memory, _account_for); else nothing is stored.
_ONE_POSITION_SQL = (
    f'WITH current AS (SELECT a.id FROM "{CourierAccount._meta.db_table}" a WHERE a.id = %s '
    "AND a.is_active AND a.webhook_token = %s AND a.merchant_id = %s AND a.courier = %s "
    "AND a.credentials_encrypted = %s AND a.base_url = %s), "
    "receipt AS ("
    f'INSERT INTO "{WebhookReceipt._meta.db_table}" (account_id, nonce, received_at, events) '
    "SELECT id, %s, %s, 1 FROM current "
    "ON CONFLICT (account_id, nonce) DO NOTHING RETURNING id), "
    f"stored AS ({upsert_sql(f'SELECT {ROW_PLACEHOLDERS} FROM receipt')}) "
    "SELECT (SELECT count(*) FROM current), (SELECT count(*) FROM receipt), "
    "(SELECT count(*) FROM stored), news.* "
    "FROM (SELECT 1) AS one "
    f"LEFT JOIN ({nearby.news_sql('(SELECT shipment_id FROM stored)')}) AS news ON true"
)


def _receive_position(
    account: CourierAccount,
    token: str,
    nonce: str,
    shipment_id: int,
    report: PositionReport,
    now: dt.datetime,
) -> bool:
    """Store the receipt and the position of a one-position webhook; True if the position was
    the newest. Raises WebhookReplayed (nothing stored), WebhookRetry (shipment deleted) or
    _AccountChanged (nothing stored)."""
    position = _position(report)
    values = row_values(merchant_id=account.merchant_id, shipment_id=shipment_id, position=position)
    received_at = connection.ops.adapt_datetimefield_value(now)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                _ONE_POSITION_SQL,
                (*_identity(account, token), nonce, received_at, *values, *nearby.NEWS_PARAMS),
            )
            current, receipts, stored, *news = cursor.fetchone()
    except IntegrityError:  # the shipment matched from memory was deleted meanwhile
        forget_known_shipments()
        raise WebhookRetry("A shipment of this webhook changed meanwhile; send it again.") from None
    if not current:
        _forget_account(token)
        raise _AccountChanged
    if not receipts:
        raise WebhookReplayed("This webhook was received before.")
    if stored:
        has_news = news[0] is not None  # pickup_location_ref is never NULL
        nearby.position_news(
            shipment_id=shipment_id, position=position, news=tuple(news) if has_news else None
        )
    return bool(stored)


# Hand-written, portable: every webhook runs these two, and building them through the ORM
# cost as much CPU as storing the position itself.
_ACCOUNT_FIELDS = tuple(f.attname for f in CourierAccount._meta.concrete_fields)
_ACCOUNT_SQL = (
    f'SELECT {{columns}} FROM "{CourierAccount._meta.db_table}" a '
    "WHERE a.webhook_token = %s AND a.is_active"
)
_RECEIPT_SQL = (
    f'INSERT INTO "{WebhookReceipt._meta.db_table}" (account_id, nonce, received_at, events) '
    "VALUES (%s, %s, %s, %s) ON CONFLICT (account_id, nonce) DO NOTHING RETURNING id"
)


# token → its active account, as read before: a courier posting every few seconds is verified
# without reading its account again. Only ever trusted with a check in the same statement as
# the write (_ONE_POSITION_SQL's `current`) or against a fresh read (the general path).
_accounts: dict[str, CourierAccount] = {}
_accounts_lock = threading.Lock()
ACCOUNTS_MAX = 1000


def _identity(account: CourierAccount, token: str | None = None) -> tuple:
    """What a webhook's verification depends on (with the token: _ONE_POSITION_SQL's order)."""
    return (
        account.pk,
        *((token,) if token is not None else ()),
        account.merchant_id,
        account.courier,
        account.credentials_encrypted,
        account.base_url,
    )


# new_public_token's alphabet and CourierAccount.webhook_token's length: anything else is no
# account's address, answered without a query (a NUL in it would fail PostgreSQL's text).
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _is_token(token: str) -> bool:
    return 0 < len(token) <= 64 and _TOKEN_CHARS.issuperset(token)


def _account_for(token: str, *, remembered: bool) -> tuple[CourierAccount | None, bool]:
    """(the token's active account, whether it came from memory rather than the database)."""
    if remembered:
        with _accounts_lock:
            account = _accounts.get(token)
        if account is not None:
            return account, True
    account = _active_account(token)
    if account is not None:
        with _accounts_lock:
            if len(_accounts) >= ACCOUNTS_MAX:
                _accounts.clear()
            _accounts[token] = account
    return account, False


def _forget_account(token: str) -> None:
    with _accounts_lock:
        _accounts.pop(token, None)


def _active_account(token: str) -> CourierAccount | None:
    """The active courier account whose webhook address has this token."""
    rows = model_rows(CourierAccount, _ACCOUNT_FIELDS, connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(_ACCOUNT_SQL.format(columns=rows.select_list("a")), (token,))
        row = cursor.fetchone()
    return None if row is None else rows.instance(row)


def _receipt_stored(account: CourierAccount, nonce: str, events: int, now: dt.datetime) -> bool:
    """Store the webhook's receipt; False when this nonce was received before (a replay).
    The unique (account, nonce) constraint decides between two deliveries at once."""
    with connection.cursor() as cursor:
        received_at = connection.ops.adapt_datetimefield_value(now)
        cursor.execute(_RECEIPT_SQL, (account.pk, nonce, received_at, events))
        return cursor.fetchone() is not None


def store_positions(
    *, account: CourierAccount, reports: Iterable[PositionReport]
) -> tuple[int, int, int]:
    """Store each position on the account's shipment whose courier_reference is its job id,
    oldest first (positions.receive_position keeps the newest whatever the order).
    Returns (matched, unmatched, stored)."""
    reports = sorted(reports, key=lambda r: r.recorded_at)
    if not reports:
        return 0, 0, 0
    shipment_ids = _shipments_by_reference(account, {r.reference for r in reports})
    matched = unmatched = stored = 0
    for report in reports:
        shipment_id = shipment_ids.get(report.reference)
        if shipment_id is None:
            unmatched += 1
            continue
        matched += 1
        stored += receive_position(
            merchant_id=account.merchant_id, shipment_id=shipment_id, position=_position(report)
        )
    return matched, unmatched, stored


def _position(report: PositionReport) -> Position:
    return Position(
        latitude=report.latitude,
        longitude=report.longitude,
        recorded_at=report.recorded_at,
        courier_name=report.courier_name,
        vehicle=report.vehicle,
        eta_at=report.eta_at,
        arriving=report.arriving,
    )


# (account id, courier reference) → shipment id, as found before. A booking writes its
# courier_reference once and shipments are cancelled, not deleted, so a hit stays true; a
# courier posting a position every few seconds for the same job is then matched without a
# query. Misses always ask the database. Bounded, oldest out first.
_known: OrderedDict[tuple[int, str], int] = OrderedDict()
_known_lock = threading.Lock()
KNOWN_MAX = 50_000


def forget_known_shipments() -> None:
    """Forget what this process remembers: shipments by job id, and accounts by token."""
    with _known_lock:
        _known.clear()
    with _accounts_lock:
        _accounts.clear()


def _shipments_by_reference(account: CourierAccount, references: set[str]) -> dict[str, int]:
    """{courier_reference: shipment id} among this account's shipments only."""
    with _known_lock:
        found = {r: _known[(account.pk, r)] for r in references if (account.pk, r) in _known}
    missing = references - found.keys()
    if missing:
        looked_up = _lookup_references(account, missing)
        found.update(looked_up)
        with _known_lock:
            for reference, pk in looked_up.items():
                _known[(account.pk, reference)] = pk
            while len(_known) > KNOWN_MAX:
                _known.popitem(last=False)
    return found


def _lookup_references(account: CourierAccount, references: set[str]) -> dict[str, int]:
    """courier_reference has no index of its own; the on-demand couriers' job id is also the
    tracking number, so the (account, tracking_number) index answers first and only the
    references it does not find are looked for by courier_reference."""
    shipments = Shipment.objects.filter(account=account, merchant_id=account.merchant_id)
    found = {
        reference: pk
        for reference, pk in shipments.filter(
            tracking_number__in=references, courier_reference__in=references
        ).values_list("courier_reference", "pk")
    }
    missing = references - found.keys()
    if missing:
        found.update(
            shipments.filter(courier_reference__in=missing).values_list("courier_reference", "pk")
        )
    return found


# When this process last marked each account as pushing: a courier posting positions every
# few seconds need not rewrite the same row on every one of them.
_marked_at: dict[int, float] = {}
MARK_EVERY_S = 60.0


def _mark_due(account: CourierAccount) -> bool:
    return time.monotonic() - _marked_at.get(account.pk, -MARK_EVERY_S) >= MARK_EVERY_S


def _mark_pushed(account: CourierAccount, now: dt.datetime) -> None:
    """The account pushes: polling of its shipments becomes the safety net (ingest.py)."""
    if not _mark_due(account):
        return
    transaction.on_commit(lambda: _marked_at.__setitem__(account.pk, time.monotonic()))
    if not PollCursor.objects.filter(account=account).update(last_webhook_at=now):
        PollCursor.objects.update_or_create(
            account=account,
            defaults={"merchant_id": account.merchant_id, "last_webhook_at": now},
        )
