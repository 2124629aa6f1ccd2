"""The sandbox in DPD's format: LoginService 2.1 getAuth and ParcelLifeCycleService 2.0
getTrackingData, SOAP 1.1 over HTTP (stdlib only), for the shipments the sandbox knows.

    POST /soap/services/LoginService/V2_1            getAuth(delisId, password) → authToken
    POST /soap/services/ParcelLifeCycleService/V2_0  getTrackingData(parcelLabelNumber), with
                                                     the token in the authentication header
    POST /soap/services/ShipmentService/V3_3         storeOrders: a sandbox shipment (its
                                                     number is the parcel label number) and a
                                                     one-page PDF label

The password is the sandbox's API key (any delisId); the token is derived from both, so a
restart keeps it valid. Faults are DPD's: an authenticationFault with errorCode
DELICOM_ERR_AUTHENTICATION (HTTP 500, as SOAP sends faults) for a wrong password or token;
an unknown parcel answers a getTrackingDataResponse without trackingresult. Dates are DPD's
"M/D/YYYY h:mm:ss AM" (UTC here). The journey's steps (DHL Unified wording) are named with
DPD's lifecycle statuses; DPD has no generic exception status, so the sandbox's damaged-packaging
exception is a Depot scan that says so.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from devtools.courier_sandbox.store import SandboxStore
from devtools.courier_sandbox.validation import validate_shipment

LOGIN_PATH = "/soap/services/LoginService/V2_1"
TRACKING_PATH = "/soap/services/ParcelLifeCycleService/V2_0"
SHIPMENT_PATH = "/soap/services/ShipmentService/V3_3"
SHIPMENT_NS = "http://dpd.com/common/service/types/ShipmentService/3.3"
MAX_BODY = 64 * 1024
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
LOGIN_NS = "http://dpd.com/common/service/types/LoginService/2.1"
TRACKING_NS = "http://dpd.com/common/service/types/ParcelLifeCycleService/2.0"
AUTH_NS = "http://dpd.com/common/service/types/Authentication/2.0"

# The sandbox's journey (timeline.py, DHL wording) → DPD lifecycle status and DPD's words.
STATUSES: dict[str, tuple[str, str, str]] = {  # status text: (DPD status, label, description)
    "SHIPMENT INFORMATION RECEIVED": (
        "Accepted",
        "Order information has been transmitted to DPD.",
        "The parcel data has been received.",
    ),
    "PICKED UP": ("PickedUp", "Parcel handed to DPD", "DPD has received your parcel."),
    "ARRIVED AT SORTING CENTRE": (
        "BetweenDepots",
        "In transit",
        "The parcel is at the parcel dispatch centre.",
    ),
    "EXCEPTION": ("Depot", "In transit", "Packaging damaged; the parcel is being repacked."),
    "REPACKED": ("BetweenDepots", "In transit", "Repacked and back on its way."),
    "DEPARTED SORTING CENTRE": (
        "BetweenDepots",
        "In transit",
        "The parcel has left the parcel dispatch centre.",
    ),
    "ARRIVED AT DELIVERY DEPOT": (
        "Depot",
        "At parcel delivery centre",
        "At parcel delivery centre.",
    ),
    "OUT FOR DELIVERY": (
        "Courier",
        "Parcel out for delivery",
        "The parcel has left the parcel delivery centre and is on its way to the consignee.",
    ),
    "DELIVERY ATTEMPTED": (
        "DeliveryFailure",
        "Parcel out for delivery",
        "Unfortunately we have not been able to deliver your parcel. "
        "The consignee was not at home.",
    ),
    "AVAILABLE FOR PICKUP": (
        "ParcelShop",
        "Parcel out for delivery",
        "Delivered by driver to Pickup parcelshop",
    ),
    "PICKUP PERIOD EXPIRED": (
        "ReturnToSender",
        "Return",
        "Not collected at the Pickup parcelshop in time; the parcel goes back to the sender.",
    ),
    "RETURNED TO SENDER": (
        "ReturnToSender",
        "Return",
        "The parcel has been returned to the sender.",
    ),
    "DELIVERED": ("Delivered", "Delivered", "Delivered."),
}


class DpdFault(Exception):
    def __init__(self, code: str, message: str, *, status: int = 500) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def token_for(api_key: str, delis_id: str) -> str:
    return hmac.new(api_key.encode(), f"dpd:{delis_id}".encode(), hashlib.sha256).hexdigest()


def dpd_date(epoch: float) -> str:
    when = datetime.fromtimestamp(epoch, UTC)
    hour = when.hour % 12 or 12
    half = "PM" if when.hour >= 12 else "AM"
    return f"{when.month}/{when.day}/{when.year} {hour}:{when:%M:%S} {half}"


def envelope(body: str) -> bytes:
    return (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
        f"<soap:Body>{body}</soap:Body></soap:Envelope>"
    ).encode()


def fault(code: str, message: str) -> bytes:
    return envelope(
        "<soap:Fault><faultcode>soap:Server</faultcode><faultstring>Fault occured</faultstring>"
        f'<detail><ns:authenticationFault xmlns:ns="{AUTH_NS}">'
        f"<errorCode>{escape(code)}</errorCode><errorMessage>{escape(message)}</errorMessage>"
        "</ns:authenticationFault></detail></soap:Fault>"
    )


def _read(body: bytes) -> ElementTree.Element:
    if len(body) > MAX_BODY or b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise DpdFault("SOAP_CLIENT", "Request body refused.", status=400)
    try:
        return ElementTree.fromstring(body)
    except ElementTree.ParseError:
        raise DpdFault("SOAP_CLIENT", "The request is not well-formed XML.", status=400) from None


def _field(root: ElementTree.Element, name: str) -> str:
    for node in root.iter():
        if isinstance(node.tag, str) and re.sub(r"^\{.*\}", "", node.tag) == name:
            return (node.text or "").strip()
    return ""


def login(body: bytes, *, api_key: str, now: float) -> bytes:
    root = _read(body)
    delis_id, password = _field(root, "delisId"), _field(root, "password")
    if not delis_id or not hmac.compare_digest(password.encode(), api_key.encode()):
        raise DpdFault(
            "DELICOM_ERR_AUTHENTICATION", "Authentication failure, check delisId and password."
        )
    expires = datetime.fromtimestamp(now + 86400, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-4]
    return envelope(
        f'<getAuthResponse xmlns="{LOGIN_NS}"><return>'
        f"<delisId>{escape(delis_id)}</delisId><customerUid>{escape(delis_id)}</customerUid>"
        f"<authToken>{token_for(api_key, delis_id)}</authToken><depot>0530</depot>"
        f"<authTokenExpires>{expires}</authTokenExpires></return></getAuthResponse>"
    )


def _text_block(tag: str, text: str, *, bold: bool) -> str:
    flag = "true" if bold else "false"
    return (
        f"<{tag}><content>{escape(text)}</content><bold>{flag}</bold>"
        f"<paragraph>false</paragraph></{tag}>"
    )


def status_info(
    status: str, label: str, description: str, location: str, when: float, *, current: bool
) -> str:
    return (
        f"<statusInfo><status>{status}</status>{_text_block('label', label, bold=True)}"
        f"<description>{_text_block('content', description, bold=False)}</description>"
        "<statusHasBeenReached>true</statusHasBeenReached>"
        f"<isCurrentStatus>{'true' if current else 'false'}</isCurrentStatus>"
        "<showContactInfo>true</showContactInfo>"
        f"{_text_block('location', location, bold=True)}"
        f"{_text_block('date', dpd_date(when), bold=True)}</statusInfo>"
    )


def _location(step_place: str, shipment: dict[str, Any]) -> str:
    party = shipment["sender"] if step_place == "origin" else shipment["recipient"]
    return f"{party.get('city', '')} ({party.get('country', '')})"


def _authenticated(body: bytes, api_key: str) -> ElementTree.Element:
    root = _read(body)
    delis_id, token = _field(root, "delisId"), _field(root, "authToken")
    if not delis_id or not hmac.compare_digest(
        token.encode(), token_for(api_key, delis_id).encode()
    ):
        raise DpdFault(
            "DELICOM_ERR_AUTHENTICATION", "Authentication failure, check delisId and password."
        )
    return root


def _child(node: ElementTree.Element | None, name: str) -> ElementTree.Element | None:
    if node is None:
        return None
    return next(
        (
            c
            for c in node.iter()
            if isinstance(c.tag, str) and re.sub(r"^\{.*\}", "", c.tag) == name
        ),
        None,
    )


def _party(node: ElementTree.Element | None) -> dict[str, str]:
    if node is None:
        return {}
    return {
        "name": _field(node, "name1"),
        "street": _field(node, "street"),
        "postal_code": _field(node, "zipCode"),
        "city": _field(node, "city"),
        "country": _field(node, "country"),
    }


def _dpd_parcel(node: ElementTree.Element, index: int) -> dict[str, int]:
    """DPD's weight is in decagrams; its volume, when given, is LLLWWWHHH in centimetres."""
    weight = _field(node, "weight")
    volume = _field(node, "volume")
    if not weight.isdigit() or int(weight) <= 0:
        raise DpdFault("ERR_SANDBOX_VALIDATION", f"parcels[{index}].weight: decagrams > 0")
    dims = [int(volume[i : i + 3]) * 10 for i in (0, 3, 6)] if len(volume) == 9 else []
    if len(dims) != 3 or not volume.isdigit() or not all(dims):
        dims = [1, 1, 1]  # DPD's dimensions are optional; the sandbox's are whole numbers > 0
    return {"weight_g": int(weight) * 10, "length_mm": dims[0], "width_mm": dims[1],
            "height_mm": dims[2]}  # fmt: skip


