"""/api/v1/docs renders in Chromium with no network beyond our own server, under our CSP."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_reference_renders_offline_with_no_csp_violation(live_server, page):
    ours = urlsplit(live_server.url).netloc
    elsewhere: list[str] = []
    problems: list[str] = []

    def only_ours(route) -> None:
        if urlsplit(route.request.url).netloc == ours:
            route.continue_()
        else:  # what "offline" means: anything else fails
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_ours)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(live_server.url + "/api/v1/docs")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Nearbox API")
    expect(page.locator(".opblock").first).to_be_visible()
    assert elsewhere == []
    assert not [p for p in problems if "Content Security Policy" in p], problems
