"""Labels wired to shipments: the shipments API and its label downloads in every size and
format (decoded by a real barcode reader), the courier's own label served as it came, return
labels with their own tracking number, and the dashboard's label preview."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from demo.seeders.labels import ensure_demo_labels
from fulfillment.labels.render import zpl_structure
from fulfillment.labels.render.scan import decode_pdf
from fulfillment.labels.services.labels import label_data_for
from fulfillment.models import Shipment
from fulfillment.orders.services.orders import advance_order
from fulfillment.shipments.services.booking import book_shipment
from fulfillment.shipments.services.returns import create_return_shipment
from fulfillment.tracking.notifications import tracking_url
from tests.factories.couriers import make_account, make_service, make_shipment
from tests.factories.orders import make_order

API = "/api/v1/shipments"


def codes(pdf: bytes) -> dict[int, list[tuple[str, str]]]:
    return decode_pdf(pdf)


# --- API: list -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_shipment_list_is_paginated_and_shows_only_the_merchants_shipments(
    merchant_a, merchant_b, api_client_a
):
    mine = [make_shipment(merchant_a.merchant) for _ in range(3)]
    make_shipment(merchant_b.merchant)

    first = api_client_a.get(API, {"limit": 2}).json()
    second = api_client_a.get(API, {"limit": 2, "offset": 2}).json()

    assert first["count"] == 3 and len(first["items"]) == 2 and len(second["items"]) == 1
    seen = [item["id"] for item in first["items"] + second["items"]]
    assert sorted(seen) == sorted(s.pk for s in mine)
    item = first["items"][0]
    newest = mine[-1]
    assert item["id"] == newest.pk and item["tracking_number"] == newest.tracking_number
    assert item["status"] == "info_received" and item["courier"] == newest.account.name
    assert item["order_reference"] == newest.order.reference and "created_at" in item


@pytest.mark.django_db
def test_shipment_list_filters_by_status_and_day(merchant_a, api_client_a):
    delivered = make_shipment(merchant_a.merchant, status="delivered")
    make_shipment(merchant_a.merchant)

    by_status = api_client_a.get(API, {"status": "delivered"}).json()
    assert [i["id"] for i in by_status["items"]] == [delivered.pk]
    day = delivered.created_at.date().isoformat()
    assert api_client_a.get(API, {"date": day}).json()["count"] == 2
    assert api_client_a.get(API, {"date": "2001-01-01"}).json()["count"] == 0
    bad = api_client_a.get(API, {"status": "lost"})
    assert bad.status_code == 422 and bad.json()["field"] == "status"


# --- API: labels ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("size", ["4x6", "a6", "a4"])
def test_label_pdf_in_each_size_scans_to_the_tracking_number(merchant_a, api_client_a, size):
    shipment = make_shipment(merchant_a.merchant)

    response = api_client_a.get(f"{API}/{shipment.pk}/label", {"size": size})

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pages = codes(response.content)
    assert len(pages) == 1  # one label; A4 is one sheet of four places
    assert ("code128", shipment.tracking_number) in pages[1]
    assert ("qr", tracking_url(shipment)) in pages[1]
    shipment.refresh_from_db()
    assert shipment.label_source == "nearbox" and shipment.label_size == size
    assert shipment.label.read() == response.content  # stored, served from there next time


@pytest.mark.django_db
def test_asking_for_another_size_renders_and_stores_the_label_again(merchant_a, api_client_a):
    shipment = make_shipment(merchant_a.merchant)
    small = api_client_a.get(f"{API}/{shipment.pk}/label", {"size": "4x6"}).content
    again = api_client_a.get(f"{API}/{shipment.pk}/label", {"size": "4x6"}).content
    assert again == small  # the stored file, not a new render

    sheet = api_client_a.get(f"{API}/{shipment.pk}/label", {"size": "a4"}).content
    shipment.refresh_from_db()
    assert sheet != small and shipment.label_size == "a4"
    assert shipment.label.read() == sheet


@pytest.mark.django_db
def test_a_stored_label_is_rendered_again_when_what_it_prints_changed(merchant_a, api_client_a):
    shipment = make_shipment(merchant_a.merchant)
    before = api_client_a.get(f"{API}/{shipment.pk}/label").content
    shipment.order.__class__.objects.filter(pk=shipment.order_id).update(
        shopper_name="Zofia Żółkiewska"
    )

    after = api_client_a.get(f"{API}/{shipment.pk}/label").content

    assert after != before and after.startswith(b"%PDF")
    shipment.refresh_from_db()
    assert shipment.label.read() == after
    assert api_client_a.get(f"{API}/{shipment.pk}/label").content == after  # stored again


@pytest.mark.django_db
def test_label_zpl_has_native_code128_and_qr_of_the_shipment(merchant_a, api_client_a):
    shipment = make_shipment(merchant_a.merchant)

    response = api_client_a.get(f"{API}/{shipment.pk}/label", {"format": "zpl"})

    assert response.status_code == 200 and response["Content-Type"] == "application/zpl"
    zpl = zpl_structure(response.content.decode("ascii"))
    assert zpl["formats"] == 1 and zpl["starts"] == zpl["ends"] == 1
    assert zpl["code128"] == [shipment.tracking_number]
    assert zpl["qr"] == [tracking_url(shipment)]
    assert any(shipment.order.reference in text for text in zpl["text"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"size": "letter"}, "size"),
        ({"format": "png"}, "format"),
        ({"format": "zpl", "size": "a4"}, "size"),
    ],
)
def test_a_bad_size_or_format_is_a_422_problem(merchant_a, api_client_a, query, field):
    shipment = make_shipment(merchant_a.merchant)
    response = api_client_a.get(f"{API}/{shipment.pk}/label", query)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid" and body["field"] == field and body["detail"]


@pytest.mark.django_db
def test_a_shipment_without_tracking_number_is_a_409_that_says_why(merchant_a, api_client_a):
    shipment = make_shipment(merchant_a.merchant, tracking_number="", status="pending")

    response = api_client_a.get(f"{API}/{shipment.pk}/label")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "no_tracking_number" and body["field"] == "tracking_number"
    assert "book the shipment first" in body["detail"]
    shipment.refresh_from_db()
    assert not shipment.label


@pytest.mark.django_db
def test_another_merchants_label_is_not_found(merchant_b, api_client_a):
    other = make_shipment(merchant_b.merchant)
    response = api_client_a.get(f"{API}/{other.pk}/label")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_the_tracking_route_still_answers_beside_the_label_routes(merchant_a, api_client_a):
    shipment = make_shipment(merchant_a.merchant)
    response = api_client_a.get(f"{API}/{shipment.pk}/tracking")
    assert response.status_code == 200 and response.json()["tracking_number"]


# --- what the label prints -----------------------------------------------------------------


@pytest.mark.django_db
def test_label_data_comes_from_the_point_the_order_and_the_courier(merchant_a):
    shipment = make_shipment(merchant_a.merchant)
    data = label_data_for(shipment)
    order = shipment.order
    assert data.tracking_number == shipment.tracking_number
    assert data.recipient.name == order.shopper_name and data.recipient.postal_code == "60614"
    assert data.sender.name == merchant_a.merchant.name
    assert data.courier_name == shipment.account.name
    assert data.service_name == shipment.service.name
    assert data.reference == order.reference and data.weight_g > 0
    assert data.sort_code.startswith("606-14 / ")
    assert data.qr_payload == tracking_url(shipment) and not data.is_return


@pytest.mark.django_db
def test_a_qr_from_the_hook_goes_on_the_label(merchant_a, monkeypatch):
    from fulfillment.tracking import hooks

    shipment = make_shipment(merchant_a.merchant)
    qr = hooks.LabelQr(payload="NBX1-IN:locker:7:X1", caption="Scan at the locker")
    monkeypatch.setattr(
        hooks, "LABEL_QR_PROVIDERS", [lambda s: qr if s.pk == shipment.pk else None]
    )
    data = label_data_for(shipment)
    assert (data.qr_payload, data.qr_caption) == (qr.payload, qr.caption)


# --- the courier's own label ---------------------------------------------------------------

COURIER_PDF = b"%PDF-1.4\n% the courier's own label, byte for byte\n%%EOF\n"


class CourierWithLabels(BaseHTTPRequestHandler):
    """A courier API that answers a booking with its own label, as DHL's shipment API does."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps(
            {
                "trackingNumber": "CARRIER123456",
                "documents": [
                    {
                        "typeCode": "label",
                        "imageFormat": "PDF",
                        "content": base64.b64encode(COURIER_PDF).decode(),
                    }
                ],
            }
        ).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def courier_with_labels():
    server = ThreadingHTTPServer(("127.0.0.1", 0), CourierWithLabels)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.django_db