def label_pdf(number: str, recipient: dict[str, str]) -> bytes:
    """A one-page A6 PDF naming the parcel: the sandbox's stand-in for DPD's label."""
    text = f"DPD sandbox {number} {recipient.get('postal_code', '')} {recipient.get('city', '')}"
    text = re.sub(r"[^A-Za-z0-9 .,-]", "?", text)[:80]
    stream = f"BT /F1 12 Tf 20 380 Td ({text}) Tj ET".encode()
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 298 420]/Contents 4 0 R"
        b"/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length %d>>stream\n%s\nendstream" % (len(stream), stream),
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number_, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number_, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def store_orders(body: bytes, *, api_key: str, store: SandboxStore) -> bytes:
    """storeOrders: the order's parcels become one sandbox shipment (its journey starts now)
    with DPD's answer: the label (PDF, base64), the mpsId and the parcel label number."""
    root = _authenticated(body, api_key)
    general = _child(root, "generalShipmentData")
    parcels = [
        n
        for n in root.iter()
        if isinstance(n.tag, str) and re.sub(r"^\{.*\}", "", n.tag) == "parcels"
    ]
    data = {
        "service": _field(general, "product") if general is not None else "",
        "reference": (_field(general, "mpsCustomerReferenceNumber1") if general is not None else "")
        or (_field(parcels[0], "customerReferenceNumber1") if parcels else "")
        or "dpd",
        "sender": _party(_child(general, "sender")),
        "recipient": _party(_child(general, "recipient")),
        "parcels": [_dpd_parcel(p, i) for i, p in enumerate(parcels)],
    }
    try:
        shipment_data = validate_shipment(data)
    except ValueError as error:
        raise DpdFault("ERR_SANDBOX_VALIDATION", str(error)) from None
    shipment, _ = store.create(shipment_data, "")
    number = shipment["tracking_number"]
    label = base64.b64encode(label_pdf(number, shipment_data["recipient"])).decode()
    mps_id = f"MPS{number}"
    return envelope(
        f'<storeOrdersResponse xmlns="{SHIPMENT_NS}"><orderResult>'
        f"<parcellabelsPDF>{label}</parcellabelsPDF><shipmentResponses>"
        f"<identificationNumber/><mpsId>{mps_id}</mpsId><parcelInformation>"
        f"<parcelLabelNumber>{number}</parcelLabelNumber></parcelInformation>"
        "</shipmentResponses></orderResult></storeOrdersResponse>"
    )


