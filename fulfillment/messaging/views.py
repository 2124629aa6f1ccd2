"""The merchant's message pages: the list of messages per language, the editor of one message
with a live preview (htmx) and a test send, the brand settings, and the log of one order's
messages (a fragment on the order page)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fulfillment.messaging import selectors
from fulfillment.messaging.copy import DEFAULT_LANGUAGE, LANGUAGES
from fulfillment.messaging.forms import BrandForm, TemplateForm
from fulfillment.messaging.services import brand, composing, rendering, templates
from fulfillment.models.messaging import Channel, MessageEvent
from merchant.decorators import merchant_required
from merchant.form_errors import add_service_errors

NAV = "shipments"


def _language(request: HttpRequest) -> str:
    code = request.GET.get("language", DEFAULT_LANGUAGE)
    return code if code in dict(LANGUAGES) else DEFAULT_LANGUAGE


@merchant_required
@require_GET
def message_list(request: HttpRequest) -> HttpResponse:
    language = _language(request)
    own = selectors.customised(request.merchant, language)
    rows = [
        {
            "event": event,
            "label": label,
            "channels": [
                {"channel": channel, "label": channel_label, "own": (event, channel) in own}
                for channel, channel_label in Channel.choices
            ],
        }
        for event, label in MessageEvent.choices
    ]
    return render(
        request,
        "fulfillment/messaging/message_list.html",
        {"rows": rows, "language": language, "languages": LANGUAGES, "nav_active": NAV},
    )


def _known_or_404(event: str, channel: str, language: str) -> None:
    if not templates.is_known(event=event, channel=channel, language=language):
        raise Http404("No such message.")


@merchant_required
@require_http_methods(["GET", "POST"])
def message_edit(request: HttpRequest, event: str, channel: str, language: str) -> HttpResponse:
    _known_or_404(event, channel, language)
    merchant = request.merchant
    here = reverse("message_edit", args=[event, channel, language])
    if request.method == "POST" and "reset" in request.POST:
        templates.reset_template(merchant=merchant, event=event, channel=channel, language=language)
        messages.success(request, "Back to the default text.")
        return redirect(here)
    subject, body = composing.words(merchant, event=event, channel=channel, language=language)
    form = TemplateForm(request.POST or None, initial={"subject": subject, "body": body})
    form.fields["subject"].required = channel == Channel.EMAIL
    if request.method == "POST" and form.is_valid():
        fields = {"subject": form.cleaned_data["subject"], "body": form.cleaned_data["body"]}
        try:
            if "test" in request.POST:
                if channel != Channel.EMAIL:
                    raise Http404("Test sends are for emails.")
                sent = templates.send_test(
                    merchant=merchant, to=request.user.email, event=event, language=language,
                    **fields,
                )  # fmt: skip
                messages.success(request, f"Test email sent to {sent.recipient}.")
            else:
                templates.save_template(
                    merchant=merchant, event=event, channel=channel, language=language, **fields
                )
                messages.success(request, "Message saved.")
                return redirect(here)
        except ValidationError as error:
            add_service_errors(form, error)
        except Exception as error:  # the mail server refused: say so, keep the text
            form.add_error(None, f"The test email could not be sent: {error}")
    words = form.data if form.is_bound else {"subject": subject, "body": body}
    context = {
        "form": form,
        "event": event,
        "event_label": MessageEvent(event).label,
        "channel": channel,
        "language": language,
        "language_label": dict(LANGUAGES)[language],
        "placeholders": rendering.PLACEHOLDERS,
        "own": selectors.customised(merchant, language).__contains__((event, channel)),
        "preview": _preview(merchant, event, channel, language, words),
        "nav_active": NAV,
    }
    return render(request, "fulfillment/messaging/message_edit.html", context)


def _preview(merchant, event: str, channel: str, language: str, words) -> dict:
    subject = str(words.get("subject", ""))[: templates.SUBJECT_MAX]
    body = str(words.get("body", ""))[: templates.BODY_MAX]
    return templates.preview(
        merchant=merchant, event=event, channel=channel, language=language,
        subject=subject, body=body,
    )  # fmt: skip


@merchant_required
@require_POST
def message_preview(request: HttpRequest, event: str, channel: str, language: str) -> HttpResponse:
    _known_or_404(event, channel, language)
    preview = _preview(request.merchant, event, channel, language, request.POST)
    return render(
        request,
        "fulfillment/messaging/_preview.html",
        {"preview": preview, "channel": channel},
    )


@merchant_required
@require_http_methods(["GET", "POST"])
def brand_settings(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant
    form = BrandForm(request.POST or None, instance=merchant)
    if request.method == "POST" and form.is_valid():
        try:
            brand.update_brand(
                merchant=merchant,
                **{name: form.cleaned_data[name] for name in BrandForm.Meta.fields},
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Brand saved.")
            return redirect("message_brand")
    merchant.refresh_from_db()
    colours = brand.brand_context(merchant)
    context = {
        "form": form,
        "colours": colours,
        "brand_contrast": brand.contrast_ratio(colours["brand_color"], colours["brand_text"]),
        "accent_contrast": brand.contrast_ratio(colours["accent_color"], colours["accent_text"]),
        "sender": brand.sender(merchant),
        "reply_to": ", ".join(brand.reply_to(merchant)),
        "nav_active": NAV,
    }
    return render(request, "fulfillment/messaging/brand.html", context)


@merchant_required
@require_GET
def order_messages(request: HttpRequest, order_id: int) -> HttpResponse:
    order = selectors.get_order_for_merchant(request.merchant, order_id)
    sent = list(selectors.messages_of_order(request.merchant, order)[:100])
    context = {"order": order, "sent": sent, "nav_active": "orders"}
    if request.htmx:
        return render(request, "fulfillment/messaging/_order_messages.html", context)
    return render(request, "fulfillment/messaging/order_messages.html", context)
