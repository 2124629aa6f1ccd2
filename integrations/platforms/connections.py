"""Connecting a store, testing it and disconnecting it: the rules the Integrations page calls.

Connecting calls the platform (test, then webhook registration) outside any transaction and
keeps the connection only when both worked; a failed connect leaves nothing behind, not even
half-registered webhooks. Disconnecting always succeeds: webhooks are removed at the platform
on a best-effort basis, the credentials are dropped and deliveries to the old address are
refused from then on.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.crypto import SecretUnreadable
from integrations.models import PlatformConnection
from integrations.platforms.base import PlatformError, connector_class, get_connector
from integrations.platforms.credentials import drop_credentials, store_credentials
from integrations.platforms.receiving import new_webhook_token
from integrations.platforms.writeback import stores_changed
from merchant.models import Job, Merchant, User

logger = logging.getLogger(__name__)

BACKFILL_JOB = "platforms.backfill"
MAX_BACKFILL_DAYS = 60


def connect_store(
    *,
    merchant: Merchant,
    platform: str,
    shop_url: str,
    credentials: Mapping[str, str],
    name: str = "",
    backfill_days: int = 0,
    user: User | None = None,
) -> tuple[PlatformConnection, Job | None]:
    """Connect a store: check the credentials with the platform, register our webhooks, and
    start importing the last `backfill_days` days of open orders. Raises ValidationError
    (field named) with the platform's refusal in words."""
    cls = connector_class(platform)
    try:
        shop_url = cls.normalize_shop_url(shop_url)
    except ValueError as error:
        raise ValidationError({"shop_url": str(error)}) from error
    missing = [f.label for f in cls.credential_fields if f.required and not credentials.get(f.name)]
    if missing:
        raise ValidationError(f"Enter {', '.join(missing)}.")
    if not 0 <= backfill_days <= MAX_BACKFILL_DAYS:
        raise ValidationError({"backfill_days": f"Choose 0 to {MAX_BACKFILL_DAYS} days."})
    live = PlatformConnection.objects.for_merchant(merchant).exclude(
        state=PlatformConnection.State.DISCONNECTED
    )
    if live.filter(platform=platform, shop_url=shop_url).exists():
        raise ValidationError({"shop_url": "This store is already connected."})

    connection = PlatformConnection(
        merchant=merchant,
        platform=platform,
        name=(name.strip() or shop_url.split("://", 1)[-1])[:120],
        shop_url=shop_url,
        webhook_token=new_webhook_token(),
        state=PlatformConnection.State.CONNECTING,
    )
    clean = {k: v.strip() for k, v in credentials.items() if isinstance(v, str)}
    store_credentials(connection, clean)
    try:
        with transaction.atomic():
            connection.save()
    except IntegrityError as error:  # a second connect of the same store at the same moment
        raise ValidationError({"shop_url": "This store is already connected."}) from error

    connector = get_connector(connection, credentials=clean)
    try:
        connector.test_connection()
        connector.on_connect()
    except PlatformError as error:
        _abandon(connector, connection)
        raise ValidationError(f"Not connected: {error.detail}") from error
    except Exception as error:  # a connector's bug or an answer it could not read: no 500
        logger.exception("connecting a %s store failed", platform)
        _abandon(connector, connection)
        raise ValidationError("Not connected: the platform's answer could not be read.") from error
    finally:
        connector.close()
    connection.state = PlatformConnection.State.ACTIVE
    connection.connected_at = timezone.now()
    connection.save(update_fields=["state", "connected_at", "settings"])
    stores_changed()
    job = None
    if backfill_days:
        job = start_backfill(connection=connection, days=backfill_days, user=user)
    return connection, job


def _abandon(connector, connection: PlatformConnection) -> None:
    """Undo a failed connect: webhooks registered before the failure, then the row."""
    try:
        connector.on_disconnect()
    except Exception:
        logger.exception("store %s: removing webhooks after a failed connect", connection.pk)
    connection.delete()


def start_backfill(*, connection: PlatformConnection, days: int, user: User | None = None) -> Job:
    from merchant.services.jobs import start_job

    return start_job(
        merchant=connection.merchant,
        kind=BACKFILL_JOB,
        params={"connection_id": connection.pk, "days": days},
        user=user,
        title=f"Import open orders of the last {days} days from {connection.name}",
    )


def backfill_since(days: int, now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(days=days)


def test_store(*, connection: PlatformConnection) -> tuple[bool, str]:
    """Call the platform with the stored credentials; (worked, a sentence). The connection's
    state follows the answer."""
    try:
        connector = get_connector(connection)
    except SecretUnreadable as error:
        ok, sentence = False, str(error)
    else:
        try:
            ok, sentence = True, connector.test_connection()
        except PlatformError as error:
            ok, sentence = False, error.detail
        finally:
            connector.close()
    now = timezone.now()
    if ok:
        fields = {"state": PlatformConnection.State.ACTIVE, "last_error": ""}
    else:
        fields = {
            "state": PlatformConnection.State.FAILING,
            "last_error": sentence[:500],
            "last_error_at": now,
        }
    PlatformConnection.objects.filter(pk=connection.pk).exclude(
        state=PlatformConnection.State.DISCONNECTED
    ).update(**fields)
    return ok, sentence


def disconnect_store(*, connection: PlatformConnection) -> PlatformConnection:
    """Remove our webhooks at the platform (best effort), drop the credentials and stop
    accepting deliveries. Never fails on the platform's account."""
    if connection.state == PlatformConnection.State.DISCONNECTED:
        return connection
    try:
        connector = get_connector(connection)
    except SecretUnreadable:
        logger.warning(
            "store %s: credentials unreadable, webhooks left at the platform", connection.pk
        )
    else:
        try:
            connector.on_disconnect()
        except Exception:  # a connector's bug must not keep a store connected
            logger.exception("store %s: removing webhooks failed", connection.pk)
        finally:
            connector.close()
    drop_credentials(connection)
    connection.state = PlatformConnection.State.DISCONNECTED
    connection.disconnected_at = timezone.now()
    connection.save(
        update_fields=[
            "credentials_encrypted",
            "credentials_hint",
            "state",
            "disconnected_at",
            "settings",
        ]
    )
    stores_changed()
    return connection
