"""Order pages: the list, the detail with its actions, manual entry and editing, exceptions."""

from __future__ import annotations

import zoneinfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fulfillment import hooks as order_hooks
from fulfillment.desk.forms import ship_form
from fulfillment.desk.services.tags import order_tags
from fulfillment.models import Order
from fulfillment.orders.forms import (
    AdvanceForm,
    CancelForm,
    FixAddressForm,
    LineFormSet,
    OrderFilterForm,
    OrderForm,
    OverrideAddressForm,
    RerouteForm,
)
from fulfillment.orders.selectors.orders import get_order_for_merchant, order_detail
from fulfillment.orders.selectors.search import exceptions, search_orders
from fulfillment.orders.services import editing
from fulfillment.orders.services.addresses import (
    ADDRESS_FIELDS,
    ADDRESS_LOCKED,
    fix_address,
    override_address,
)
from fulfillment.orders.services.orders import (
    TRANSITIONS,
    DuplicateReference,
    advance_order,
    cancel_order,
    reroute_order,
)
from fulfillment.orders.services.routing import Unroutable
from merchant.decorators import merchant_required
from merchant.form_errors import add_service_errors
from merchant.services.geocoding import GeocoderUnavailable

NAV = "orders"
PER_PAGE = 50
# Steps the detail page offers as buttons; cancel has its own form.
FORWARD = {
    status: [(s, Order.Status(s).label.lower()) for s in sorted(moves - {Order.Status.CANCELLED})]
    for status, moves in TRANSITIONS.items()
}


def _messages_of(error: Exception) -> str:
    if isinstance(error, Unroutable):
        return error.detail
    return " ".join(getattr(error, "messages", [str(error)]))


def _form_error(form: Form, error: Exception, field_of=lambda name: name) -> None:
    """Put a service error on the form: on its field when the form has one, else on top."""
    if isinstance(error, Unroutable):
        form.add_error(None, error.detail)
    else:
        add_service_errors(form, error, field_of=field_of)


# --- List ---------------------------------------------------------------------------------


class ReversingPaginator(Paginator):
    """Reads a page in the back half from the other end: the last page of 100,000 orders is
    then OFFSET 0 in reverse order instead of OFFSET 99,950 (which walks the whole index)."""

    def page(self, number: int | str) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        if bottom <= self.count // 2 or not self.object_list.ordered:
            return super().page(number)
        rows = list(self.object_list.reverse()[self.count - top : self.count - bottom])
        return self._get_page(rows[::-1], number, self)


@merchant_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant
    form = OrderFilterForm(request.GET or None, merchant=merchant)
    filters = form.search_filters()
    orders = search_orders(merchant, **filters, tz=zoneinfo.ZoneInfo(merchant.time_zone))
    page = ReversingPaginator(orders, PER_PAGE).get_page(request.GET.get("page"))
    template = "fulfillment/_order_table.html" if request.htmx else "fulfillment/order_list.html"
    return render(
        request,
        template,
        {
            "form": form,
            "page_obj": page,
            "filtered": bool(filters and any(filters.values())),
            # "Ship selected" re-applies the same filter for "all N matching" (desk/views.py).
            "filter_query": _without_page(request),
            "ship_form": ship_form(merchant),
            "nav_active": NAV,
        },
    )


def _without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- Detail and its actions ---------------------------------------------------------------


def _detail(request: HttpRequest, order_id: int, status: int = 200, **forms) -> HttpResponse:
    merchant = request.merchant
    order = order_detail(merchant, order_id)
    allocations = [a for line in order.lines.all() for a in line.allocations.all()]
    for allocation in allocations:
        allocation.km = allocation.distance_m / 1000
    considered = [
        {**c, "km": (c.get("distance_m") or 0) / 1000}
        for c in (order.routing or {}).get("considered", [])
    ]
    fix_initial = {name: getattr(order, name) for name in ADDRESS_FIELDS}
    context = {
        "order": order,
        "allocations": allocations,
        "considered": considered,
        "rule": (order.routing or {}).get("rule", ""),
        "pickup": order_hooks.pickup_place(order),
        "forward": FORWARD.get(order.status, []),
        "can_cancel": Order.Status.CANCELLED in TRANSITIONS.get(order.status, ()),
        "can_reroute": order.status in (Order.Status.RECEIVED, Order.Status.ALLOCATED),
        "can_edit": order.status in editing.EDITABLE,
        "can_fix": order.status not in ADDRESS_LOCKED,
        "cancel_form": forms.get("cancel_form") or CancelForm(),
        "reroute_form": forms.get("reroute_form") or RerouteForm(merchant=merchant),
        "fix_form": forms.get("fix_form") or FixAddressForm(initial=fix_initial, prefix="fix"),
        "override_form": forms.get("override_form") or OverrideAddressForm(prefix="override"),
        "order_tags": order_tags(order),
        "nav_active": NAV,
    }
    return render(request, "fulfillment/order_detail.html", context, status=status)


@merchant_required
@require_GET
def order_detail_view(request: HttpRequest, order_id: int) -> HttpResponse:
    return _detail(request, order_id)


