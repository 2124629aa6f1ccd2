"""Every page answers with a Content-Security-Policy that forbids inline script, and still
works under it in Chromium: no CSP violation and no script error on any page the main
navigation reaches, on the map pages, the public pages and the sign-in pages."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from demo.seeders.merchant import seed_demo
from fulfillment.couriers.services.accounts import driver_token
from lockers.services.network import staff_link_token
from merchant.models import PlacementPlan, StoragePoint
from tests.factories.couriers import make_account, make_shipment
from tests.factories.lockers import make_bank, make_shop
from tests.support.helpers import sign_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Collected in the page itself: Chromium fires this event for each blocked inline script,
# style, eval or foreign resource, whether or not it also logs to the console.
COLLECT_VIOLATIONS = """
  window.__cspViolations = [];
  document.addEventListener("securitypolicyviolation", (e) => {
    const where = `${e.sourceFile}:${e.lineNumber}`;
    window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${where}`);
  });
"""


LINKS = "links => links.map(a => a.getAttribute('href').split('#')[0]).filter(Boolean)"


def visit(page, url: str, problems: dict[str, list[str]]) -> None:
    errors: list[str] = []
    on_console = lambda m: m.type == "error" and errors.append(m.text)  # noqa: E731
    on_error = lambda e: errors.append(f"uncaught: {e}")  # noqa: E731
    page.on("console", on_console)
    page.on("pageerror", on_error)
    response = page.goto(url)
    page.wait_for_load_state("networkidle")
    errors += page.evaluate("window.__cspViolations || []")
    page.remove_listener("console", on_console)
    page.remove_listener("pageerror", on_error)
    assert response is not None and response.status < 500, url
    if errors:
        problems[url] = errors


def test_every_main_page_has_a_policy_and_runs_under_it_without_violations(live_server, page):
    demo = seed_demo()
    merchant = demo.merchant
    owner = merchant.memberships.get().user
    bank = make_bank(merchant, name="Loop Locker")
    shop = make_shop(merchant, name="Corner Store")
    shipment = make_shipment(merchant)
    manual = make_account(merchant, courier="manual")
    point = StoragePoint.objects.filter(merchant=merchant).first()
    plan = PlacementPlan.objects.create(
        merchant=merchant,
        status=PlacementPlan.Status.READY,
        params={"mode": "distance", "k": 1, "history_days": 90, "cover_days": 14},
        result={
            "points": [
                {"id": point.pk, "name": point.name, "lat": 41.88, "lon": -87.63, "open": True}
            ],
            "clusters": [
                {"postal_code": "60601", "lat": 41.9, "lon": -87.6, "weight": 2.0,
                 "point_id": point.pk, "distance_km": 2.0}
            ],
        },
    )  # fmt: skip

    page.add_init_script(COLLECT_VIOLATIONS)
    problems: dict[str, list[str]] = {}
    base = live_server.url

    # Signed out: the sign-in pages and the public pages.
    for url in [
        reverse("login"),
        reverse("password_reset"),
        reverse("signup"),
        reverse("tracking_page", args=[shipment.public_token]),
        reverse("driver_page", args=[driver_token(account=manual)]),
        reverse("pickup_counter", args=[staff_link_token(shop)]),
        reverse("pickup_terminal", args=[staff_link_token(bank)]),
        "/api/v1/docs",
    ]:
        visit(page, base + url, problems)

    sign_in_browser(page, live_server, owner)
    page.goto(base + reverse("dashboard"))
    header = page.request.get(base + reverse("dashboard")).headers["content-security-policy"]
    assert "default-src 'self'" in header and "script-src 'self'" in header
    assert "unsafe-inline" not in header.split("script-src", 1)[1].split(";", 1)[0]
    assert "unsafe-eval" not in header

    nav = page.get_by_role("navigation", name="Main").get_by_role("link")
    expect(nav.first).to_be_attached()
    urls = {link.get_attribute("href") for link in nav.all()}
    urls |= {
        reverse("points_map"),
        reverse("pickup_map"),
        reverse("placement_plan", args=[plan.pk]),
        reverse("shipment_detail", args=[shipment.pk]),
        reverse("order_detail", args=[shipment.order_id]),
        reverse("orders_today"),
    }
    assert len(urls) >= 10
    linked: set[str] = set()
    for url in sorted(urls):
        visit(page, base + url, problems)
        linked |= set(page.eval_on_selector_all("main a[href^='/']", LINKS))
    # One level further: every page those pages link to (HTML pages only, not downloads).
    for url in sorted(linked - urls):
        answer = page.request.get(base + url, max_redirects=0)
        if answer.status == 200 and answer.headers["content-type"].startswith("text/html"):
            visit(page, base + url, problems)
    assert len(linked - urls) >= 20
    assert problems == {}

    # The maps drew (their scripts are static files now) and htmx still swaps fragments.
    page.goto(base + reverse("pickup_map"))
    expect(
        page.locator("#pickup-map .leaflet-interactive, #pickup-map canvas").first
    ).to_be_attached()
    page.goto(base + reverse("placement_plan", args=[plan.pk]))
    expect(page.locator("#placement-map path.leaflet-interactive").first).to_be_attached()
    assert page.evaluate("window.__cspViolations") == []
