"""The versioned JSON API (/api/v1/): one NinjaAPI that every app adds its router to.

Errors are JSON problems with a stable `code`, a human `detail` and, where one field is at
fault, its name in `field`.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from config.api_docs import VendoredSwagger
from fulfillment.analytics import api as fulfillment_analytics
from fulfillment.capacity import api as fulfillment_capacity
from fulfillment.checkout import api as fulfillment_checkout
from fulfillment.couriers import api as fulfillment_couriers
from fulfillment.desk import api as fulfillment_desk
from fulfillment.fleet import api as fulfillment_fleet
from fulfillment.fleet.plans import api as fulfillment_fleet_plans
from fulfillment.orders import api as fulfillment_orders
from fulfillment.returns import api as fulfillment_returns
from fulfillment.risk import api as fulfillment_risk
from fulfillment.shipments import api as fulfillment_shipments
from fulfillment.tracking import api as fulfillment_tracking
from fulfillment.tracking import exception_api as fulfillment_exceptions
from integrations.webhooks import api as integrations_webhooks
from lockers.api import checkout as lockers_checkout
from lockers.api import network as lockers_network
from merchant.api import SecretKeyAuth, demand, inventory, placement, points
from merchant.api import router as merchant_router
from merchant.api.fields import StrictJsonParser

api = NinjaAPI(
    title="Nearbox API",
    version="1",
    description="Orders, shipments, delivery options and pickup for a Nearbox merchant. "
    "Authenticate with `Authorization: Bearer <secret key>`.",
    urls_namespace="api-v1",
    auth=SecretKeyAuth(),
    docs=VendoredSwagger(),
    parser=StrictJsonParser(),
)
api.add_router("/", merchant_router)
api.add_router("/storage-points", points.router)
api.add_router("/", inventory.router)
api.add_router("/demand", demand.router)
api.add_router("/placement", placement.router)
api.add_router("/orders", fulfillment_orders.router)
api.add_router("/", lockers_checkout.router)  # publishable key: /delivery-options, /reservations
api.add_router("/pickup-network", lockers_network.router)
api.add_router("/couriers", fulfillment_couriers.router)
api.add_router("/shipments", fulfillment_tracking.router)
api.add_router("/shipments", fulfillment_shipments.router)  # list and labels
api.add_router("/shipments", fulfillment_exceptions.router)  # redirect, reschedule (#20 item 4)
api.add_router("/webhooks", integrations_webhooks.router)
api.add_router("/checkout-rules", fulfillment_checkout.router)
api.add_router("/courier-rules", fulfillment_checkout.courier_router)
api.add_router("/ship-runs", fulfillment_desk.router)
api.add_router("/returns", fulfillment_returns.router)
api.add_router("/address-risk", fulfillment_risk.router)  # #20 item 3
api.add_router("/fleet", fulfillment_fleet.router)
api.add_router("/fleet", fulfillment_fleet_plans.router)  # plans and routes (#16)
api.add_router("/capacity", fulfillment_capacity.router)  # capacity advice (#20 item 5)
api.add_router("/analytics", fulfillment_analytics.router)  # report and CSV (#20 items 1-2)


def problem(status: int, code: str, detail: str, **extra: object) -> dict:
    return {"status": status, "code": code, "detail": detail, **extra}


def field_path(loc: list) -> str | None:
    """["body", "payload", "lines", 2, "sku"] -> "lines[2].sku" (the names services use)."""
    parts = [p for p in loc if p not in ("body", "query", "path", "header", "payload")]
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or None


@api.exception_handler(NinjaValidationError)
def on_invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    # `errors` has the shape the services use, {field: [messages]}: pydantic's own entries echo
    # the input (a NaN, a lone surrogate), which a JSON answer cannot always carry.
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        name = field_path(list(error.get("loc", []))) or "body"
        errors.setdefault(name, []).append(str(error.get("msg", "Invalid input.")))
    field, messages = next(iter(errors.items()), (None, ["Invalid input."]))
    return api.create_response(
        request,
        problem(422, "invalid", messages[0], field=field, errors=errors),
        status=422,
    )


@api.exception_handler(DjangoValidationError)
def on_domain_invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    field = next(iter(exc.message_dict), None) if hasattr(exc, "error_dict") else None
    return api.create_response(
        request, problem(422, "invalid", " ".join(exc.messages), field=field), status=422
    )


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(
        request, problem(404, "not_found", str(exc) or "Not found."), status=404
    )


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        problem(
            401, "unauthenticated", "Send a valid secret key as `Authorization: Bearer nbx_sk_…`."
        ),
        status=401,
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = "error"
    if exc.status_code == 400 and "parse" in str(exc).lower():
        code = "malformed_json"  # the body is not JSON at all
    return api.create_response(
        request, problem(exc.status_code, code, str(exc)), status=exc.status_code
    )


@api.exception_handler(DataError)
@api.exception_handler(OverflowError)
def on_out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
    """The last guard: a value the schemas let through that the database cannot store."""
    return api.create_response(
        request,
        problem(422, "out_of_range", "A value is beyond what its field can store."),
        status=422,
    )
