"""Pages work without network: the API reference and the favicon come from our own static files."""

import json
import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

ASSET_ATTR = re.compile(r"""\b(?:src|href)=["']([^"']+)["']""")


def asset_urls(html: str) -> list[str]:
    return ASSET_ATTR.findall(html)


def fetch_fully(client: Client, url: str) -> tuple[int, bytes]:
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, body


def test_api_docs_page_references_no_external_host_and_every_asset_answers() -> None:
    client = Client()
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()

    urls = asset_urls(html)
    assert any(u.endswith("swagger-ui-bundle.js") for u in urls)
    assert any(u.endswith("swagger-ui.css") for u in urls)
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"external asset on the docs page: {url}"
        status, body = fetch_fully(client, url)
        assert status == 200, url
        assert body, url


def test_api_docs_settings_point_at_our_schema_and_disable_the_online_validator() -> None:
    html = Client().get("/api/v1/docs").content.decode()
    block = re.search(
        r'<script type="application/json" id="swagger-settings">(.*?)</script>', html, re.S
    )
    assert block, "the Swagger settings block is missing"
    settings = json.loads(block.group(1))
    assert settings["url"] == "/api/v1/openapi.json"
    # Swagger UI's default validator loads a badge from validator.swagger.io.
    assert settings["validatorUrl"] is None
    assert Client().get(settings["url"]).status_code == 200


def test_favicon_ico_redirects_to_an_icon_that_exists() -> None:
    client = Client()
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    status, body = fetch_fully(client, response["Location"])
    assert status == 200
    assert body[:4] == b"\x00\x00\x01\x00"  # the ICO file signature


def test_pages_link_the_favicon(client_a: Client) -> None:
    html = client_a.get("/app/", follow=True).content.decode()
    icons = re.findall(r'<link rel="icon" href="([^"]+)"', html)
    assert icons, "no favicon link on the dashboard"
    for url in icons:
        assert fetch_fully(client_a, url)[0] == 200, url
