"""Installing the Nearbox app in a Saleor shop: Saleor POSTs {"auth_token"} to the manifest's
`tokenTargetUrl` with its API URL in `Saleor-Api-Url`. The token is kept only when the API URL is
the one the merchant connected, the shop serves its JWKS, and the token works at that API (a
`{ app { id } }` query, as Saleor's own app SDK checks): a stranger who learned the manifest URL
cannot bind another shop or a made-up token.
Docs: https://docs.saleor.io/developer/extending/apps/architecture/app-requirements
"""

from __future__ import annotations

import datetime as dt
import math

import httpx
from django.db import transaction
from django.utils import timezone

from integrations.crypto import SecretUnreadable
from integrations.models import Platform, PlatformConnection
from integrations.platforms.base import PlatformError
from integrations.platforms.credentials import read_credentials, store_credentials
from integrations.platforms.saleor import signature
from integrations.platforms.saleor.connector import APP_QUERY, SaleorConnector, same_api

MAX_TOKEN = 2000


class InstallRefused(Exception):
    """The install cannot go on; `status` and `detail` for Saleor (it shows the message)."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


def connection_for_token(token: str) -> PlatformConnection | None:
    """The live Saleor connection whose app URLs carry `token`, or None."""
    if not token or len(token) > 64:
        return None
    return (
        PlatformConnection.objects.filter(webhook_token=token, platform=Platform.SALEOR)
        .exclude(state=PlatformConnection.State.DISCONNECTED)
        .select_related("merchant")
        .first()
    )


def register_app(
    *,
    connection: PlatformConnection,
    auth_token: object,
    api_url: str,
    http: httpx.Client | None = None,
) -> PlatformConnection:
    """Keep the app token Saleor sent at install; raises InstallRefused."""
    if not isinstance(auth_token, str) or not auth_token.strip() or len(auth_token) > MAX_TOKEN:
        raise InstallRefused(400, "no_token", "The body must carry the app's auth_token.")
    if not api_url or not same_api(api_url, connection.shop_url):
        raise InstallRefused(
            403,
            "wrong_shop",
            "This app URL belongs to another Saleor API URL: install the app from the manifest "
            "URL Nearbox shows for this shop.",
        )
    try:
        stored = read_credentials(connection)
    except SecretUnreadable as error:
        raise InstallRefused(503, "cannot_read", str(error)) from error
    credentials = {**stored, "auth_token": auth_token.strip()}
    connector = SaleorConnector(connection, credentials, http)
    try:
        jwks = signature.fetch_jwks(connector.http, connection.shop_url)
        data = connector.graphql(APP_QUERY)
    except signature.JwksUnavailable as error:
        detail = f"Nearbox cannot read the shop's keys: {error}"
        raise InstallRefused(502, "no_jwks", detail) from error
    except PlatformError as error:
        detail = f"The app token does not work: {error.detail}"
        raise InstallRefused(403, "token_refused", detail) from error
    finally:
        if http is None:
            connector.close()
    app = data.get("app") if isinstance(data.get("app"), dict) else {}
    with transaction.atomic():
        locked = PlatformConnection.objects.select_for_update().get(pk=connection.pk)
        if locked.state == PlatformConnection.State.DISCONNECTED:
            raise InstallRefused(404, "not_found", "This connection was disconnected.")
        store_credentials(locked, credentials)
        now = timezone.now()
        locked.settings = {
            **locked.settings,
            "jwks": jwks,
            "jwks_fetched_at": now.isoformat(),
            "app_id": str(app.get("id") or ""),
            "installed": True,
        }
        import_since = locked.settings.pop("import_since", None)
        locked.state = PlatformConnection.State.ACTIVE
        locked.last_error = ""
        locked.connected_at = now
        locked.save()
        if import_since:
            _start_import(locked, import_since, now)
    return locked


def _start_import(connection: PlatformConnection, since: str, now: dt.datetime) -> None:
    """The import of open orders the merchant asked for at connect, which had to wait for the
    app token: the same window, counted from now."""
    from integrations.platforms.connections import MAX_BACKFILL_DAYS, start_backfill

    try:
        days = math.ceil((now - dt.datetime.fromisoformat(since)).total_seconds() / 86400)
    except (TypeError, ValueError):
        return
    start_backfill(connection=connection, days=min(max(days, 1), MAX_BACKFILL_DAYS))