def tracking(body: bytes, *, api_key: str, store: SandboxStore) -> bytes:
    root = _authenticated(body, api_key)
    number = _field(root, "parcelLabelNumber")
    shipment = store.get(number) if number else None
    if shipment is None:
        return envelope(f'<getTrackingDataResponse xmlns="{TRACKING_NS}"/>')
    steps = store.visible_steps(shipment)
    infos = []
    for index, step in enumerate(steps):  # oldest first, as DPD lists them
        status, label, description = STATUSES.get(
            step.status, ("BetweenDepots", "In transit", step.description)
        )
        infos.append(
            status_info(
                status, label, description, _location(step.place, shipment),
                store.real_time(shipment, step.offset_s), current=index == len(steps) - 1,
            )
        )  # fmt: skip
    service = _text_block("content", "DPD CLASSIC", bold=False)
    return envelope(
        f'<getTrackingDataResponse xmlns="{TRACKING_NS}"><trackingresult><shipmentInfo>'
        f"<serviceDescription>{_text_block('label', 'Your DPD service:', bold=False)}{service}"
        "</serviceDescription><status>SHIPMENT</status></shipmentInfo>"
        f"{''.join(infos)}</trackingresult></getTrackingDataResponse>"
    )


def answer(
    path: str, body: bytes, *, api_key: str, store: SandboxStore, now: float
) -> tuple[int, bytes]:
    """(HTTP status, SOAP body) for a DPD request to `path`."""
    try:
        if path == LOGIN_PATH:
            return 200, login(body, api_key=api_key, now=now)
        if path == TRACKING_PATH:
            return 200, tracking(body, api_key=api_key, store=store)
        if path == SHIPMENT_PATH:
            return 200, store_orders(body, api_key=api_key, store=store)
        return 404, fault("SOAP_CLIENT", f"No DPD service at {path}.")
    except DpdFault as error:
        return error.status, fault(error.code, error.message)
