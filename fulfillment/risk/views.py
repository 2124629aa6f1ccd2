"""Settings → Address risk: the threshold and on/off, the model in use with its held-out ROC AUC
and calibration (an SVG drawn here, no chart library), what the threshold would have done last
month (a fragment htmx refreshes as the threshold is typed), and a button to train again."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fulfillment.risk import selectors, services
from fulfillment.risk.features import WORDS
from fulfillment.risk.forms import PreviewForm, RiskSettingsForm
from merchant.decorators import merchant_required

SVG_SIZE = 240
SVG_PAD = 32


def calibration_chart(table: list[dict]) -> dict | None:
    """Points of the calibration plot in SVG coordinates (predicted across, observed up)."""
    if not table:
        return None
    top = max(max(r["predicted"], r["observed"]) for r in table)
    top = min(1.0, max(0.05, round(top + 0.05, 1)))
    span = SVG_SIZE - 2 * SVG_PAD

    def x(v: float) -> float:
        return round(SVG_PAD + v / top * span, 1)

    def y(v: float) -> float:
        return round(SVG_SIZE - SVG_PAD - v / top * span, 1)

    points = [
        {**r, "cx": x(r["predicted"]), "cy": y(r["observed"]), "decile": i + 1}
        for i, r in enumerate(table)
    ]
    return {
        "size": SVG_SIZE,
        "pad": SVG_PAD,
        "top": top,
        "top_percent": round(top * 100),
        "corner": SVG_SIZE - SVG_PAD,
        "line": " ".join(f"{p['cx']},{p['cy']}" for p in points),
        "points": points,
    }


def _context(request: HttpRequest, form: RiskSettingsForm) -> dict:
    merchant = request.merchant
    prefs = services.get_risk_settings(merchant)
    row = services.latest_model(merchant)
    metrics = row.metrics if row else {}
    weights = [
        {"code": code, "words": WORDS[code][1], "weight": round(weight, 2)}
        for code, weight in sorted((row.coefficients if row else {}).items(), key=lambda kv: -kv[1])
    ]
    return {
        "nav_active": "settings",
        "tab": "risk",
        "form": form,
        "prefs": prefs,
        "model": row,
        "metrics": metrics,
        "weights": weights,
        "chart": calibration_chart(metrics.get("calibration") or []),
        "preview": selectors.threshold_preview(merchant, prefs.threshold),
    }


@merchant_required
@require_http_methods(["GET", "POST"])
def risk_settings(request: HttpRequest) -> HttpResponse:
    prefs = services.get_risk_settings(request.merchant)
    form = RiskSettingsForm.for_settings(prefs, request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.update_risk_settings(
                    merchant=request.merchant,
                    enabled=form.cleaned_data["enabled"],
                    threshold=float(form.cleaned_data["threshold_percent"]) / 100,
                )
            except ValidationError as error:
                form.add_error("threshold_percent", error.messages)
            else:
                messages.success(request, "Address risk settings saved.")
                return redirect("address_risk")
    return render(request, "fulfillment/risk/settings.html", _context(request, form), status=status)


@merchant_required
@require_GET
def risk_preview(request: HttpRequest) -> HttpResponse:
    form = PreviewForm(request.GET)
    if not form.is_valid():
        return render(
            request, "fulfillment/risk/_preview.html", {"errors": form.errors}, status=400
        )
    threshold = float(form.cleaned_data["threshold_percent"]) / 100
    preview = selectors.threshold_preview(request.merchant, threshold)
    return render(request, "fulfillment/risk/_preview.html", {"preview": preview})


@merchant_required
@require_POST
def risk_train(request: HttpRequest) -> HttpResponse:
    from fulfillment.risk.tasks import train_address_risk

    merchant_id = request.merchant.pk
    transaction.on_commit(lambda: train_address_risk.delay(merchant_id))
    messages.success(request, "Training started: the new model shows here in a minute or two.")
    return redirect("address_risk")
