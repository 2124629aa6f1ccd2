"""A fake Saleor shop for tests: it installs a Saleor App from its manifest URL the way Saleor
does (GET the manifest, POST {"auth_token"} to tokenTargetUrl with Saleor-Domain and
Saleor-Api-Url), serves its JWKS at /.well-known/jwks.json, answers the few GraphQL calls an app
makes with its token at /graphql/, and sends the manifest's webhooks signed as Saleor signs them:
a JWS, RS256, payload detached (PyJWT's api_jws, as saleor/core/jwt_manager.py), with an RSA key
made at start.

    with FakeSaleor() as shop:
        shop.install(manifest_url)
        status, body = shop.send("SHIPPING_LIST_METHODS_FOR_CHECKOUT", payload)

Docs: https://docs.saleor.io/developer/extending/apps/architecture/app-requirements and
https://docs.saleor.io/developer/extending/webhooks/payload-signature
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import secrets
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping
from http.server import ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from jwt import api_jws
from jwt.algorithms import RSAAlgorithm

from devtools.fake_platforms import JsonHandler, running

APP_DB_ID = 7  # the app's id in the fake shop's database: method ids are "app:7:<id>"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk_of(key: rsa.RSAPrivateKey, kid: str) -> dict:
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"use": "sig", "kid": kid})
    return jwk


def sign(body: bytes, key: rsa.RSAPrivateKey, kid: str, *, header: dict | None = None) -> str:
    """Saleor-Signature for `body`: header..signature (the payload detached, "b64": false).
    `header` replaces the protected header PyJWT would write: older PyJWT versions, which a
    Saleor may run, wrote {"alg", "b64": false, "kid", "typ"} without "crit"."""
    if header is None:
        return api_jws.encode(
            body, key=key, algorithm="RS256", headers={"kid": kid}, is_payload_detached=True
        )
    segment = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=")
    signature = key.sign(segment + b"." + body, padding.PKCS1v15(), hashes.SHA256())
    return f"{segment.decode()}..{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def issued_now(offset: dt.timedelta = dt.timedelta(0)) -> str:
    return (dt.datetime.now(dt.UTC) + offset).isoformat()


def method_id(code: str) -> str:
    """The id Saleor gives an app's external shipping method `code`."""
    return base64.b64encode(f"app:{APP_DB_ID}:{code}".encode()).decode()


