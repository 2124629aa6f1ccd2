"""The default setup tested as it runs: `python -m config.devrun` (what `make run` starts) on
SQLite with runserver, a Celery worker and beat, the courier sandbox and the demo shop, driven
in Chromium as the demo merchant.

The crawl opens every page the navigation reaches and the same-origin links on them (depth 2),
the daily loop takes an order from the API to delivered and a locker order from the demo
shop to collection. Every response >= 500 (pages, htmx and fetch requests, API calls) and every
browser console error is collected; the test fails on any of them or a failed step and prints
all. The launcher's output (runserver's tracebacks included) is in
test-artifacts/default-setup.log, the findings in test-artifacts/default-setup-findings.txt.

Differences from a plain `make run`, each needed to run beside other test runs: free ports,
a temporary NEARBOX_VAR_DIR, its own Redis database and queue, the file mail backend (the
test reads the pickup code), runserver without its reloader (files edited during the run
must not restart it), and a sandbox on a fast clock whose parcels all arrive.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
import redis
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.support.helpers import ARTIFACTS, ROOT, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.worker]

DEMO_EMAIL, DEMO_PASSWORD = "demo@nearbox.example", "nearbox-demo"
STARTUP_TIMEOUT_S = 900  # migrate and seed on a busy shared machine; it usually takes 1-3 min
MAX_PAGES = 300
PER_SHAPE = 3  # pages per URL shape (/app/orders/{id}/): 40 orders need not all be opened
# Links the crawl does not follow: they sign out, change something or are not pages.
SKIP = re.compile(r"logout|/delete|/admin/|/static/|/media/|/api/v1/docs|/webhooks/", re.I)
DOWNLOAD = re.compile(r"\.(pdf|zpl|csv|png|svg|json|txt)$|/export|/download", re.I)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class App:
    url: str
    shop_url: str
    env: dict[str, str]
    mail_dir: Path
    startup_s: float  # config.devrun's migrate, seed_demo and start, until its banner


@dataclass
class Findings:
    server_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # how long each part took (a record)

    def report(self) -> str:
        timings = ", ".join(f"{name} {s:.0f} s" for name, s in self.seconds.items())
        lines = [f"{len(self.visited)} pages opened", f"Timings: {timings}"]
        for title, items in (
            ("Responses >= 500", self.server_errors),
            ("Failed steps of the daily loop", self.failed_steps),
            ("Browser console errors", self.console_errors),
        ):
            lines.append(f"{title} ({len(items)}):")
            lines += [f"  {item}" for item in dict.fromkeys(items)]
        return "\n".join(lines)


@pytest.fixture(scope="module")
def default_setup(tmp_path_factory) -> Iterator[App]:
    var_dir = tmp_path_factory.mktemp("default-setup-var")
    port, sandbox_port, shop_port = free_port(), free_port(), free_port()
    # A clean environment: tests/settings.py filled os.environ with PostgreSQL test defaults.
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(var_dir),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(ROOT),
        "DEBUG": "1",
        "NEARBOX_VAR_DIR": str(var_dir),
        "PORT": str(port),
        "SANDBOX_PORT": str(sandbox_port),
        "SHOP_PORT": str(shop_port),
        # Its own Redis database and queue: never takes the suite's or a developer's tasks.
        "REDIS_URL": "redis://127.0.0.1:6379/13",
        "CELERY_QUEUE": f"nearbox-default-setup-{os.getpid()}",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(var_dir / "mail"),
        "RUNSERVER_OPTIONS": "--noreload",
        # A day's journey in seconds, and every parcel arrives (no failed attempts).
        "SANDBOX_SPEED": "20000",
        "SANDBOX_OPTIONS": "--failed-share 0 --exception-share 0 --return-share 0",
    }
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / "default-setup.log"
    log = open(log_path, "w")  # noqa: SIM115  (closed below)
    proc = subprocess.Popen(
        [sys.executable, "-m", "config.devrun"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # one process group: honcho and everything it started
    )
    started = time.monotonic()
    try:

        def running() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"config.devrun exited {proc.returncode}: see {log_path}")
            return "Nearbox is running at" in log_path.read_text(errors="replace")

        wait_for(running, timeout=STARTUP_TIMEOUT_S, what="config.devrun's banner")
        url = f"http://127.0.0.1:{port}"
        startup_s = time.monotonic() - started
        yield App(url, f"http://127.0.0.1:{shop_port}/", env, var_dir / "mail", startup_s)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: honcho stops them all
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()
        # Beat may have queued a task after the worker stopped: leave no queue behind.
        queue = env["CELERY_QUEUE"]
        redis.Redis.from_url(env["REDIS_URL"]).delete(
            queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"
        )


def demo_secret_key(app: App) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", "seed_demo", "--only", "merchant", "--json"],
        cwd=ROOT,
        env=app.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])["secret_api_key"]


def listen(context, findings: Findings) -> None:
    def on_response(response) -> None:
        if response.status >= 500:
            request = response.request
            findings.server_errors.append(f"{response.status} {request.method} {response.url}")

    def on_console(message) -> None:
        if message.type == "error":
            where = message.location.get("url", "") if message.location else ""
            findings.console_errors.append(
                f"{message.page.url if message.page else ''}: {message.text} ({where})"
            )

    def on_page(page) -> None:
        page.on("pageerror", lambda error: findings.console_errors.append(f"{page.url}: {error}"))

    context.on("response", on_response)
    context.on("console", on_console)
    context.on("page", on_page)


def sign_in(page, app: App) -> None:
    page.goto(f"{app.url}/accounts/login/")
    page.get_by_label("Email").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


# --- The crawl -----------------------------------------------------------------------------


def shape(url: str) -> str:
    return re.sub(r"/\d+(?=/|$)", "/{id}", urlsplit(url).path)


def same_origin_links(page, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    links = []
    for href in hrefs:
        href = urldefrag(href).url
        if href.startswith(origin + "/") and not SKIP.search(href):
            links.append(href)
    return list(dict.fromkeys(links))


def open_url(page, url: str, findings: Findings) -> bool:
    """Open a page (or fetch a file); True when it is an HTML page whose links can be read."""
    findings.visited.append(url)
    if DOWNLOAD.search(urlsplit(url).path):
        response = page.context.request.get(url)  # the 'response' listener does not see these
        if response.status >= 500:
            findings.server_errors.append(f"{response.status} GET {url}")
        return False
    try:
        response = page.goto(url, wait_until="load")
    except PlaywrightError as error:
        if "Download is starting" in str(error):
            fetched = page.context.request.get(url)
            if fetched.status >= 500:
                findings.server_errors.append(f"{fetched.status} GET {url}")
            return False
        findings.failed_steps.append(f"crawl: {url} did not open: {error}")
        return False
    with contextlib.suppress(PlaywrightError):  # htmx fragments that load with the page
        page.wait_for_load_state("networkidle", timeout=5_000)
    content_type = response.headers.get("content-type", "") if response else ""
    return "text/html" in content_type


def crawl(page, app: App, findings: Findings) -> None:
    page.goto(f"{app.url}/")
    nav = page.get_by_role("navigation", name="Main")
    start = [
        urldefrag(h).url for h in nav.locator("a[href]").evaluate_all("l => l.map(a => a.href)")
    ]
    queue = [(url, 1) for url in dict.fromkeys([f"{app.url}/", *start]) if not SKIP.search(url)]
    seen = {url for url, _ in queue}
    shapes: Counter[str] = Counter()
    while queue and len(findings.visited) < MAX_PAGES:
        url, depth = queue.pop(0)
        shapes[shape(url)] += 1
        if not open_url(page, url, findings) or depth >= 2:
            continue
        for link in same_origin_links(page, app.url):
            if (
                link not in seen
                and shapes[shape(link)] + sum(shape(q) == shape(link) for q, _ in queue) < PER_SHAPE
            ):
                seen.add(link)
                queue.append((link, depth + 1))


# --- The daily loop ------------------------------------------------------------------------


class Api:
    """The REST API with the demo secret key; every answer >= 500 is a finding."""

    def __init__(self, request_context, base: str, findings: Findings) -> None:
        self.request, self.base, self.findings = request_context, base, findings

    def call(self, method: str, path: str, **kwargs):
        response = self.request.fetch(f"{self.base}/api/v1{path}", method=method, **kwargs)
        if response.status >= 500:
            self.findings.server_errors.append(f"{response.status} {method} /api/v1{path}")
        return response

    def json(self, method: str, path: str, expect_status: int | tuple = 200, **kwargs):
        response = self.call(method, path, **kwargs)
        allowed = expect_status if isinstance(expect_status, tuple) else (expect_status,)
        assert response.status in allowed, f"{method} {path}: {response.status} {response.text()}"
        return response.json()

    def items(self, path: str, **params) -> list[dict]:
        """A list endpoint's rows (paginated lists answer {"items": [...], "count": n})."""
        body = self.json("GET", path, params=params)
        return body["items"] if isinstance(body, dict) else body


