"""The on-demand sandbox speaking Stuart's API v2 (https://api-docs.stuart.com): the shapes of
its answers and webhooks, and the request handling that server.py routes to.

    POST /oauth/token                  client_credentials (form or JSON) → bearer token
    POST /v2/jobs/pricing              {job} → {amount, currency}
    POST /v2/jobs/eta                  {job} → {eta: seconds until a courier is at the pick-up}
    POST /v2/jobs/validate             {job} → {valid: true} or 422
    POST /v2/jobs                      {job} → 201 job; 422 RECORD_INVALID (reused client_reference)
    GET  /v2/jobs?client_reference=R   [job]
    GET  /v2/jobs/{id}                 job; 404 RECORD_NOT_FOUND
    POST /v2/jobs/{id}/cancel          200; 422 once picked up
    POST /v2/webhooks                  {url, authentication_header, authentication_key, enabled}
    GET  /v2/webhooks                  the client's webhook

Stuart's webhooks are set in its dashboard (URL, authentication header name and value); the
/v2/webhooks pair is the sandbox's stand-in for that page, so that tests and the demo can set
them per API client (--ondemand-webhook-url sets one for clients that set none).

Every /v2 call needs `Authorization: Bearer <token>`. Webhooks go out as Stuart sends them:
`{event, type, data}` with `event` job and delivery (status changes) or driver (the courier's
position), with the authentication header and value set on the webhook (Stuart signs nothing);
a delivery event names no job, as Stuart's does not. Shapes
follow tests/fixtures/courier_payloads/stuart_*.json (SOURCE.md there says where from).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from devtools.courier_sandbox.format import iso
from devtools.courier_sandbox.ondemand import (
    DEFAULT_TRANSPORT,
    SPEED_MPS,
    JobRefused,
    OnDemandStore,
    Stage,
    WebhookTarget,
    distance_m,
    geocode,
)

PACKAGE_TYPES = ("xsmall", "small", "medium", "large", "xlarge")
CURRENCY = "EUR"
MAX_TEXT = 500

Answer = tuple[int, Any]


def error(status: int, code: str, message: str, data: dict[str, Any] | None = None) -> Answer:
    return status, {"error": code, "message": message, "data": data or {}}


# --- requests --------------------------------------------------------------------------------
def _text(value: Any, field: str, *, required: bool = False) -> str:
    if value is None or value == "":
        if required:
            raise JobRefused("RECORD_INVALID", "Record invalid", {field: ["can't be blank"]})
        return ""
    if not isinstance(value, str) or len(value) > MAX_TEXT or "\x00" in value:
        raise JobRefused("RECORD_INVALID", "Record invalid", {field: ["is invalid"]})
    return value


def _place(value: Any, field: str) -> dict[str, Any]:
    places = value if isinstance(value, list) else None
    if not places or not isinstance(places[0], dict):
        raise JobRefused("RECORD_INVALID", "Record invalid", {field: ["must have one entry"]})
    if len(places) > 1:
        raise JobRefused("RECORD_INVALID", "Record invalid", {field: ["only one is supported"]})
    place = places[0]
    address = _text(place.get("address"), f"{field}.address", required=True)
    contact = place.get("contact") if isinstance(place.get("contact"), dict) else {}
    return {
        "address": address,
        "point": list(geocode(address)),
        "comment": _text(place.get("comment"), f"{field}.comment"),
        "contact": {k: _text(contact.get(k), f"{field}.contact.{k}")
                    for k in ("firstname", "lastname", "phone", "company")},
        "package_type": place.get("package_type") if place.get("package_type") in PACKAGE_TYPES
        else "small",
        "package_description": _text(place.get("package_description"), f"{field}.description"),
        "client_reference": _text(place.get("client_reference"), f"{field}.client_reference"),
    }  # fmt: skip


def read_job(body: Any) -> dict[str, Any]:
    """A job request `{job: {pickups, dropoffs, transport_type}}` → the store's job parts."""
    job = body.get("job") if isinstance(body, dict) else None
    if not isinstance(job, dict):
        raise JobRefused("RECORD_INVALID", "Record invalid", {"job": ["is missing"]})
    transport = job.get("transport_type") or DEFAULT_TRANSPORT
    if not isinstance(transport, str) or transport not in SPEED_MPS:
        raise JobRefused("RECORD_INVALID", "Record invalid", {"transport_type": ["is invalid"]})
    pickup, dropoff = _place(job.get("pickups"), "pickups"), _place(job.get("dropoffs"), "dropoffs")
    if distance_m(tuple(pickup["point"]), tuple(dropoff["point"])) > 30_000:
        raise JobRefused(
            "RECORD_INVALID", "Record invalid", {"deliveries": ["0: ADDRESS_NOT_IN_ZONE"]}
        )
    return {
        "transport": transport,
        "pickup": pickup,
        "dropoff": dropoff,
        "client_reference": dropoff["client_reference"],
    }


