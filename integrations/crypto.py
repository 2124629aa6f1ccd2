"""Secrets Nearbox must use again (webhook signing secrets; later, shop platform tokens).

The scheme of courier credentials (fulfillment/couriers/services/accounts.py): one Fernet
token under a key derived from SECRET_KEY with HKDF, but with this app's own salt, so that a
token of one kind never decrypts as the other.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class SecretUnreadable(Exception):
    """The stored token does not decrypt (SECRET_KEY changed): the secret must be rotated."""


def _fernet() -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"nearbox-integrations-secrets", info=b"v1"
    ).derive(settings.SECRET_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_secret(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt_secret(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError) as error:
        raise SecretUnreadable("The signing secret cannot be decrypted; rotate it.") from error