def test_the_couriers_own_label_is_stored_and_served_as_it_came(
    merchant_a, api_client_a, courier_with_labels
):
    merchant = merchant_a.merchant
    account = make_account(
        merchant, courier="sandbox", credentials="api_key=k", base_url=courier_with_labels
    )
    service = make_service(account, code="next-day")
    # booking needs a picked order
    order = advance_order(order=make_order(merchant), to_status="picked", user=None)
    shipment = Shipment.objects.create(
        merchant=merchant, order=order, account=account, service=service,
        idempotency_key=f"test-courier-label-{order.pk}", price_minor=500, currency="USD",
    )  # fmt: skip

    booked = book_shipment(shipment_id=shipment.pk)

    assert booked.tracking_number == "CARRIER123456" and booked.has_courier_label
    served = api_client_a.get(f"{API}/{shipment.pk}/label")
    assert served.status_code == 200 and served.content == COURIER_PDF
    assert served["X-Label-Source"] == "courier"

    ours = api_client_a.get(f"{API}/{shipment.pk}/label", {"source": "nearbox"})
    assert ours["X-Label-Source"] == "nearbox"
    assert ("code128", "CARRIER123456") in codes(ours.content)[1]
    booked.refresh_from_db()
    assert booked.label.read() == COURIER_PDF  # rendering ours never replaced the courier's
    zpl = api_client_a.get(f"{API}/{shipment.pk}/label", {"format": "zpl"})
    assert zpl["X-Label-Source"] == "nearbox"  # the courier gave PDF only: ZPL is ours


