"""Error reporting to Sentry (or a compatible service) when SENTRY_DSN is set; off otherwise.

No personal data leaves: send_default_pii is off (no cookies, user, IP), request bodies and
local variables are never sent, and the scrubber blanks credentials and the personal fields
Nearbox keeps (names, emails, phones, addresses) wherever they appear in an event.
"""

from __future__ import annotations

from typing import Any

PERSONAL_FIELDS = [
    "authorization", "x-api-key", "api_key", "secret_key", "token", "webhook_token",
    "email", "phone", "name", "first_name", "last_name", "recipient_name",
    "address", "address1", "address2", "street", "postal_code", "postcode", "city",
    "latitude", "longitude", "lat", "lon", "pickup_code",
]  # fmt: skip


def init_sentry(dsn: str, *, environment: str = "", traces_sample_rate: float = 0.0) -> bool:
    """Start the SDK for `dsn`; does nothing and says False for an empty one."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.scrubber import DEFAULT_DENYLIST, DEFAULT_PII_DENYLIST, EventScrubber

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        traces_sample_rate=traces_sample_rate,
        event_scrubber=EventScrubber(
            denylist=[*DEFAULT_DENYLIST, *DEFAULT_PII_DENYLIST, *PERSONAL_FIELDS], recursive=True
        ),
        before_send=drop_user,
        integrations=[DjangoIntegration(), CeleryIntegration()],
    )
    return True


def drop_user(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Keep only the user's id: an integration may add more than send_default_pii allows."""
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    return event
