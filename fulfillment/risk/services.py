"""Address risk: the merchant's settings, training a model from the shop's own deliveries, and
scoring a destination (checkout) or an order (intake).

The model a merchant uses is the newest AddressRiskModel row, read once per process and kept
CACHE_SECONDS (checkout asks on every keystroke: the score itself is a few microseconds of plain
Python, fulfillment/risk/model.py). A merchant with no row yet is scored by the prior model over
an empty history (every ZIP at the default rate).
"""

from __future__ import annotations

import datetime as dt
import math
import time
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from fulfillment.couriers.adapters.types import TrackingStatus
from fulfillment.models import Order, Shipment, ShipmentEvent
from fulfillment.models.risk import AddressRiskModel, AddressRiskSettings, OrderRisk
from fulfillment.risk.features import AddressFacts, History, business_name, vector
from fulfillment.risk.model import Model, Record, prior_model, train

S = TrackingStatus
# A home delivery failed when its shipment ever reported one of these (tracking/status.py).
FAILURE_STATUSES = (S.FAILED_ATTEMPT.value, S.RETURNED.value, S.EXCEPTION.value)
CACHE_SECONDS = 30.0
MAX_CACHED = 256  # merchants whose model one process keeps
MIN_THRESHOLD, MAX_THRESHOLD = 0.01, 0.99


@dataclass(frozen=True)
class Active:
    settings: AddressRiskSettings
    model: Model
    history: History
    model_id: int | None
    kind: str


_cache: dict[int, tuple[float, Active]] = {}


def forget(merchant_id: int) -> None:
    """Drop this process's copy (after a save here; other processes see it within a TTL)."""
    _cache.pop(merchant_id, None)


# --- settings ------------------------------------------------------------------------------


def get_risk_settings(merchant) -> AddressRiskSettings:
    """The merchant's settings; the defaults (unsaved) when none were ever saved. A read only:
    the shopper's checkout asks this, and a shopper's request writes nothing."""
    found = AddressRiskSettings.objects.filter(merchant=merchant).first()
    return found if found is not None else AddressRiskSettings(merchant=merchant)