# --- return labels -------------------------------------------------------------------------


@pytest.mark.django_db
def test_return_label_from_the_order_page_is_made_once_with_its_own_tracking_number(
    merchant_a, client_a
):
    outbound = make_shipment(merchant_a.merchant)
    order = outbound.order
    url = f"/app/labels/orders/{order.pk}/return"

    first = client_a.post(url, {"size": "4x6"})
    second = client_a.post(url, {"size": "4x6"})

    returns = Shipment.objects.filter(order=order, is_return=True)
    assert returns.count() == 1
    ret = returns.get()
    assert ret.tracking_number and ret.tracking_number != outbound.tracking_number
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    download = client_a.get(first["Location"])
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    page = codes(download.content)[1]
    assert ("code128", ret.tracking_number) in page
    data = label_data_for(ret)
    assert data.is_return and data.ship_to.name == merchant_a.merchant.name
    assert data.ship_from.name == order.shopper_name

    panel = client_a.get(f"/app/labels/orders/{order.pk}/returns").content.decode()
    assert ret.tracking_number in panel and "Download the return label" in panel


@pytest.mark.django_db
def test_no_return_label_before_the_order_has_a_booked_shipment(merchant_a):
    order = make_order(merchant_a.merchant)
    with pytest.raises(Exception, match="nothing to return"):
        create_return_shipment(merchant=merchant_a.merchant, order=order)
    assert not Shipment.objects.filter(order=order).exists()


