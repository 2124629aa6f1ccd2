"""Saleor, as a Saleor App: the manifest and install (token exchange), webhook signatures (JWS
with the shop's JWKS), the order mapping and the synchronous shipping webhooks."""

from integrations.platforms.saleor.connector import SaleorConnector

__all__ = ["SaleorConnector"]