class FakeSaleor:
    """One Saleor shop with one installed app (ours)."""

    def __init__(self, *, shop_name: str = "Fake Saleor Shop") -> None:
        self.shop_name = shop_name
        self.kid = "1"
        self.key = new_key()
        self.old_keys: dict[str, rsa.RSAPrivateKey] = {}
        self.app_token = ""
        self.manifest: dict = {}
        self.webhook_secret = ""  # set: webhooks are signed with the deprecated HMAC instead
        self.jwks_body: bytes | None = None  # set: served instead of the key set
        self.lock = threading.Lock()
        self.graphql_calls: list[dict] = []
        self.jwks_requests = 0
        self.metadata: dict[str, dict[str, str]] = {}
        self.notes: dict[str, list[str]] = {}
        self.deleted_webhooks: list[str] = []
        self.orders: list[dict] = []
        self._stack = contextlib.ExitStack()
        self.base_url = ""

    # --- the server -------------------------------------------------------------------------

    def __enter__(self) -> FakeSaleor:
        shop = self

        class Handler(JsonHandler):
            def do_GET(self) -> None:
                if self.path == "/.well-known/jwks.json":
                    with shop.lock:
                        shop.jwks_requests += 1
                    if shop.jwks_body is not None:  # a broken or hostile shop, for tests
                        self.send_response(200)
                        self.send_header("Content-Length", str(len(shop.jwks_body)))
                        self.end_headers()
                        self.wfile.write(shop.jwks_body)
                        return
                    self.send_json(200, shop.jwks())
                else:
                    self.send_json(404, {"error": "not found"})

            def do_POST(self) -> None:
                if self.path.rstrip("/") != "/graphql":
                    self.send_json(404, {"error": "not found"})
                    return
                if self.headers.get("Authorization") != f"Bearer {shop.app_token}" or not (
                    shop.app_token
                ):
                    self.send_json(401, {"errors": [{"message": "Invalid token."}]})
                    return
                self.send_json(200, shop.graphql(self.read_json() or {}))

        self.base_url = self._stack.enter_context(
            running(ThreadingHTTPServer(("127.0.0.1", 0), Handler))
        )
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/graphql/"

    @property
    def domain(self) -> str:
        return self.base_url.split("://", 1)[1]

    def jwks(self) -> dict:
        keys = [jwk_of(self.key, self.kid)]
        keys += [jwk_of(key, kid) for kid, key in self.old_keys.items()]
        return {"keys": keys}

    def rotate_key(self, *, keep_old: bool = False) -> None:
        """A new signing key with a new kid (the JWKS serves it from now on)."""
        if keep_old:
            self.old_keys[self.kid] = self.key
        self.kid = f"{int(self.kid) + 1}"
        self.key = new_key()

    def graphql(self, request: Mapping[str, Any]) -> dict:
        query = str(request.get("query", ""))
        variables = request.get("variables") or {}
        with self.lock:
            self.graphql_calls.append({"query": query, "variables": variables})
        if "webhookDelete" in query:
            with self.lock:
                self.deleted_webhooks.append(variables.get("id"))
            return {"data": {"webhookDelete": {"errors": []}}}
        if "updateMetadata" in query:
            order_id = variables["id"]
            with self.lock:
                meta = self.metadata.setdefault(order_id, {})
                meta.update({item["key"]: item["value"] for item in variables["meta"]})
                self.notes.setdefault(order_id, []).append(variables["note"])
            return {"data": {"updateMetadata": {"errors": []}, "orderNoteAdd": {"errors": []}}}
        if "orders(" in query:
            edges = [{"node": order} for order in self.orders]
            info = {"hasNextPage": False, "endCursor": None}
            return {"data": {"orders": {"pageInfo": info, "edges": edges}}}
        if "app" in query:
            webhooks = [
                {"id": base64.b64encode(f"Webhook:{n}".encode()).decode()}
                for n, _ in enumerate(self.manifest.get("webhooks", []), start=1)
            ]
            app = {"id": base64.b64encode(f"App:{APP_DB_ID}".encode()).decode(), "name": "Nearbox"}
            return {
                "data": {"app": {**app, "webhooks": webhooks}, "shop": {"name": self.shop_name}}
            }
        return {"errors": [{"message": "The fake Saleor does not know this query."}]}

    # --- what Saleor does -------------------------------------------------------------------

    def install(self, manifest_url: str) -> int:
        """Install the app: fetch its manifest, keep its webhooks, send a fresh app token to its
        tokenTargetUrl. Returns the status of that POST."""
        with urllib.request.urlopen(manifest_url, timeout=30) as response:
            self.manifest = json.loads(response.read())
        self.app_token = secrets.token_urlsafe(30)
        body = json.dumps({"auth_token": self.app_token}).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Saleor-Domain": self.domain,
            "Saleor-Domain": self.domain,
            "Saleor-Api-Url": self.api_url,
            "Saleor-Schema-Version": "3.20",
        }
        return self._post(self.manifest["tokenTargetUrl"], body, headers)[0]

    def target_url(self, event: str) -> str:
        for webhook in self.manifest.get("webhooks", []):
            if event in webhook.get("asyncEvents", []) + webhook.get("syncEvents", []):
                return webhook["targetUrl"]
        raise KeyError(f"the installed app does not subscribe to {event}")

    def headers_for(self, event: str, body: bytes, signature: str | None = None) -> dict:
        if signature is None:
            if self.webhook_secret:
                digest = hmac.new(self.webhook_secret.encode(), body, hashlib.sha256)
                signature = digest.hexdigest()
            else:
                signature = sign(body, self.key, self.kid)
        return {
            "Content-Type": "application/json",
            "Saleor-Event": event.lower(),
            "Saleor-Domain": self.domain,
            "Saleor-Api-Url": self.api_url,
            "Saleor-Signature": signature,
        }

    def send(
        self,
        event: str,
        payload: Mapping[str, Any] | bytes,
        *,
        headers: Mapping[str, str] | None = None,
        url: str | None = None,
    ) -> tuple[int, Any]:
        """POST a webhook of `event` to the app's target URL, signed unless `headers` says
        otherwise. Returns (status, decoded JSON answer or None)."""
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        sent = headers if headers is not None else self.headers_for(event, body)
        return self._post(url or self.target_url(event), body, sent)

    @staticmethod
    def _post(url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, Any]:
        request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, None