def clean_threshold(value: object) -> float:
    """A probability strictly inside (0, 1), as a number: 0.25 (25%)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise ValidationError({"threshold": "The threshold is a number such as 0.25."}) from None
    if not math.isfinite(number) or not MIN_THRESHOLD <= number <= MAX_THRESHOLD:
        raise ValidationError(
            {
                "threshold": f"The threshold is between {MIN_THRESHOLD} and {MAX_THRESHOLD} "
                "(the probability that a home delivery fails)."
            }
        )
    return round(number, 4)


def update_risk_settings(*, merchant, enabled: bool, threshold: object) -> AddressRiskSettings:
    value = clean_threshold(threshold)
    if not isinstance(enabled, bool):
        raise ValidationError({"enabled": "enabled is true or false."})
    with transaction.atomic():
        prefs, _ = AddressRiskSettings.objects.select_for_update().get_or_create(merchant=merchant)
        prefs.enabled = enabled
        prefs.threshold = value
        prefs.save()
    forget(merchant.pk)
    return prefs


# --- the shop's history ---------------------------------------------------------------------


def _customer_keys(email: str, phone: str) -> list[str]:
    keys = []
    if email.strip():
        keys.append("e:" + email.strip().lower())
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) >= 6:
        keys.append("p:" + digits[-10:])
    return keys


def _local(moment: dt.datetime | None, tz: zoneinfo.ZoneInfo) -> dt.datetime | None:
    return moment.astimezone(tz) if moment is not None else None


def _facts(row: dict, tz: zoneinfo.ZoneInfo, *, new_customer: bool | None) -> AddressFacts:
    source = row["coordinates_source"] or ""
    return AddressFacts(
        zip5=(row["normalized_postal_code"] or row["postal_code"] or "")[:5],
        line1=row["line1"] or "",
        line2=row["line2"] or "",
        company=business_name(row["shopper_name"] or ""),
        window_from=_local(row["promised_from"], tz),
        window_until=_local(row["promised_until"], tz),
        centroid=source != "shop",
        new_customer=new_customer,
    )


ORDER_FIELDS = (
    "created_at",
    "normalized_postal_code",
    "postal_code",
    "line1",
    "line2",
    "shopper_name",
    "shopper_email",
    "shopper_phone",
    "promised_from",
    "promised_until",
    "coordinates_source",
)


def history_records(merchant, *, until: dt.datetime | None = None) -> list[Record]:
    """The shop's finished home deliveries as training records: failed when the shipment ever
    reported a failed attempt, an exception or a return; delivered otherwise."""
    tz = zoneinfo.ZoneInfo(merchant.time_zone)
    bad = ShipmentEvent.objects.filter(shipment=OuterRef("pk"), status__in=FAILURE_STATUSES)
    shipments = (
        Shipment.objects.for_merchant(merchant)
        .filter(is_return=False, voided_at__isnull=True, order__delivery_kind="home")
        .annotate(bad=Exists(bad))
        .filter(Q(bad=True) | Q(status__in=(S.DELIVERED.value, *FAILURE_STATUSES)))
    )
    if until is not None:
        shipments = shipments.filter(order__created_at__lt=until)
    rows: dict[int, dict] = {}
    fields = ["order_id", "bad", "status", *(f"order__{f}" for f in ORDER_FIELDS)]
    for values in shipments.values(*fields).order_by("order__created_at", "pk").iterator():
        row = {k.removeprefix("order__"): v for k, v in values.items()}
        failed = row["bad"] or row["status"] in FAILURE_STATUSES
        kept = rows.setdefault(row["order_id"], row)
        kept["failed"] = kept.get("failed", False) or failed
    # When each customer was first known: an earlier order's parcel delivered (its shipment's
    # delivered_at; the order's creation when the courier gave no time). At intake a customer
    # is known only by orders delivered by then: an earlier order still on its way when this
    # one came in must not make it "known" in training either.
    first_delivered: dict[str, dt.datetime] = {}
    arrived = (
        Shipment.objects.filter(order=OuterRef("pk"), is_return=False, delivered_at__isnull=False)
        .order_by("delivered_at")
        .values("delivered_at")[:1]
    )
    delivered = (
        Order.objects.for_merchant(merchant)
        .filter(status=Order.Status.DELIVERED)
        .annotate(arrived=Subquery(arrived))
    )
    for created, at, email, phone in delivered.values_list(
        "created_at", "arrived", "shopper_email", "shopper_phone"
    ).iterator():
        known_at = at or created
        for key in _customer_keys(email, phone):
            if key not in first_delivered or known_at < first_delivered[key]:
                first_delivered[key] = known_at
    records = []
    for row in rows.values():
        keys = _customer_keys(row["shopper_email"] or "", row["shopper_phone"] or "")
        known = [first_delivered[k] for k in keys if k in first_delivered]
        new = None if not keys else not any(t < row["created_at"] for t in known)
        facts = _facts(row, tz, new_customer=new)
        records.append(Record(row["created_at"].astimezone(tz).date(), facts, row["failed"]))
    return records


def train_risk_model(*, merchant, now: dt.datetime | None = None) -> AddressRiskModel:
    """Fit on the shop's history (held-out months for the metrics) and store it as the model
    the merchant uses from now on."""
    now = now or timezone.now()
    result = train(history_records(merchant, until=now), now=now)
    with transaction.atomic():
        row = AddressRiskModel.objects.create(
            merchant=merchant,
            kind=result.kind,
            intercept=result.model.intercept,
            coefficients=dict(result.model.coefficients),
            means=dict(result.model.means),
            zip_stats={z: list(pair) for z, pair in result.history.zip_stats.items()},
            overall_rate=result.history.overall_rate,
            unit_streets=sorted(result.history.unit_streets),
            metrics=result.metrics,
            created_at=now,
        )
    forget(merchant.pk)
    return row


def latest_model(merchant) -> AddressRiskModel | None:
    return AddressRiskModel.objects.for_merchant(merchant).first()


def active(merchant) -> Active:
    """The merchant's settings and model, from this process's copy when it is fresh."""
    cached = _cache.get(merchant.pk)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    prefs = get_risk_settings(merchant)
    row = latest_model(merchant)
    if row is None:
        history = History()
        found = Active(prefs, prior_model(history.overall_rate), history, None, "prior")
    else:
        history = History(
            {z: (int(f), int(n)) for z, (f, n) in row.zip_stats.items()},
            row.overall_rate,
            frozenset(row.unit_streets),
        )
        model = Model(row.intercept, row.coefficients, row.means)
        found = Active(prefs, model, history, row.pk, row.kind)
    _remember(merchant.pk, found)
    return found


def _remember(merchant_id: int, found: Active) -> None:
    """Keep at most MAX_CACHED merchants' models in this process (a model can hold 50,000 street
    keys): expired copies go first, then the oldest kept."""
    now = time.monotonic()
    _cache.pop(merchant_id, None)
    if len(_cache) >= MAX_CACHED:
        for key in [k for k, (until, _) in _cache.items() if until <= now]:
            del _cache[key]
        while len(_cache) >= MAX_CACHED:
            del _cache[next(iter(_cache))]
    _cache[merchant_id] = (now + CACHE_SECONDS, found)


# --- scoring ---------------------------------------------------------------------------------


def level_for(score: float, threshold: float, overall_rate: float) -> str:
    if score >= threshold:
        return "high"
    if score >= max(1.5 * overall_rate, threshold / 2):
        return "medium"
    return "low"


def assess(merchant, facts: AddressFacts) -> dict:
    """{score, level, reasons: [{code, text, merchant_text}], over_threshold, enabled}."""
    now = active(merchant)
    values = vector(facts, now.history)
    score = now.model.score(values)
    return {
        "score": round(score, 4),
        "level": level_for(score, now.settings.threshold, now.history.overall_rate),
        "reasons": now.model.reasons(values),
        "over_threshold": score >= now.settings.threshold,
        "enabled": now.settings.enabled,
        "model_id": now.model_id,
    }


def checkout_facts(
    *, postal_code: str, street: str = "", unit: str = "", company: str = "", pinned: bool = False
) -> AddressFacts:
    """What a checkout query tells about the destination: a typed street without a pin is
    placed only at the ZIP's centre; the customer is not known at checkout."""
    return AddressFacts(
        zip5=postal_code.strip()[:5],
        line1=street.strip(),
        line2=unit.strip(),
        company=company.strip(),
        centroid=None if not street.strip() and not pinned else not pinned,
    )


