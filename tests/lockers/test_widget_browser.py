"""The checkout pickup widget in headless Chromium, embedded by a shop page on another origin.

The shop page is served by a plain http.server on 127.0.0.1 while Nearbox is the live server
on localhost, so every API call is cross-origin. The page carries hostile CSS that must not
reach the widget's shadow DOM.
"""

from __future__ import annotations

import json
import threading

import pytest
from playwright.sync_api import expect

from devtools.demo_shop import make_server
from fulfillment.models import Order
from lockers.models import Compartment, Reservation
from merchant.models import ApiKey, StoragePoint
from merchant.services.stock import receive_stock
from tests.factories.couriers import make_account, make_service
from tests.factories.lockers import LINCOLN_PARK
from tests.factories.merchant import make_product
from tests.support.helpers import screenshot, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def widget(page):
    """The widget's shadow root content (Playwright locators pierce open shadow roots)."""
    return page.locator("#nearbox")


def shadow_active(page, prop: str = "id") -> str:
    return page.evaluate(
        f"""() => {{
          const a = document.querySelector('#nearbox').shadowRoot.activeElement;
          return a ? (a.getAttribute('{prop}') || '') : '';
        }}"""
    )


def test_shopper_holds_a_locker_by_keyboard_only_on_a_hostile_page(
    live_server, page, shop_pages, network
):
    url = shop_pages.checkout(
        "/checkout",
        script_src=f"{live_server.url}/pickup/widget/nearbox-widget.js",
        key=network["key"],
    )
    page.goto(url)
    root = widget(page)
    postcode = root.get_by_label("Postcode")
    expect(postcode).to_be_visible()  # `div { display: none !important }` does not hide it

    # Keyboard only: Tab from the page's email field into the widget's postcode field.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "email"
    page.keyboard.press("Tab")
    assert shadow_active(page) == "nbx-postcode"
    page.keyboard.type("60601")
    expect(root.get_by_role("status")).to_have_text("3 options found")

    # Sensible order: location button, the four filters, then one stop for the whole list.
    for _ in range(6):
        page.keyboard.press("Tab")
    assert shadow_active(page, "role") == "option"
    listbox = root.get_by_role("listbox", name="Delivery options")
    names = listbox.get_by_role("option").all_inner_texts()
    assert names[0].startswith("Loop Locker") and names[1].startswith("Lincoln Park Locker")
    assert "Corner Store" in names[2]
    first = listbox.get_by_role("option").first
    expect(first).to_contain_text("Open 24/7")
    expect(first).to_contain_text("Ready by")
    expect(first).to_contain_text("m away")

    page.keyboard.press("ArrowDown")  # focus moves; nothing is chosen yet
    assert shadow_active(page, "data-key") == f"locker:{network['far'].pk}"
    assert page.evaluate("window.nearboxEvents.length") == 0
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Space")

    expect(root.get_by_role("option", name="Loop Locker")).to_have_attribute(
        "aria-selected", "true"
    )
    page.wait_for_function("window.nearboxEvents.length === 1")
    detail = page.evaluate("window.nearboxEvents[0]")
    near = network["near"]
    assert detail["kind"] == "locker" and detail["id"] == near.pk
    assert detail["ref"] == f"locker:{near.pk}" and detail["name"] == "Loop Locker"
    reservation = Reservation.objects.get(token=detail["reservation"]["token"])
    assert reservation.status == Reservation.Status.HELD
    assert reservation.compartment.bank_id == near.pk
    inputs = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('#checkout input[type=hidden]')]
             .map(i => [i.name, i.value]))"""
    )
    assert inputs == {
        "nearbox_delivery_kind": "locker",
        "nearbox_pickup_location_ref": f"locker:{near.pk}",
        "nearbox_service_id": "",
        "nearbox_reservation_token": reservation.token,
    }
    expect(root.get_by_text("a compartment is held for you for 15 min.")).to_be_visible()

    # Neither page styles the other: the shop's text keeps its look, and the options keep theirs.
    host_text = page.locator("#hostmark")
    assert host_text.evaluate("e => getComputedStyle(e).color") == "rgb(10, 20, 30)"
    assert host_text.evaluate("e => getComputedStyle(e).fontWeight") == "400"  # not our 600
    assert first.evaluate("e => getComputedStyle(e).display") == "grid"
    assert first.evaluate("e => getComputedStyle(e).fontSize") != "40px"
    # The map is drawn without tiles: markers for the three places and the destination.
    expect(root.locator(".nbx-map[data-ready=true]")).to_be_visible()
    expect(root.locator("path.nbx-marker")).to_have_count(4)
    assert root.locator(".leaflet-tile").count() == 0
    screenshot(page, "widget-hostile-page-locker-held")

    # Choosing the shop instead frees the held compartment at once, not when the hold expires.
    root.get_by_role("option", name="Loop Locker").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_function("window.nearboxEvents.length === 2")
    assert page.evaluate("window.nearboxEvents[1].kind") == "shop"
    assert page.locator("input[name=nearbox_reservation_token]").input_value() == ""
    wait_for(
        lambda: Reservation.objects.get(pk=reservation.pk).status == Reservation.Status.RELEASED,
        timeout=10,
    )
    reservation.compartment.refresh_from_db()
    assert reservation.compartment.state == Compartment.State.FREE


def test_phone_viewport_in_polish_stacks_the_list_over_the_map_and_filters(
    live_server, chromium_browser, shop_pages, network, settings
):
    # Tiles from the setting (here a local image, so no request leaves the machine).
    settings.NEARBOX_WIDGET_TILE_URL = (
        live_server.url + "/static/vendor/leaflet-1.9.4/images/layers.png?{z}/{x}/{y}"
    )
    context = chromium_browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        geolocation={"latitude": LINCOLN_PARK[0], "longitude": LINCOLN_PARK[1]},
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        url = shop_pages.checkout(
            "/pl",
            script_src=f"{live_server.url}/pickup/widget/nearbox-widget.js",
            key=network["key"],
            extra='data-locale="pl"',
        )
        page.goto(url)
        root = widget(page)
        root.get_by_role("button", name="Użyj mojej lokalizacji").click()
        expect(root.get_by_role("status")).to_have_text("Znaleziono 3 opcje")
        expect(root.get_by_role("option").first).to_contain_text("Lincoln Park Locker")

        root.get_by_label("Kod pocztowy").fill("60601")
        expect(root.get_by_role("option").first).to_contain_text("Loop Locker")
        expect(root.get_by_role("status")).to_have_text("Znaleziono 3 opcje")
        expect(root.locator(".leaflet-tile").first).to_be_attached()
        expect(root.get_by_role("button", name="Użyj mojej lokalizacji")).to_be_visible()
        expect(root.get_by_role("listbox", name="Opcje dostawy")).to_contain_text(
            "Czynne całą dobę"
        )

        listbox = root.get_by_role("listbox").bounding_box()
        map_box = root.locator(".nbx-map").bounding_box()
        assert listbox["y"] + listbox["height"] <= map_box["y"] + 1  # stacked, list first
        assert listbox["width"] <= 390 and map_box["width"] <= 390

        open_now = root.get_by_role("checkbox", name="Otwarte teraz")
        open_now.check()  # the shop has no hours on record, so it is not known to be open
        expect(root.get_by_role("status")).to_have_text("Znaleziono 2 opcje")
        expect(root.get_by_role("option", name="Corner Store")).to_have_count(0)
        open_now.uncheck()
        root.get_by_role("checkbox", name="Automaty paczkowe").uncheck()
        expect(root.get_by_role("status")).to_have_text("Znaleziono 1 opcję")
        shop = network["shop"]
        root.get_by_role("option", name="Corner Store").press("Enter")
        page.wait_for_function("window.nearboxEvents.length === 1")
        detail = page.evaluate("window.nearboxEvents[0]")
        assert detail == {
            "kind": "shop",
            "ref": f"shop:{shop.pk}",
            "id": shop.pk,
            "name": "Corner Store",
            # A pickup shop is priced too: the default pickup price, as no checkout rule is set.
            "price": {"amount": 0, "currency": "USD"},
            "reservation": None,
        }
        assert page.locator("input[name=nearbox_pickup_location_ref]").input_value() == (
            f"shop:{shop.pk}"
        )
        # The order API's delivery kind, ready to pass on to POST /api/v1/orders.
        assert page.locator("input[name=nearbox_delivery_kind]").input_value() == "pickup_shop"
        assert page.locator("input[name=nearbox_reservation_token]").input_value() == ""
        expect(root.get_by_text("Wybrano: Corner Store")).to_be_visible()
        assert Reservation.objects.count() == 0
        # The chosen shop and the destination are drawn inside the map, at marker size.
        map_box = root.locator(".nbx-map").bounding_box()
        for marker in root.locator("path.nbx-marker").all():
            box = marker.bounding_box()
            assert box["width"] <= 30
            assert map_box["x"] <= box["x"] and box["x"] + box["width"] <= map_box["x"] + 390
            assert map_box["y"] <= box["y"] <= map_box["y"] + map_box["height"]
        screenshot(page, "widget-phone-pl")
    finally:
        context.close()


def test_a_key_that_does_not_allow_the_origin_shows_the_reason(
    live_server, page, shop_pages, network, merchant_a
):
    ApiKey.objects.filter(pk=merchant_a.publishable_key.api_key.pk).update(
        allowed_origins=["https://elsewhere.example"]
    )
    page.goto(
        shop_pages.checkout(
            "/other",
            script_src=f"{live_server.url}/pickup/widget/nearbox-widget.js",
            key=network["key"],
        )
    )
    root = widget(page)
    root.get_by_label("Postcode").fill("60601")
    expect(root.get_by_role("alert")).to_contain_text("is not an allowed origin of this key")
    expect(root.get_by_label("Postcode")).to_have_value("60601")
    assert root.get_by_role("option").count() == 0

    page.goto(
        shop_pages.checkout(
            "/wrong-key",
            script_src=f"{live_server.url}/pickup/widget/nearbox-widget.js",
            key="nbx_pk_mistyped",
        )
    )
    widget(page).get_by_label("Postcode").fill("60601")
    expect(widget(page).get_by_role("alert")).to_contain_text("publishable key is not valid")


def test_errors_keep_the_input_and_retry_recovers(live_server, page, shop_pages, network):
    page.goto(
        shop_pages.checkout(
            "/errors",
            script_src=f"{live_server.url}/static/nearbox/widget/nearbox-widget.js",
            key=network["key"],
            extra='data-tile-url=""',
        )
    )
    root = widget(page)
    postcode = root.get_by_label("Postcode")
    postcode.fill("00000")  # a ZIP no gazetteer knows: the API's problem detail is shown
    alert = root.get_by_role("alert")
    expect(alert).to_have_text("We could not find postal code 00000.", use_inner_text=True)
    expect(postcode).to_have_value("00000")

    postcode.fill("10001")  # New York: nothing within reach of a Chicago network
    expect(root.get_by_role("status")).to_have_text(
        "No delivery options found near 10001. Try another postcode."
    )
    expect(alert).to_be_hidden()

    # A failing server (a 500 in plain text) and a lost connection: the shopper can retry.
    options_url = "**/api/v1/delivery-options**"
    page.route(options_url, lambda route: route.fulfill(status=500, body="Server Error"))
    postcode.fill("60616")
    expect(alert).to_contain_text("The delivery service had a problem. Try again in a moment.")
    expect(root.get_by_role("button", name="Try again")).to_be_visible()
    page.unroute(options_url)
    page.route(options_url, lambda route: route.abort())
    postcode.fill("60614")
    expect(alert).to_contain_text("Could not reach the delivery service")
    expect(postcode).to_have_value("60614")
    page.unroute(options_url)
    root.get_by_role("button", name="Try again").click()
    expect(root.get_by_role("status")).to_have_text("3 options found")
    expect(alert).to_be_hidden()


def test_demo_shop_checkout_orders_the_home_service_the_shopper_chose(
    live_server, page, merchant_a, network, settings, monkeypatch
):
    """The page `make run` serves on its own origin: cart lines by SKU, a home service; "Place
    order" sends the order to Nearbox as the demo shop's WooCommerce order (its webhook taken
    in here by the intake task's function) with that service and the ZIP typed in the widget."""
    from demo.seeders.woocommerce import ensure_demo_store
    from integrations.models import InboundWebhook
    from integrations.platforms import receiving

    settings.NEARBOX_BASE_URL = live_server.url
    monkeypatch.setattr(receiving, "_enqueue", lambda webhook_id: None)
    merchant = merchant_a.merchant
    warehouse = StoragePoint.objects.get(merchant=merchant, name="Loop warehouse")
    for sku in ("MUG-CLASSIC", "COFFEE-1KG"):  # the demo page's cart
        product = make_product(merchant, sku=sku)
        receive_stock(merchant=merchant, product=product, point=warehouse, quantity=10)
    service = make_service(make_account(merchant, name="Zip Couriers"), name="Next day")
    shop = make_server(
        "127.0.0.1",
        0,
        nearbox_url=live_server.url,
        key=network["key"],
    )
    shop_url = f"http://127.0.0.1:{shop.server_address[1]}"
    connected = ensure_demo_store(merchant=merchant, shop_url=shop_url)
    shop.shop.store.add_webhook(
        "order.created", connected["webhook_url"], connected["webhook_secret"]
    )
    ApiKey.objects.filter(pk=merchant_a.publishable_key.api_key.pk).update(
        allowed_origins=[shop_url]
    )
    threading.Thread(target=shop.serve_forever, daemon=True).start()
    try:
        page.goto(f"{shop_url}/?locale=es")
        page.get_by_label("Name", exact=True).fill("Ana Compradora")
        page.get_by_label("Street address (for home delivery)").fill("100 E Randolph St")
        root = page.locator("#nearbox-delivery")
        root.get_by_label("Código postal").fill("60601")
        expect(root.get_by_role("status")).to_have_text("4 opciones encontradas")
        home = root.get_by_role("option", name="Next day")
        expect(home).to_contain_text("Zip Couriers")
        expect(home).to_contain_text("Llega")
        expect(home).to_contain_text("5,00")  # 500 minor units of USD, written the Spanish way
        home.click()
        expect(page.locator("#event-log")).to_contain_text('"kind": "home"')
        detail = json.loads(page.locator("#event-log").inner_text())
        assert detail["id"] == f"svc-{service.pk}" and detail["reservation"] is None
        assert detail["price"] == {"amount": 500, "currency": "USD"}
        expect(page.locator("#postal_code")).to_have_value("60601")  # from the widget
        page.get_by_role("button", name="Place order").click()
        received = page.get_by_role("status").filter(has_text="order received")
        expect(received).to_contain_text("#")
        reference = page.locator("#order-reference").inner_text()
        receiving.process_webhook(webhook_id=InboundWebhook.objects.get().pk)
        order = Order.objects.get(merchant=merchant, reference=reference)
        assert (order.delivery_kind, order.delivery_service) == ("home", f"svc-{service.pk}")
        assert (order.shopper_name, order.postal_code) == ("Ana Compradora", "60601")
        screenshot(page, "widget-demo-shop-order")
    finally:
        shop.shutdown()
        shop.server_close()