@merchant_required
@require_POST
def order_advance(request: HttpRequest, order_id: int) -> HttpResponse:
    order = get_order_for_merchant(request.merchant, order_id)
    form = AdvanceForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a status to move the order to.")
        return redirect("order_detail", order_id=order.pk)
    try:
        order = advance_order(
            order=order,
            to_status=form.cleaned_data["to_status"],
            user=request.user,
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        messages.error(request, _messages_of(error))
    else:
        messages.success(request, f"{order} is now {order.get_status_display().lower()}.")
    return redirect("order_detail", order_id=order.pk)


@merchant_required
@require_POST
def order_cancel(request: HttpRequest, order_id: int) -> HttpResponse:
    order = get_order_for_merchant(request.merchant, order_id)
    form = CancelForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        cancel_order(order=order, user=request.user, note=note)
    except ValidationError as error:
        messages.error(request, _messages_of(error))
    else:
        messages.success(request, f"{order} is cancelled; its stock is available again.")
    return redirect("order_detail", order_id=order.pk)


@merchant_required
@require_POST
def order_reroute(request: HttpRequest, order_id: int) -> HttpResponse:
    order = get_order_for_merchant(request.merchant, order_id)
    form = RerouteForm(request.POST, merchant=request.merchant)
    if form.is_valid():
        try:
            order = reroute_order(order=order, point=form.chosen_point, user=request.user)
        except (ValidationError, Unroutable) as error:
            _form_error(form, error)
        else:
            where = form.chosen_point.name if form.chosen_point else "the best point"
            messages.success(request, f"{order} re-routed to {where}.")
            return redirect("order_detail", order_id=order.pk)
    messages.error(request, "The order was not re-routed: see below.")
    return _detail(request, order.pk, status=422, reroute_form=form)


@merchant_required
@require_POST
def order_fix_address(request: HttpRequest, order_id: int) -> HttpResponse:
    order = get_order_for_merchant(request.merchant, order_id)
    form = FixAddressForm(request.POST, prefix="fix")
    if form.is_valid():
        try:
            order = fix_address(order=order, user=request.user, **form.cleaned_data)
        except (ValidationError, GeocoderUnavailable) as error:
            _form_error(form, error)
        else:
            if order.address_problems:
                messages.warning(request, "Address saved, but it still has a problem.")
            else:
                messages.success(request, "Address corrected: it checks out.")
            return redirect("order_detail", order_id=order.pk)
    return _detail(request, order.pk, status=422, fix_form=form)


@merchant_required
@require_POST
def order_override_address(request: HttpRequest, order_id: int) -> HttpResponse:
    order = get_order_for_merchant(request.merchant, order_id)
    form = OverrideAddressForm(request.POST, prefix="override")
    if form.is_valid():
        try:
            override_address(order=order, user=request.user, note=form.cleaned_data["note"])
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, f"{order}: address accepted as it is; it can ship.")
            if request.POST.get("next") == "exceptions":
                return redirect("order_exceptions")
            return redirect("order_detail", order_id=order.pk)
    if request.POST.get("next") == "exceptions":
        problems = " ".join(m for errors in form.errors.values() for m in errors)
        messages.error(request, f"{order} was not overridden: {problems}")
        return redirect("order_exceptions")
    return _detail(request, order.pk, status=422, override_form=form)


# --- Manual entry and editing -------------------------------------------------------------


def _order_form_page(request, form, formset, order=None, status=200) -> HttpResponse:
    return render(
        request,
        "fulfillment/order_form.html",
        {"form": form, "formset": formset, "order": order, "nav_active": NAV},
        status=status,
    )


@merchant_required
@require_http_methods(["GET", "POST"])
def order_create(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant
    form = OrderForm(request.POST or None)
    formset = LineFormSet(request.POST or None, prefix="lines", form_kwargs={"merchant": merchant})
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            order = editing.create_manual_order(
                merchant=merchant,
                fields=form.cleaned_data,
                lines=formset.lines(),
                user=request.user,
            )
        except (ValidationError, Unroutable, DuplicateReference, GeocoderUnavailable) as error:
            _form_error(form, error, editing.form_field)
        else:
            messages.success(request, f"{order} created and allocated.")
            return redirect("order_detail", order_id=order.pk)
    return _order_form_page(request, form, formset, status=422 if request.method == "POST" else 200)


@merchant_required
@require_http_methods(["GET", "POST"])
def order_edit(request: HttpRequest, order_id: int) -> HttpResponse:
    merchant = request.merchant
    order = get_order_for_merchant(merchant, order_id)
    if order.status not in editing.EDITABLE:
        messages.error(request, "Only orders not yet picked can be edited.")
        return redirect("order_detail", order_id=order.pk)
    initial = {name: getattr(order, name) for name in OrderForm.base_fields}
    lines = [
        {"product": line.product_id, "quantity": line.quantity}
        for line in order.lines.order_by("pk")
    ]
    form = OrderForm(request.POST or None, initial=initial)
    formset = LineFormSet(
        request.POST or None, prefix="lines", initial=lines, form_kwargs={"merchant": merchant}
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            order = editing.edit_order(
                order=order, fields=form.cleaned_data, lines=formset.lines(), user=request.user
            )
        except (ValidationError, Unroutable, GeocoderUnavailable) as error:
            _form_error(form, error, editing.form_field)
        else:
            messages.success(request, f"{order} saved.")
            return redirect("order_detail", order_id=order.pk)
    return _order_form_page(
        request, form, formset, order=order, status=422 if request.method == "POST" else 200
    )


# --- Exceptions ---------------------------------------------------------------------------


@merchant_required
@require_GET
def order_exceptions(request: HttpRequest) -> HttpResponse:
    page = ReversingPaginator(exceptions(request.merchant), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "fulfillment/exceptions.html",
        {
            "page_obj": page,
            "override_form": OverrideAddressForm(prefix="override"),
            "nav_active": NAV,
        },
    )