def step(findings: Findings, name: str):
    """Run one step of the loop; a failure is recorded and the loop goes on where it can."""

    def run(fn: Callable[[], object]):
        started = time.monotonic()
        try:
            return fn()
        except Exception as error:  # every failure is reported at the end
            findings.failed_steps.append(f"{name}: {type(error).__name__}: {error}"[:800])
            return None
        finally:
            findings.seconds[name] = time.monotonic() - started

    return run


def wait_for_booking(api: Api, order_id: int) -> dict:
    def booked():
        for shipment in api.items("/shipments", limit=50):
            if shipment["order_id"] == order_id and shipment["tracking_number"]:
                return shipment
        return None

    return wait_for(booked, timeout=90, what=f"order {order_id} booked with a tracking number")


def order_through_the_api(api: Api) -> dict:
    stocked = api.items("/stock", limit=500)
    sku_by_id = {p["id"]: p["sku"] for p in api.items("/products", limit=500)}
    in_stock = next(s for s in stocked if s.get("available", s.get("on_hand", 0)) > 5)
    sku = in_stock.get("sku") or sku_by_id[in_stock["product_id"]]
    order = api.json(
        "POST",
        "/orders",
        expect_status=(200, 201),
        data={
            "reference": f"E2E-{uuid.uuid4().hex[:8].upper()}",
            "shopper": {"name": "Dana Cruz", "email": "dana@example.com", "phone": "3125550199"},
            "destination": {
                "line1": "2450 N Clark St",
                "city": "Chicago",
                "state": "IL",
                "postal_code": "60614",
            },
            "delivery": {"kind": "home", "service_level": "next_day"},
            "lines": [{"sku": sku, "quantity": 1}],
        },
    )
    assert order["status"] == "allocated", order["status"]
    return order


