"""Settings → Integrations, the stores part: connect a store, its page (state, webhook address,
deliveries received, shipments written back, orders that need attention), test, disconnect,
take an order in again; and the public endpoint each store posts its webhooks to.

Owners only, as the rest of the page: a store's credentials can read and change its orders.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from integrations.models import Platform
from integrations.platforms import connections, intake, receiving, selectors
from integrations.platforms.base import CONNECTORS, WebhookRefused, connector_class
from integrations.platforms.forms import ConnectStoreForm
from merchant.decorators import owner_required

logger = logging.getLogger(__name__)

LOG_PAGE_SIZE = 20


def _connector_or_404(platform: str):
    if platform not in CONNECTORS:
        raise Http404("No such platform.")
    try:
        return connector_class(platform)
    except (ImportError, AttributeError):  # a platform whose connector is not there yet
        raise Http404("This platform cannot be connected yet.") from None


@owner_required
@require_http_methods(["GET", "POST"])
def store_connect(request: HttpRequest, platform: str) -> HttpResponse:
    connector = _connector_or_404(platform)
    form = ConnectStoreForm(request.POST or None, connector=connector)
    if request.method == "POST" and form.is_valid():
        try:
            connection, job = connections.connect_store(
                merchant=request.merchant,
                platform=platform,
                shop_url=form.cleaned_data["shop_url"],
                name=form.cleaned_data["name"],
                credentials=form.credentials(),
                backfill_days=form.cleaned_data["backfill_days"] or 0,
                user=request.user,
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            text = f"{connection.name} is connected: new orders arrive within seconds."
            if job is not None:
                text += " Open orders are being imported (see Jobs)."
            messages.success(request, text)
            return redirect("platform_store", connection_id=connection.pk)
    return render(
        request,
        "integrations/platforms/connect.html",
        {
            "form": form,
            "platform_name": Platform(platform).label,
            "nav_active": "settings",
            "tab": "integrations",
        },
        status=422 if form.errors else 200,
    )


@owner_required
def store_detail(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = selectors.get_connection_for_merchant(request.merchant, connection_id)
    received = Paginator(selectors.received_log(connection), LOG_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "integrations/platforms/store.html",
        {
            "connection": connection,
            "webhook_url": receiving.webhook_url(connection),
            "page_obj": received,
            "received": received.object_list,
            "sent": selectors.sent_log(connection)[:LOG_PAGE_SIZE],
            "exceptions": selectors.exceptions_of(connection)[:100],
            "nav_active": "settings",
            "tab": "integrations",
        },
    )


@owner_required
@require_POST
def store_test(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = selectors.get_connection_for_merchant(request.merchant, connection_id)
    if connection.state == connection.State.DISCONNECTED:
        messages.error(request, "This store is disconnected: connect it again to use it.")
    else:
        ok, sentence = connections.test_store(connection=connection)
        (messages.success if ok else messages.error)(request, sentence)
    return redirect("platform_store", connection_id=connection.pk)


@owner_required
@require_POST
def store_disconnect(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = selectors.get_connection_for_merchant(request.merchant, connection_id)
    connections.disconnect_store(connection=connection)
    messages.success(
        request,
        f"{connection.name} is disconnected: its webhooks were removed and its keys dropped. "
        "Orders already in Nearbox stay.",
    )
    return redirect("integrations")


@owner_required
@require_POST
def order_take_in_again(request: HttpRequest, platform_order_id: int) -> HttpResponse:
    platform_order = selectors.get_platform_order_for_merchant(request.merchant, platform_order_id)
    name = platform_order.external_name or platform_order.external_id
    if platform_order.connection.state == platform_order.connection.State.DISCONNECTED:
        messages.error(request, "The store is disconnected.")
    else:
        done = intake.take_in_again(platform_order=platform_order)
        if done.outcome == intake.Outcome.CREATED:
            messages.success(request, f"Order {name} is in Nearbox now.")
        elif done.outcome == intake.Outcome.EXCEPTION:
            messages.error(request, f"Order {name} still cannot be taken in: {done.detail}")
        else:
            messages.success(request, f"Order {name}: {done.outcome}.")
    return redirect("platform_store", connection_id=platform_order.connection_id)


# --- the public endpoint -------------------------------------------------------------------


def _problem(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse(
        {"status": status, "code": code, "detail": detail},
        status=status,
        content_type="application/problem+json",
    )


@csrf_exempt
@require_POST
def platform_webhook(request: HttpRequest, token: str) -> JsonResponse:
    """Answers 200 once the delivery is stored (or was already), 401 when it is refused
    (nothing is stored), 404 for an address no connected store has."""
    length = request.headers.get("Content-Length") or "0"
    if not (length.isascii() and length.isdigit()):  # "²".isdigit(), yet int("²") fails
        return _problem(400, "malformed", "Content-Length is not a number.")
    if int(length) > receiving.MAX_BODY_BYTES:
        return _problem(413, "too_large", "Webhook bodies are limited to 2 MB.")
    try:
        received = receiving.receive(token=token, body=request.body, headers=request.headers)
    except receiving.UnknownConnection as error:
        return _problem(404, "unknown_webhook", str(error))
    except WebhookRefused as error:
        # A delivery to answer as accepted and still store nowhere: WooCommerce's ping of a
        # new webhook (woocommerce.WebhookPing), which WooCommerce reports as an error if refused.
        if error.answer_status == 200:
            return JsonResponse({"ok": True, "ignored": error.reason})
        logger.info("platform webhook refused: %s", error.reason)
        return _problem(401, "refused", error.reason)
    except receiving.CannotVerify as error:
        answer = _problem(503, "try_again", str(error))
        answer["Retry-After"] = "60"
        return answer
    return JsonResponse({"ok": True, "duplicate": received.duplicate})
