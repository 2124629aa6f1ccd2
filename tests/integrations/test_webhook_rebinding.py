"""A webhook endpoint's host name is resolved once per POST: the address checked as public is
the address connected to. Before, the client resolved the name again after the check, so a
name answering a public address to the check and 127.0.0.1 to the client (DNS rebinding) had
Nearbox POST to its own network and show the answer's first bytes in the delivery log."""

from __future__ import annotations

import socket

import httpx
import pytest

from integrations.webhooks import http

PUBLIC = "93.184.216.34"


@pytest.fixture
def rebinding_dns(monkeypatch):
    """rebind.example answers a public address the first time, 127.0.0.1 after."""
    real = socket.getaddrinfo
    calls = []

    def resolve(host, port, *args, **kwargs):
        if host != "rebind.example":
            return real(host, port, *args, **kwargs)
        calls.append(host)
        address = PUBLIC if len(calls) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    return calls


@pytest.fixture
def sent(monkeypatch):
    """The requests the client would put on the wire (no connection is made)."""
    requests: list[httpx.Request] = []
    real_client = httpx.Client

    def client(**kwargs):
        def answer(request: httpx.Request) -> httpx.Response:
            requests.append(request)
            return httpx.Response(204)

        return real_client(**kwargs, transport=httpx.MockTransport(answer))

    monkeypatch.setattr(http.httpx, "Client", client)
    return requests


def test_the_post_goes_to_the_address_that_was_checked(settings, rebinding_dns, sent):
    settings.NEARBOX_WEBHOOKS_ALLOW_PRIVATE = False
    answer = http.post("https://rebind.example:8443/hooks?x=1", b"{}", {"X-Test": "1"})
    assert answer.status_code == 204
    (request,) = sent
    assert request.url.host == PUBLIC
    assert request.url.port == 8443 and request.url.raw_path == b"/hooks?x=1"
    assert request.headers["Host"] == "rebind.example:8443"
    # TLS is checked against the name (SNI and the certificate), not the address.
    assert request.extensions["sni_hostname"] == "rebind.example"
    assert request.headers["X-Test"] == "1"


def test_with_private_addresses_allowed_the_client_resolves_as_before(settings, sent):
    settings.NEARBOX_WEBHOOKS_ALLOW_PRIVATE = True
    http.post("http://localhost:9/hooks", b"{}", {})
    (request,) = sent
    assert request.url.host == "localhost"