def price(job: dict[str, Any]) -> float:
    """Major units, tax excluded: a base fare and a rate per started kilometre."""
    km = distance_m(tuple(job["pickup"]["point"]), tuple(job["dropoff"]["point"])) / 1000
    return round(6.5 + 1.2 * max(1, -(-km // 1)), 2)


# --- answers ---------------------------------------------------------------------------------
def _stop(job: dict[str, Any], which: str, stop_id: int) -> dict[str, Any]:
    place = job[which]
    contact = place["contact"]
    return {
        "id": stop_id,
        "latitude": round(place["point"][0], 7),
        "longitude": round(place["point"][1], 7),
        "comment": place["comment"] or None,
        "address": {"formatted_address": place["address"]},
        "contact": {
            "firstname": contact["firstname"] or None,
            "lastname": contact["lastname"] or None,
            "phone": contact["phone"] or None,
            "email": None,
            "company_name": contact["company"] or None,
        },
    }


def _driver(store: OnDemandStore, job: dict[str, Any], t: float) -> dict[str, Any] | None:
    at = store.journey(job).position_at(t)
    if at is None:
        return None
    courier = job["courier"]
    return {
        "status": "busy",
        "latitude": round(at[0], 6),
        "longitude": round(at[1], 6),
        "name": f"{courier['firstname']} {courier['lastname']}",
        "firstname": courier["firstname"],
        "lastname": courier["lastname"],
        "phone": "+15555550100",
        "picture_path_imgix": None,
        "transportType": {"code": job["transport"]},
    }


def job_object(store: OnDemandStore, job: dict[str, Any]) -> dict[str, Any]:
    """The job as `POST /v2/jobs` and `GET /v2/jobs/{id}` answer it."""
    journey, t = store.journey(job), store.sim_now(job)
    stage = journey.stage_at(t)
    job_status, delivery_status = stage.job_status, stage.delivery_status
    if job["cancelled_at"] is not None:
        job_status, delivery_status = "canceled", "canceled"

    def when(offset: float) -> str | None:
        return iso(store.real_time(job, offset)) if t >= offset else None

    picked, delivered = when(journey.picked_s), when(journey.delivered_s)
    driver = _driver(store, job, t) if job_status == "in_progress" else None
    amount = price(job)
    km = distance_m(journey.pickup, journey.dropoff) / 1000
    return {
        "id": job["id"],
        "created_at": iso(job["created_at"]),
        "status": job_status,
        "package_type": None,
        "transport_type": job["transport"],
        "assignment_code": f"Assignment-{job['id']}" if t >= journey.assigned_s else None,
        "dropoff_at": None,
        "pickup_at": None,
        "ended_at": delivered or (iso(job["cancelled_at"]) if job["cancelled_at"] else None),
        "comment": None,
        "distance": round(km, 2),
        "duration": round((journey.at_dropoff_s - journey.picked_s) / 60),
        "deliveries": [
            {
                "id": job["id"] + 1,
                "status": delivery_status,
                "picked_at": picked,
                "delivered_at": delivered,
                "tracking_url": f"https://sandbox.invalid/track/{job['id']}",
                "client_reference": job["client_reference"] or None,
                "package_description": job["dropoff"]["package_description"] or None,
                "package_type": job["dropoff"]["package_type"],
                "pickup": _stop(job, "pickup", job["id"] + 2),
                "dropoff": _stop(job, "dropoff", job["id"] + 3),
                "cancellation": {"canceled_by": "client" if job["cancelled_at"] else None,
                                 "reason_key": None, "comment": None},
                "eta": {
                    "pickup": iso(store.real_time(job, journey.at_pickup_s)),
                    "dropoff": iso(store.real_time(job, journey.at_dropoff_s)),
                },
                "proof": {"signature_url": None},
                "package_image_url": None,
            }
        ],
        "driver": None if driver is None else {
            "id": job["id"] + 4, "display_name": f"{driver['firstname']} {driver['lastname'][0]}.",
            "phone": driver["phone"], "picture_path_imgix": None,
            "transport_type": job["transport"],
            "latitude": driver["latitude"], "longitude": driver["longitude"],
        },
        "pricing": {
            "price_tax_included": round(amount * 1.2, 2), "price_tax_excluded": amount,
            "tax_amount": round(amount * 0.2, 2), "invoice_url": None, "tax_percentage": 0.2,
            "currency": CURRENCY,
        },
        "rating": None,
    }  # fmt: skip


def _current_delivery(
    store: OnDemandStore, job: dict[str, Any], t: float, delivery_status: str
) -> dict[str, Any]:
    journey = store.journey(job)
    return {
        "id": job["id"] + 1,
        "driver": _driver(store, job, t),
        "transportType": {"code": job["transport"]},
        "packageType": {"code": job["dropoff"]["package_type"]},
        "etaToDestination": iso(store.real_time(job, journey.at_dropoff_s)),
        "etaToOrigin": iso(store.real_time(job, journey.at_pickup_s)),
        "trackingUrl": f"https://sandbox.invalid/track/{job['id']}",
        "status": delivery_status,
        "clientReference": job["client_reference"] or None,
    }


def job_webhook(store: OnDemandStore, job: dict[str, Any], stage: Stage) -> dict[str, Any]:
    """`{event: job, type: update}`: the job reached `stage`."""
    t = max(stage.offset_s, 0.0)
    return {
        "event": "job",
        "type": "create" if stage.job_status == "new" else "update",
        "data": {
            "id": job["id"],
            "currentDelivery": _current_delivery(store, job, t, stage.delivery_status),
            "transportType": {"code": job["transport"]},
            "status": stage.job_status,
            "comment": None,
            "originComment": job["pickup"]["comment"] or None,
            "destinationComment": job["dropoff"]["comment"] or None,
            "jobReference": job["client_reference"] or None,
        },
    }


def delivery_webhook(store: OnDemandStore, job: dict[str, Any], stage: Stage) -> dict[str, Any]:
    """`{event: delivery}`: the same news about the drop-off (it names no job, as Stuart's)."""
    current = _current_delivery(store, job, max(stage.offset_s, 0.0), stage.delivery_status)
    return {
        "event": "delivery",
        "type": "create" if stage.job_status == "new" else "update",
        "data": current,
    }


def driver_webhook(store: OnDemandStore, job: dict[str, Any], t: float) -> dict[str, Any] | None:
    """`{event: driver, type: update}`: where the courier is, with its job and ETA."""
    driver = _driver(store, job, t)
    if driver is None:
        return None
    stage = store.journey(job).stage_at(t)
    return {
        "event": "driver",
        "type": "update",
        "data": {
            **driver,
            "job": {
                "id": job["id"],
                "currentDelivery": _current_delivery(store, job, t, stage.delivery_status),
                "transportType": {"code": job["transport"]},
                "packageType": {"code": job["dropoff"]["package_type"]},
                "status": stage.job_status,
                "createdAt": iso(job["created_at"]),
                "jobReference": job["client_reference"] or None,
            },
        },
    }


# --- dispatch --------------------------------------------------------------------------------
def token(store: OnDemandStore, raw: bytes, content_type: str) -> Answer:
    if content_type.startswith("application/json"):
        try:
            form = json.loads(raw or b"{}")
        except ValueError:
            form = None
        form = form if isinstance(form, dict) else {}
    else:
        form = {k: v[-1] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
    if form.get("grant_type") != "client_credentials":
        return 400, {
            "error": "unsupported_grant_type",
            "error_description": "Only client_credentials is supported.",
        }
    issued = store.issue_token(
        str(form.get("client_id") or ""), str(form.get("client_secret") or "")
    )
    if issued is None:
        return 401, {
            "error": "invalid_client",
            "error_description": "Client authentication failed due to unknown client, no client "
            "authentication included, or unsupported authentication method.",
        }
    value, lifetime = issued
    return 200, {
        "access_token": value,
        "token_type": "Bearer",
        "expires_in": lifetime,
        "scope": str(form.get("scope") or "api"),
        "created_at": int(store.clock()),
    }


def handle(
    store: OnDemandStore, method: str, path: str, query: dict[str, str], client: str, body: Any
) -> Answer:
    """One authenticated /v2 call of API client `client` (None body: unreadable JSON)."""
    if body is None:
        return error(400, "INVALID_JSON", "The body is not JSON.")
    try:
        return _route(store, method, path, query, client, body)
    except JobRefused as refused:
        return error(422, refused.code, refused.message, refused.data)


def _route(
    store: OnDemandStore, method: str, path: str, query: dict[str, str], client: str, body: Any
) -> Answer:
    parts = path.strip("/").split("/")  # ["v2", "jobs", ...]
    if parts[1:] == ["jobs", "pricing"] and method == "POST":
        return 200, {"amount": price(read_job(body)), "currency": CURRENCY}
    if parts[1:] == ["jobs", "eta"] and method == "POST":
        job = read_job(body)
        speed = SPEED_MPS[job["transport"]]
        return 200, {"eta": int(40 + 1000 / speed)}  # assignment, then about a kilometre away
    if parts[1:] == ["jobs", "validate"] and method == "POST":
        read_job(body)
        return 200, {"valid": True}
    if parts[1:] == ["jobs"] and method == "POST":
        return 201, job_object(store, store.create(client, read_job(body)))
    if parts[1:] == ["jobs"] and method == "GET":
        found = store.find(client, query.get("client_reference", ""))
        return 200, [job_object(store, j) for j in found]
    if len(parts) >= 3 and parts[1] == "jobs" and parts[2].isdigit():
        if len(parts) == 3 and method == "GET":
            job = store.get(client, parts[2])
            if job is None:
                return error(404, "RECORD_NOT_FOUND", "Record not found")
            return 200, job_object(store, job)
        if parts[3:] == ["cancel"] and method == "POST":
            job = store.cancel(client, parts[2])
            return (200, {}) if job else error(404, "RECORD_NOT_FOUND", "Record not found")
    if parts[1:] == ["webhooks"]:
        return _webhooks(store, method, client, body)
    return error(404, "NOT_FOUND", f"No endpoint {method} {path}.")


def _webhooks(store: OnDemandStore, method: str, client: str, body: Any) -> Answer:
    if method == "POST":
        url = body.get("url") if isinstance(body, dict) else None
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            return error(422, "RECORD_INVALID", "Record invalid", {"url": ["is invalid"]})
        target = WebhookTarget(
            url=url,
            header=str(body.get("authentication_header") or "Authorization"),
            value=str(body.get("authentication_key") or ""),
            enabled=body.get("enabled", True) is not False,
        )
        store.set_webhook(client, target)
        return 201, _webhook_answer(target)
    if method == "GET":
        target = store.webhooks.get(client)
        return 200, [_webhook_answer(target)] if target else []
    return error(404, "NOT_FOUND", f"No endpoint {method} /v2/webhooks.")


def _webhook_answer(target: WebhookTarget) -> dict[str, Any]:
    return {"url": target.url, "enabled": target.enabled,
            "authentication_header": target.header, "topics": ["job", "driver"]}  # fmt: skip
