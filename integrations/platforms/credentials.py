"""A connection's credentials: one Fernet token of a JSON map (integrations/crypto.py), never
shown back; the hint keeps the last characters of each secret so a merchant can tell which
token is stored."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from integrations.crypto import SecretUnreadable, decrypt_secret, encrypt_secret

if TYPE_CHECKING:
    from integrations.models import PlatformConnection


def store_credentials(connection: PlatformConnection, credentials: Mapping[str, str]) -> None:
    """Encrypt `credentials` onto the connection (the caller saves it)."""
    connection.credentials_encrypted = encrypt_secret(json.dumps(dict(credentials)))
    connection.credentials_hint = ", ".join(
        f"{name} …{value[-4:]}" for name, value in credentials.items() if len(value) >= 8
    )[:200]


def read_credentials(connection: PlatformConnection) -> dict[str, str]:
    """The decrypted map; empty once disconnected (credentials dropped). Raises
    SecretUnreadable when SECRET_KEY changed since they were stored."""
    if not connection.credentials_encrypted:
        return {}
    data = json.loads(decrypt_secret(connection.credentials_encrypted))
    if not isinstance(data, dict):
        raise SecretUnreadable("The stored credentials cannot be read; connect the store again.")
    return {str(k): str(v) for k, v in data.items()}


def drop_credentials(connection: PlatformConnection) -> None:
    connection.credentials_encrypted = ""
    connection.credentials_hint = ""