def is_new_customer(order: Order) -> bool | None:
    keys = _customer_keys(order.shopper_email, order.shopper_phone)
    if not keys:
        return None
    delivered_before = Order.objects.filter(
        merchant_id=order.merchant_id,
        status=Order.Status.DELIVERED,
        created_at__lt=order.created_at,
    )
    # One query per key, each on its partial index (order_delivered_email, _phone): with both
    # in one OR, PostgreSQL's LIMIT 1 plan chose to walk every delivered order instead.
    matches = []
    if order.shopper_email.strip():
        matches.append(Q(shopper_email__iexact=order.shopper_email.strip()))
    if order.shopper_phone.strip():
        matches.append(Q(shopper_phone=order.shopper_phone))
    return not any(delivered_before.filter(match).exists() for match in matches)


def score_order(*, order: Order) -> OrderRisk:
    """Score an order as it came in and store it (idempotent: a second call rewrites it)."""
    merchant = order.merchant
    tz = zoneinfo.ZoneInfo(merchant.time_zone)
    row = {f: getattr(order, f) for f in ORDER_FIELDS}
    facts = _facts(row, tz, new_customer=is_new_customer(order))
    found = assess(merchant, facts)
    reasons = [{"code": r["code"], "text": r["merchant_text"]} for r in found["reasons"]]
    risk, _ = OrderRisk.objects.update_or_create(
        order=order,
        defaults={
            "merchant": merchant,
            "score": found["score"],
            "level": found["level"],
            "reasons": reasons,
            "model_id": found["model_id"],
            "scored_at": timezone.now(),
        },
    )
    return risk


def pickup_hold_days() -> int:
    return int(settings.NEARBOX_PICKUP_DAYS)