def todays_work(page, app: App, order: dict, findings: Findings) -> None:
    page.goto(f"{app.url}/app/orders/today/")
    points = {
        urldefrag(h).url
        for h in page.eval_on_selector_all("a[href]", "l => l.map(a => a.href)")
        if re.search(r"/app/orders/today/\d+/$", h)
    }
    assert points, "Today's work links to no storage point"
    for point_url in sorted(points):
        page.goto(point_url)
        if page.get_by_text(order["reference"]).count():
            pick_list = page.context.request.get(point_url + "pick-list.pdf")
            assert pick_list.status == 200, f"pick list: {pick_list.status}"
            assert pick_list.body().startswith(b"%PDF"), "the pick list is not a PDF"
            return
    raise AssertionError(f"{order['reference']} is on no point's Today's work page (issue item 3)")


def rate_shop_and_book(page, app: App, api: Api, order: dict) -> dict:
    page.goto(f"{app.url}/app/orders/{order['id']}/")
    options = page.locator("#rate-options")
    expect(options.get_by_role("table")).to_be_visible(timeout=30_000)
    sandbox = options.get_by_role("row").filter(has_text="Sandbox Express")
    button = sandbox.get_by_role("button", name=re.compile("Create shipment"))
    if not button.count():
        button = options.get_by_role("button", name=re.compile("Create shipment"))
    button.first.click()
    page.wait_for_load_state("load")
    return wait_for_booking(api, order["id"])


def label_through_api_and_page(page, app: App, api: Api, shipment: dict) -> None:
    pdf = api.call("GET", f"/shipments/{shipment['id']}/label", params={"size": "4x6"})
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF"), f"API label PDF: {pdf.status}"
    zpl = api.call("GET", f"/shipments/{shipment['id']}/label", params={"format": "zpl"})
    assert zpl.status == 200 and b"^XA" in zpl.body(), f"API label ZPL: {zpl.status}"
    page.goto(f"{app.url}/app/couriers/shipments/{shipment['id']}/")
    label_url = f"{app.url}/app/labels/shipments/{shipment['id']}/"
    label = page.context.request.get(label_url)
    assert label.status == 200, f"label page {label_url}: {label.status}"


def tracking_to_delivered(api: Api, shipment: dict, order: dict) -> None:
    def delivered():
        tracking = api.json("GET", f"/shipments/{shipment['id']}/tracking")
        return tracking.get("status") == "delivered"

    # The sandbox delivers within seconds of simulated hours; beat's planner reads its change
    # feed every minute.
    wait_for(delivered, timeout=240, every=2, what="the sandbox parcel delivered")
    wait_for(
        lambda: api.json("GET", f"/orders/{order['id']}")["status"] == "delivered",
        timeout=30,
        what="the order delivered with its parcel (issue item 8)",
    )


