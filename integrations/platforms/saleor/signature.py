"""Saleor's webhook signature: a JWS (RS256) with the payload detached, in `Saleor-Signature`,
made with the shop's private key; the public keys are the shop's JWKS at
<origin of the API URL>/.well-known/jwks.json. A webhook whose `secretKey` is set is signed with
the deprecated hex HMAC-SHA256 instead, accepted only where the merchant stored that secret.

Saleor signs with PyJWT (`api_jws.encode(..., is_payload_detached=True)`: the header carries
`"b64": false`, RFC 7797, so the signing input is the raw body); we read its JWKS and check the
RS256 signature with the same library's primitives.
Docs: https://docs.saleor.io/developer/extending/webhooks/payload-signature
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

SIGNATURE_HEADER = "Saleor-Signature"
# Refetch the JWKS for an unknown kid at most this often (a forged kid must not make us hammer
# the shop); a rotation is picked up on the next webhook after the pause.
JWKS_REFETCH_PAUSE = dt.timedelta(minutes=1)
MAX_JWKS_BYTES = 64 * 1024
MAX_SIGNATURE_CHARS = 4096
RS256 = RSAAlgorithm(RSAAlgorithm.SHA256)


class SignatureInvalid(Exception):
    """Why a signature was refused, for the log."""


class JwksUnavailable(Exception):
    """The shop's JWKS could not be fetched or read."""


def jwks_url(api_url: str) -> str:
    """The shop's JWKS address: the origin of its GraphQL API URL (as @saleor/app-sdk does)."""
    parts = urlsplit(api_url)
    return f"{parts.scheme}://{parts.netloc}/.well-known/jwks.json"


def fetch_jwks(http: httpx.Client, api_url: str) -> dict:
    """GET the shop's JWKS; raises JwksUnavailable with the reason."""
    url = jwks_url(api_url)
    body = b""
    try:
        with http.stream("GET", url, follow_redirects=False) as response:
            status = response.status_code
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_JWKS_BYTES:  # a key set is a few kB; never read a flood
                    break
    except httpx.HTTPError as error:
        raise JwksUnavailable(f"{url} did not answer ({type(error).__name__}).") from error
    if status != 200 or len(body) > MAX_JWKS_BYTES:
        raise JwksUnavailable(f"{url} answered {status}, not a key set.")
    try:
        jwks = json.loads(body)
        jwt.PyJWKSet.from_dict(jwks)
    except (ValueError, RecursionError, jwt.PyJWTError, TypeError, AttributeError) as error:
        raise JwksUnavailable(f"{url} did not answer a JSON Web Key Set.") from error
    return jwks


def _segment(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _header(signature: str) -> tuple[str, dict, str]:
    """(protected header as sent, decoded, signature segment) of a detached JWS; raises
    SignatureInvalid for anything that is not Saleor's form: RS256 with the payload detached and
    not base64-encoded ("b64": false, RFC 7797)."""
    if not signature or len(signature) > MAX_SIGNATURE_CHARS or signature.count(".") != 2:
        raise SignatureInvalid("not a detached JWS")
    header_b64, payload_b64, signature_b64 = signature.split(".")
    if payload_b64:
        raise SignatureInvalid("the JWS carries a payload; Saleor's is detached")
    try:
        header = json.loads(_segment(header_b64))
    except (ValueError, binascii.Error, RecursionError) as error:
        raise SignatureInvalid("unreadable JWS header") from error
    if not isinstance(header, dict):
        raise SignatureInvalid("unreadable JWS header")
    if header.get("alg") != "RS256":
        raise SignatureInvalid(f"algorithm {str(header.get('alg'))[:20]!r} is not RS256")
    if header.get("b64") is not False:
        raise SignatureInvalid("the payload is not the raw body (b64 is not false)")
    # PyJWT lists b64 in `crit` since recent versions, earlier ones (which a shop may run) do
    # not: both are Saleor's. Any other critical extension is one we do not understand.
    crit = header.get("crit", [])
    if not isinstance(crit, list) or any(name != "b64" for name in crit):
        raise SignatureInvalid("an unknown critical header parameter")
    return header_b64, header, signature_b64


def signature_kid(signature: str) -> str:
    """The `kid` of a detached JWS's protected header; raises SignatureInvalid."""
    kid = _header(signature)[1].get("kid")
    return kid if isinstance(kid, str) else ""


def _key_for(jwks: Mapping[str, Any], kid: str) -> Any | None:
    try:
        keys = jwt.PyJWKSet.from_dict(dict(jwks))
    except (jwt.PyJWTError, TypeError, AttributeError, ValueError):
        return None
    for key in keys.keys:
        if key.key_id == kid or (not kid and len(keys.keys) == 1):
            return key.key
    return None


def verify_jws(signature: str, body: bytes, jwks: Mapping[str, Any]) -> None:
    """Check a detached RS256 JWS over the raw `body` with the matching key of `jwks`. Raises
    SignatureInvalid; KeyError(kid) when no key of the set has the signature's kid (the caller
    refetches the set once).

    The signing input is built here (header, ".", raw body) and checked with PyJWT's RS256
    primitive: PyJWT's own decode refuses a "b64": false header without `crit`, the form older
    PyJWT versions (and so some Saleor instances) send."""
    header_b64, header, signature_b64 = _header(signature)
    kid = header.get("kid") if isinstance(header.get("kid"), str) else ""
    key = _key_for(jwks, kid)
    if key is None:
        raise KeyError(kid)
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureInvalid("the key set's key for this kid is not an RSA public key")
    try:
        raw_signature = _segment(signature_b64)
    except (ValueError, binascii.Error) as error:
        raise SignatureInvalid("unreadable signature") from error
    if not RS256.verify(header_b64.encode("ascii") + b"." + body, key, raw_signature):
        raise SignatureInvalid("signature does not verify")


def verify_hmac(signature: str, body: bytes, secret: str) -> None:
    """The deprecated scheme: hex HMAC-SHA256 of the body with the webhook's secretKey."""
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    given = signature.strip().lower().encode("utf-8", "replace")
    if not hmac.compare_digest(expected.encode(), given):
        raise SignatureInvalid("HMAC does not match")
