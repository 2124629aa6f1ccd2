import secrets


def new_public_token() -> str:
    """256 bits, URL-safe: the shopper's tracking link and a courier account's webhook path."""
    return secrets.token_urlsafe(32)
