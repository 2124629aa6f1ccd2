"""Settings → Integrations: the shop's webhook endpoints, each with its delivery log.

Owners only (an endpoint receives the shop's order data). A new or rotated signing secret
rides in the session to the next page, which shows it once (as API keys do).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from integrations.models import Platform
from integrations.platforms import selectors as platform_selectors
from integrations.webhooks import selectors
from integrations.webhooks.events import EVENT_TYPES
from integrations.webhooks.forms import EndpointForm
from integrations.webhooks.services import deliveries, endpoints
from merchant.decorators import owner_required

SHOWN_SECRET_SESSION = "nearbox_webhook_secret"
LOG_PAGE_SIZE = 25


def _remember_secret(request: HttpRequest, new: endpoints.NewSecret) -> None:
    request.session[SHOWN_SECRET_SESSION] = [new.endpoint.pk, new.secret]


def _shown_secret(request: HttpRequest, endpoint_id: int | None = None) -> tuple | None:
    stored = request.session.get(SHOWN_SECRET_SESSION)
    if not stored or (endpoint_id is not None and stored[0] != endpoint_id):
        return None
    del request.session[SHOWN_SECRET_SESSION]
    return tuple(stored)


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"  # the secret is in this response only
    return response


@owner_required
@require_http_methods(["GET", "POST"])
def integrations(request: HttpRequest) -> HttpResponse:
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            new = endpoints.create_endpoint(merchant=request.merchant, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            _remember_secret(request, new)
            return redirect("webhook_endpoint", endpoint_id=new.endpoint.pk)
    response = render(
        request,
        "integrations/settings.html",
        {
            "form": form,
            "endpoints": selectors.endpoints_of(request.merchant),
            # The stores part of the page (integrations/platforms/).
            "connections": platform_selectors.connections_of(request.merchant),
            "platforms": Platform.choices,
            "nav_active": "settings",
            "tab": "integrations",
        },
        status=422 if form.errors else 200,
    )
    return response


@owner_required
@require_http_methods(["GET", "POST"])
def endpoint_detail(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = selectors.get_endpoint_for_merchant(request.merchant, endpoint_id)
    initial = {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events}
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            endpoints.update_endpoint(endpoint=endpoint, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Endpoint saved.")
            return redirect("webhook_endpoint", endpoint_id=endpoint.pk)
    page = Paginator(selectors.delivery_log(endpoint), LOG_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"endpoint": endpoint, "page_obj": page, "deliveries": page.object_list}
    if request.htmx and request.method == "GET":
        return render(request, "integrations/_delivery_log.html", context)
    shown = _shown_secret(request, endpoint.pk)
    response = render(
        request,
        "integrations/endpoint.html",
        {
            **context,
            "form": form,
            "secret": shown[1] if shown else None,
            "event_types": EVENT_TYPES,
            "nav_active": "settings",
            "tab": "integrations",
        },
        status=422 if form.errors else 200,
    )
    return _no_store(response) if shown else response


@owner_required
@require_POST
def endpoint_test(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = selectors.get_endpoint_for_merchant(request.merchant, endpoint_id)
    result = deliveries.send_test_event(endpoint=endpoint)
    delivery = result.delivery
    if request.htmx:  # the answer, and the log (out of band) that now starts with it
        page = Paginator(selectors.delivery_log(endpoint), LOG_PAGE_SIZE).get_page(1)
        return render(
            request,
            "integrations/_test_result.html",
            {"delivery": delivery, "endpoint": endpoint, "page_obj": page, "deliveries": page},
        )
    if result.ok:
        messages.success(request, f"Test event delivered: HTTP {delivery.last_status_code}.")
    else:
        messages.error(request, f"Test event not delivered: {delivery.last_error}.")
    return redirect("webhook_endpoint", endpoint_id=endpoint.pk)


@owner_required
@require_POST
def endpoint_toggle(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = selectors.get_endpoint_for_merchant(request.merchant, endpoint_id)
    if endpoint.is_active:
        endpoints.disable_endpoint(endpoint=endpoint)
        messages.success(request, "Endpoint disabled: events wait until you enable it again.")
    else:
        endpoints.enable_endpoint(endpoint=endpoint)
        messages.success(request, "Endpoint enabled: waiting events are being sent.")
    return redirect("webhook_endpoint", endpoint_id=endpoint.pk)


@owner_required
@require_POST
def endpoint_rotate(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = selectors.get_endpoint_for_merchant(request.merchant, endpoint_id)
    _remember_secret(request, endpoints.rotate_secret(endpoint=endpoint))
    messages.success(request, "New signing secret made; the old one no longer verifies.")
    return redirect("webhook_endpoint", endpoint_id=endpoint.pk)


@owner_required
@require_POST
def endpoint_delete(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = selectors.get_endpoint_for_merchant(request.merchant, endpoint_id)
    url = endpoint.url
    endpoints.delete_endpoint(endpoint=endpoint)
    messages.success(request, f"Endpoint {url} deleted.")
    return redirect("integrations")


@owner_required
@require_POST
def delivery_resend(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = selectors.get_delivery_for_merchant(request.merchant, delivery_id)
    try:
        deliveries.resend(delivery=delivery)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Delivery {delivery.pk} queued to be sent again.")
    return redirect("webhook_endpoint", endpoint_id=delivery.endpoint_id)
