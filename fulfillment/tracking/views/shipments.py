"""The shipments list (filters, pagination, live through htmx), the exceptions queue with its
actions, and the shopper notification settings."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from fulfillment.models import CourierAccount, NotificationSettings, Shipment
from fulfillment.models.redirects import DeliveryReschedule, ExceptionRules, ParcelRedirect
from fulfillment.models.shipments import STATUS_CHOICES
from fulfillment.tracking import actions, hooks, reschedule, selectors, shopper_actions
from fulfillment.tracking.notifications import get_settings, tracking_url, update_settings
from merchant.decorators import merchant_required

NAV = "shipments"
PER_PAGE = 50


@merchant_required
def shipment_list(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant
    status = request.GET.get("status", "")
    status = status if status in dict(STATUS_CHOICES) else ""
    accounts = CourierAccount.objects.for_merchant(merchant).order_by("name")
    account_id = request.GET.get("courier", "")
    account_id = account_id if account_id in {str(a.pk) for a in accounts} else ""
    shipments = selectors.shipment_list(merchant, status=status, account_id=account_id)
    page = Paginator(shipments, PER_PAGE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in (("status", status), ("courier", account_id)) if v})
    context = {
        "page_obj": page,
        "shipments": page.object_list,
        "statuses": STATUS_CHOICES,
        "accounts": accounts,
        "status": status,
        "account_id": account_id,
        "query": query,
        "filtered": bool(status or account_id),
        "exception_count": selectors.exception_count(merchant),
        "refresh_seconds": _refresh_seconds(),
        "updated_at": timezone.now(),
        "nav_active": NAV,
    }
    if request.htmx:
        return render(request, "fulfillment/tracking/_shipment_table.html", context)
    return render(request, "fulfillment/tracking/shipment_list.html", context)


def _refresh_seconds() -> int:
    from django.conf import settings

    return max(2, min(settings.NEARBOX_TRACKING_REFRESH_SECONDS, 60))


def _contact_link(shipment: Shipment) -> str:
    order = shipment.order
    if not order.shopper_email:
        return ""
    subject = f"Your order {order.reference or order.pk}"
    body = (
        f"Hello {order.shopper_name},\n\nabout your parcel {shipment.tracking_number}: "
        f"{shipment.get_status_display().lower()}.\n\nFollow it here: {tracking_url(shipment)}\n"
    )
    return f"mailto:{order.shopper_email}?subject={quote(subject)}&body={quote(body)}"


@merchant_required
def shipment_exceptions(request: HttpRequest) -> HttpResponse:
    queue = selectors.exceptions_queue(request.merchant)
    page = Paginator(queue.shipments, PER_PAGE).get_page(request.GET.get("page"))
    shipments = list(page.object_list)
    redirector = hooks.redirector()
    done = {
        r.shipment_id: r
        for r in ParcelRedirect.objects.for_merchant(request.merchant).filter(
            shipment__in=shipments
        )
    }
    places = redirector.options_for_page(shipments, limit=3) if redirector else {}
    rules = shopper_actions.get_rules(request.merchant)
    first, last = reschedule.day_range(
        today=reschedule.local_today(request.merchant), max_days=rules.max_reschedule_days
    )
    rows = [
        {
            "shipment": s,
            "contact": _contact_link(s),
            "redirect": done.get(s.pk),
            # The nearest lockers and shops that fit, one click each (none once redirected).
            "places": places.get(s.pk, []) if s.pk not in done else [],
        }
        for s in shipments
    ]
    context = {
        "page_obj": page,
        "rows": rows,
        "first_day": first,
        "last_day": last,
        "address_problems": queue.address_problems[:PER_PAGE],
        "address_count": queue.address_problems.count(),
        "expiring_pickups": queue.expiring_pickups,
        "nav_active": NAV,
    }
    return render(request, "fulfillment/tracking/exceptions.html", context)


ACTIONS = {
    "handled": (actions.mark_handled, "Marked as handled."),
    "cancel": (actions.cancel_shipment, "Shipment cancelled; tracking stopped."),
    "refunded": (actions.mark_refunded, "Marked as refunded."),
    "reship": (actions.reship, "A new shipment is being booked."),
}


def _redirect_or_reschedule(request: HttpRequest, shipment: Shipment, action: str) -> str:
    """The two actions that take a choice: a place ref or a day. Returns what was done."""
    if action == "redirect":
        redirector = hooks.redirector()
        if redirector is None:
            raise ValidationError({"place": "No pickup network is installed."})
        record, created = redirector.redirect(
            shipment=shipment,
            place_ref=request.POST.get("place", "")[:64],
            requested_by="staff",
            user=request.user,
        )
        told = record.get_courier_told_display()
        note = f" {record.courier_note}" if record.courier_note else ""
        if not created:  # a second click: the same outcome, said the same way
            return f"now goes to {record.to_name} (asked already; the shopper was told once)."
        return f"now goes to {record.to_name}; shopper told. {told}.{note}"
    rules = shopper_actions.get_rules(request.merchant)
    day = reschedule.parse_day(request.POST.get("day", ""))
    if day is None:
        raise ValidationError({"day": "Pick a day (YYYY-MM-DD)."})
    record, created = reschedule.reschedule(
        shipment=shipment,
        day=day,
        requested_by="staff",
        max_days=rules.max_reschedule_days,
        user=request.user,
    )
    note = f" {record.courier_note}" if record.courier_note else ""
    return f"delivery moved to {record.day:%a %d %b}. {record.get_courier_told_display()}.{note}"


@merchant_required
@require_POST
def shipment_exception_action(request: HttpRequest, shipment_id: int) -> HttpResponse:
    shipment = selectors.get_shipment_for_merchant(request.merchant, shipment_id)
    action = request.POST.get("action", "")
    if action in ("redirect", "reschedule"):
        try:
            done = _redirect_or_reschedule(request, shipment, action)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{shipment}: {done}")
        return redirect("shipment_exceptions")
    if action not in ACTIONS:
        messages.error(request, "Choose one of the actions offered.")
        return redirect("shipment_exceptions")
    service, done = ACTIONS[action]
    try:
        service(shipment=shipment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{shipment}: {done}")
    return redirect("shipment_exceptions")


class NotificationSettingsForm(forms.ModelForm):
    class Meta:
        model = NotificationSettings
        fields = [
            "shipped", "out_for_delivery", "available_for_pickup", "delivered", "failed_attempt",
            "nearby", "email_enabled", "sms_enabled",
        ]  # fmt: skip


@merchant_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    prefs = get_settings(request.merchant)
    form = NotificationSettingsForm(request.POST or None, instance=prefs)
    if request.method == "POST" and form.is_valid():
        update_settings(
            merchant=request.merchant,
            **{name: form.cleaned_data[name] for name in NotificationSettingsForm.Meta.fields},
        )
        messages.success(request, "Notification settings saved.")
        return redirect("shipment_notification_settings")
    return render(
        request,
        "fulfillment/tracking/notification_settings.html",
        {"form": form, "nav_active": NAV},
    )


class ExceptionRulesForm(forms.ModelForm):
    class Meta:
        model = ExceptionRules
        fields = list(shopper_actions.RULE_FIELDS)
        widgets = {"max_reschedule_days": forms.NumberInput(attrs={"min": 1, "max": 14})}


@merchant_required
@require_http_methods(["GET", "POST"])
def exception_rules(request: HttpRequest) -> HttpResponse:
    """What shoppers may change from the tracking page (#20 item 4)."""
    rules = shopper_actions.get_rules(request.merchant)
    form = ExceptionRulesForm(request.POST or None, instance=rules)
    if request.method == "POST" and form.is_valid():
        shopper_actions.update_rules(
            merchant=request.merchant,
            **{name: form.cleaned_data[name] for name in shopper_actions.RULE_FIELDS},
        )
        messages.success(request, "Shopper rules saved.")
        return redirect("shipment_exception_rules")
    recent = (
        DeliveryReschedule.objects.for_merchant(request.merchant)
        .select_related("shipment")
        .order_by("-created_at")[:20]
    )
    return render(
        request,
        "fulfillment/tracking/exception_rules.html",
        {"form": form, "recent_reschedules": recent, "nav_active": NAV},
    )
