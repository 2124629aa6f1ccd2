"""The `webhook_token` path converter of the public store addresses (platform webhooks, the
Saleor App): registered once, on import, by the URL modules that use it."""

from __future__ import annotations

from django.urls import register_converter


class WebhookTokenConverter:
    """A connection's webhook token as made (secrets.token_urlsafe): anything else, above all a
    NUL byte, which PostgreSQL refuses in a query parameter (a 500), is a 404 without a query."""

    regex = "[A-Za-z0-9_-]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(WebhookTokenConverter, "webhook_token")