# --- dashboard -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_shipment_page_previews_the_label_and_offers_every_download(merchant_a, client_a):
    shipment = make_shipment(merchant_a.merchant)

    page = client_a.get(f"/app/couriers/shipments/{shipment.pk}/").content.decode()

    label_url = f"/app/labels/shipments/{shipment.pk}/"
    assert f'<iframe class="label-preview" src="{label_url}?size=4x6' in page
    for query in ("size=a6", "size=a4", "format=zpl"):
        assert f"{label_url}?{query}" in page or f"{label_url}?size=4x6&amp;{query}" in page
    preview = client_a.get(label_url, {"size": "4x6"})
    assert preview.status_code == 200 and preview["Content-Type"] == "application/pdf"
    assert preview["X-Frame-Options"] == "SAMEORIGIN"
    assert ("code128", shipment.tracking_number) in codes(preview.content)[1]


@pytest.mark.django_db
def test_shipment_page_without_tracking_number_says_why_there_is_no_label(merchant_a, client_a):
    shipment = make_shipment(merchant_a.merchant, tracking_number="", status="pending")
    page = client_a.get(f"/app/couriers/shipments/{shipment.pk}/").content.decode()
    assert "No label yet" in page and "iframe" not in page
    response = client_a.get(f"/app/labels/shipments/{shipment.pk}/")
    assert response.status_code == 409 and b"book the shipment first" in response.content


@pytest.mark.django_db
def test_demo_shipments_get_labels_once(merchant_a):
    from demo.seeders.couriers import DEMO_LOCAL
    from fulfillment.orders.services.orders import advance_order

    merchant = merchant_a.merchant
    make_service(make_account(merchant, name=DEMO_LOCAL))
    order = make_order(merchant)
    for step in ("picked", "packed"):
        order = advance_order(order=order, to_status=step, user=None)
    waiting = make_order(merchant)  # allocated, not packed: no shipment yet

    first = ensure_demo_labels(merchant=merchant)
    second = ensure_demo_labels(merchant=merchant)

    shipment = Shipment.objects.get(order=order)
    assert (first.shipments_made, first.labels_made) == (1, 1)
    assert (second.shipments_made, second.labels_made) == (0, 0)
    assert shipment.label_source == "nearbox" and shipment.label.read().startswith(b"%PDF")
    assert not Shipment.objects.filter(order=waiting).exists()


@pytest.fixture(scope="module")
def sandbox():
    from tests.support.couriers import start_sandbox

    server = start_sandbox("--speed", "1")
    yield server
    server.stop()


@pytest.mark.django_db
def test_a_return_with_the_sandbox_gets_the_couriers_number_once(merchant_a, sandbox):
    from tests.support.couriers import SANDBOX_KEY

    merchant = merchant_a.merchant
    account = make_account(
        merchant, courier="sandbox", credentials=f"api_key={SANDBOX_KEY}", base_url=sandbox.url
    )
    service = make_service(account, code="next-day")
    outbound = make_shipment(merchant)
    Shipment.objects.filter(pk=outbound.pk).update(account=account, service=service)
    sandbox.reset()

    first = create_return_shipment(merchant=merchant, order=outbound.order)
    second = create_return_shipment(merchant=merchant, order=outbound.order)

    assert first.pk == second.pk and first.is_return and first.account_id == account.pk
    assert first.tracking_number and first.tracking_number == second.tracking_number
    assert sandbox.stats().get("POST /shipments") == 1  # the second call saw the stored number
    tracked = sandbox.admin.get(
        "/track/shipments", params={"trackingNumber": first.tracking_number}
    )
    assert tracked.status_code == 200  # the courier knows the return's number
    assert first.events.filter(courier_code="return_created").count() == 1