def locker_order_from_the_demo_shop(page, app: App, api: Api) -> dict:
    shopper = f"Locker Tester {uuid.uuid4().hex[:6]}"
    page.goto(app.shop_url)
    page.get_by_label("Name").fill(shopper)
    page.get_by_label("Email").fill("locker.tester@example.com")
    widget = page.locator("#nearbox-delivery")
    widget.get_by_label("Postcode").fill("60614")
    locker = widget.locator("[role=option][data-key^='locker:']").first
    expect(locker).to_be_visible(timeout=30_000)
    locker.click()
    page.wait_for_function("document.querySelector('input[name=nearbox_reservation_token]')?.value")
    page.get_by_role("button", name="Place order").click()
    page.wait_for_load_state("load")

    def created():
        for summary in api.items("/orders", limit=50):
            if summary["shopper_name"] == shopper:
                return summary
        return None

    answer = page.locator("main").inner_text()[:600]
    summary = wait_for(
        created, timeout=30, what=f"the demo shop's order in Nearbox (item 9); shop said: {answer}"
    )
    return api.json("GET", f"/orders/{summary['id']}")


def pickup_code(mail_dir: Path, tracking_number: str) -> str | None:
    for message in sorted(mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True):
        text = message.read_text(errors="replace")
        if "Pickup code:" in text and tracking_number in text:
            return re.search(r"Pickup code: (\d+)", text).group(1)
    return None


def locker_to_collection(page, app: App, api: Api, order: dict) -> None:
    kind, _, bank_id = order["delivery"]["pickup_location_ref"].partition(":")
    assert kind == "locker", order["delivery"]
    created = api.json(
        "POST", "/couriers/shipments", expect_status=202, data={"order_id": order["id"]}
    )
    shipment = wait_for_booking(api, order["id"])
    assert shipment["id"] == created["shipment_id"]
    page.goto(f"{app.url}/app/pickup/lockers/{bank_id}/")
    terminal = page.locator("#staff-link").input_value()
    page.goto(terminal)
    page.get_by_label("Tracking number").fill(shipment["tracking_number"])
    page.get_by_role("button", name="Receive parcel").click()
    expect(page.locator("#result")).to_contain_text("received")
    code = wait_for(
        lambda: pickup_code(app.mail_dir, shipment["tracking_number"]),
        timeout=30,
        what="the pickup code mailed to the shopper",
    )
    page.get_by_label("Pickup code").fill(code)
    page.get_by_role("button", name="Open my compartment").click()
    expect(page.locator("#result")).to_contain_text(shipment["tracking_number"])
    wait_for(
        lambda: api.json("GET", f"/orders/{order['id']}")["status"] == "delivered",
        timeout=30,
        what="the collected locker order delivered (issue item 8)",
    )


def test_the_default_setup_runs_the_merchants_day_without_a_server_error(
    default_setup, chromium_browser
):
    app, findings = default_setup, Findings()
    findings.seconds["startup"] = app.startup_s
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 800})
    api_context = chromium_browser.new_context(
        extra_http_headers={"Authorization": f"Bearer {demo_secret_key(app)}"}
    )
    listen(context, findings)
    page = context.new_page()
    page.set_default_timeout(20_000)
    api = Api(api_context.request, app.url, findings)
    try:
        sign_in(page, app)
        step(findings, "crawl")(lambda: crawl(page, app, findings))

        order = step(findings, "an order through the API")(lambda: order_through_the_api(api))
        if order:
            step(findings, "Today's work and the pick list")(
                lambda: todays_work(page, app, order, findings)
            )
            shipment = step(findings, "rate shopping and booking")(
                lambda: rate_shop_and_book(page, app, api, order)
            )
            if shipment:
                step(findings, "the label through the API and the page")(
                    lambda: label_through_api_and_page(page, app, api, shipment)
                )
                step(findings, "tracking to delivered")(
                    lambda: tracking_to_delivered(api, shipment, order)
                )
        locker_order = step(findings, "a locker order from the demo shop")(
            lambda: locker_order_from_the_demo_shop(page, app, api)
        )
        if locker_order:
            step(findings, "the locker order to collection")(
                lambda: locker_to_collection(page, app, api, locker_order)
            )
    finally:
        report = findings.report()
        visited = "\n".join(f"  {url}" for url in findings.visited)
        (ARTIFACTS / "default-setup-findings.txt").write_text(f"{report}\nOpened:\n{visited}\n")
        context.close()
        api_context.close()

    problems = findings.server_errors + findings.failed_steps + findings.console_errors
    assert not problems, f"{report}\n(runserver's tracebacks: {ARTIFACTS / 'default-setup.log'})"
