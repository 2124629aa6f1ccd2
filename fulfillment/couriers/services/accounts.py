"""Courier accounts, services with their rate cards, service areas and the merchant's rule.

Credentials: a map of name → value, stored as one Fernet token under a key derived from
SECRET_KEY (HKDF). A value written `env:NEARBOX_COURIER_…` is read from the environment when it
is used, so production secrets can stay out of the database. Only variables with that prefix:
a merchant writes these references and sets the account's base URL, so any other name would let
a merchant send the server's own secrets (SECRET_KEY, DATABASE_URL…) to a server of theirs.
Pages see only `credentials_hint`.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from fulfillment.couriers.adapters import CourierAdapter, CourierHttp, RetryPolicy, get_adapter
from fulfillment.couriers.adapters.base import (
    ADAPTERS,
    CredentialField,
    adapter_class,
    adapter_name,
)
from fulfillment.couriers.adapters.redaction import Redactor
from fulfillment.models import CourierAccount, CourierService, ServiceArea, ShippingSettings
from merchant.models import Merchant
from merchant.netguard import non_public_reason
from merchant.zones import zone_of

logger = logging.getLogger(__name__)

ENV_PREFIX = "env:"
# The environment variables an `env:` credential may name (see the module docstring).
ENV_VARIABLE = re.compile(r"^NEARBOX_COURIER_[A-Z0-9_]{1,80}$")
CREDENTIAL_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,40}$")
ACCOUNT_FIELDS = ("courier", "name", "base_url", "requests_per_second", "currency", "is_active")
SERVICE_FIELDS = (
    "level", "code", "name", "transit_hours", "pickup_cutoff", "max_weight_g", "max_length_mm",
    "max_width_mm", "max_height_mm", "is_active",
)  # fmt: skip
RATE_FIELDS = (
    "base_minor", "per_km_minor", "per_kg_minor", "size_surcharges", "fuel_pct", "minimum_minor",
)  # fmt: skip
DRIVER_SALT = "nearbox.fulfillment.driver-link"
DRIVER_LINK_MAX_AGE = dt.timedelta(hours=24)


# --- credentials --------------------------------------------------------------------------


def _fernet() -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"nearbox-courier-credentials", info=b"v1"
    ).derive(settings.SECRET_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def parse_credentials(text: str) -> dict[str, str]:
    """`name=value` per line (value may be `env:NAME`); errors name the line, never the value."""
    values: dict[str, str] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not CREDENTIAL_NAME.match(name) or not value:
            raise ValidationError(
                {"credentials": f"Line {number}: write name=value, e.g. api_key=… or "
                 "api_key=env:NEARBOX_COURIER_API_KEY."}
            )  # fmt: skip
        if value.startswith(ENV_PREFIX) and not ENV_VARIABLE.match(value[len(ENV_PREFIX) :]):
            raise ValidationError(
                {
                    "credentials": f"Line {number}: env: must name a variable that starts "
                    "with NEARBOX_COURIER_ (e.g. env:NEARBOX_COURIER_DHL_KEY)."
                }
            )
        values[name] = value
    return values


def credential_fields_for(courier: str) -> tuple[CredentialField, ...]:
    """What the courier's adapter asks for (name, label, secret, required); () if unknown."""
    try:
        return adapter_class(courier).credential_fields
    except (ValueError, ImportError):
        return ()


def check_credentials(
    *, courier: str, credentials: str, account: CourierAccount | None = None
) -> dict[str, str]:
    """The parsed credentials, once every credential the courier requires is there: in the
    text, or (editing with the text left empty) among the stored ones. The error names each
    missing credential by its label and name, never a value."""
    values = parse_credentials(credentials)
    present = set(values)
    if not values and account is not None:
        present = {name for name, value in credentials_for(account).items() if value}
        present |= {name for name in _stored_names(account)}
    missing = [f for f in credential_fields_for(courier) if f.required and f.name not in present]
    if missing:
        courier_name = adapter_name(courier)
        needed = ", ".join(f"{f.label} ({f.name})" for f in missing)
        raise ValidationError({"credentials": f"{courier_name} needs: {needed}."})
    return values


def _stored_names(account: CourierAccount) -> list[str]:
    """Names whose value comes from the environment count as present even when unset here."""
    if not account.credentials_encrypted:
        return []
    try:
        stored = json.loads(_fernet().decrypt(account.credentials_encrypted.encode()))
    except (InvalidToken, ValueError):
        return []
    return [name for name, value in stored.items() if value]


def credentials_hint(values: Mapping[str, str]) -> str:
    parts = []
    for name, value in values.items():
        if value.startswith(ENV_PREFIX):
            parts.append(f"{name} from {value}")
        else:
            parts.append(f"{name} ••••{value[-4:] if len(value) >= 8 else ''}")
    return ", ".join(parts)


def encrypt_credentials(values: Mapping[str, str]) -> str:
    if not values:
        return ""
    return _fernet().encrypt(json.dumps(dict(values)).encode()).decode()


def credentials_for(account: CourierAccount) -> dict[str, str]:
    """The usable credentials: decrypted, `env:` references resolved (missing → empty)."""
    if not account.credentials_encrypted:
        return {}
    try:
        stored = json.loads(_fernet().decrypt(account.credentials_encrypted.encode()))
    except (InvalidToken, ValueError):
        logger.error("courier account %s: credentials cannot be decrypted", account.pk)
        return {}
    return {name: _resolved(value) for name, value in stored.items()}


def _resolved(value: str) -> str:
    """A stored value, or the environment variable it names (only NEARBOX_COURIER_…: a
    reference stored before that rule resolves to nothing)."""
    if not value.startswith(ENV_PREFIX):
        return value
    variable = value[len(ENV_PREFIX) :]
    return os.environ.get(variable, "") if ENV_VARIABLE.match(variable) else ""


def adapter_for(
    account: CourierAccount, *, policy: RetryPolicy | None = None, **options: Any
) -> CourierAdapter:
    """The adapter for an account, on the shared HTTP layer with the account's rate limit."""
    http = None
    if account.courier != CourierAccount.Courier.MANUAL:
        http = CourierHttp.for_account(
            f"courier-account-{account.pk}",
            requests_per_second=account.requests_per_second,
            policy=policy,
        )
    return get_adapter(
        account.courier,
        credentials=credentials_for(account),
        base_url=account.base_url or None,
        http=http,
        **options,
    )


# --- accounts -----------------------------------------------------------------------------


# Couriers whose accounts are made by another page, with the reason the account form gives:
# an own-fleet account made here would have no own-delivery service (area, costs, waves).
MADE_ELSEWHERE: dict[str, str] = {
    "own_fleet": "Own drivers are added per hub under Fleet → Own delivery (its area, costs and "
    "waves); an account made here would have no own-delivery service.",
}


def _check_account(
    merchant: Merchant, fields: dict, pk: int | None, *, base_url_changed: bool = True
) -> None:
    if fields.get("courier") not in ADAPTERS:  # every registered adapter, karrio's included
        raise ValidationError({"courier": "Choose one of the couriers listed."})
    if fields["courier"] in MADE_ELSEWHERE:
        stored = CourierAccount.objects.filter(pk=pk).values_list("courier", flat=True).first()
        if stored != fields["courier"]:  # made (or kept) by its own page only
            raise ValidationError({"courier": MADE_ELSEWHERE[fields["courier"]]})
    if not (fields.get("name") or "").strip():
        raise ValidationError({"name": "Give the account a name."})
    taken = CourierAccount.objects.for_merchant(merchant).filter(name=fields["name"].strip())
    if taken.exclude(pk=pk).exists():
        raise ValidationError({"name": "Another courier account already has this name."})
    # Nearbox sends the account's credentials to its base URL: never into its own network.
    checked = base_url_changed and fields.get("base_url")
    allowed = settings.NEARBOX_COURIERS_ALLOW_PRIVATE
    reason = "" if allowed or not checked else non_public_reason(fields["base_url"], resolve=True)
    if reason:
        raise ValidationError({"base_url": reason})
    rps = fields.get("requests_per_second", 5.0)
    if not isinstance(rps, int | float) or not 0.1 <= rps <= 1000:
        raise ValidationError({"requests_per_second": "Between 0.1 and 1000 requests a second."})


def create_account(*, merchant: Merchant, credentials: str = "", **fields: Any) -> CourierAccount:
    values = parse_credentials(credentials)
    fields = {k: v for k, v in fields.items() if k in ACCOUNT_FIELDS}
    fields.setdefault("currency", merchant.currency)
    _check_account(merchant, fields, None)
    fields["name"] = fields["name"].strip()
    with transaction.atomic():
        account = CourierAccount.objects.create(
            merchant=merchant,
            credentials_encrypted=encrypt_credentials(values),
            credentials_hint=credentials_hint(values),
            **fields,
        )
    logger.info("courier account %s (%s) created", account.pk, account.courier)
    return account


def update_account(
    *, account: CourierAccount, credentials: str = "", **fields: Any
) -> CourierAccount:
    """Blank `credentials` keeps the stored ones (they are write-only)."""
    values = parse_credentials(credentials)
    fields = {k: v for k, v in fields.items() if k in ACCOUNT_FIELDS}
    merged = {f: getattr(account, f) for f in ACCOUNT_FIELDS} | fields
    _check_account(
        account.merchant,
        merged,
        account.pk,
        base_url_changed=fields.get("base_url", account.base_url) != account.base_url,
    )
    merged["name"] = merged["name"].strip()
    with transaction.atomic():
        for name, value in merged.items():
            setattr(account, name, value)
        if values:
            account.credentials_encrypted = encrypt_credentials(values)
            account.credentials_hint = credentials_hint(values)
        account.save()
    return account


def record_account_error(*, account: CourierAccount, message: str) -> None:
    """What the couriers page shows as the account's last error (redacted, short)."""
    clean = Redactor(credentials_for(account).values())(message)[:500]
    logger.warning("courier account %s: %s", account.pk, clean)
    CourierAccount.objects.filter(pk=account.pk).update(
        last_error=clean, last_error_at=timezone.now()
    )


def clear_account_error(*, account: CourierAccount) -> None:
    if account.last_error:
        CourierAccount.objects.filter(pk=account.pk).update(last_error="", last_error_at=None)


# --- services and rate cards ---------------------------------------------------------------


def clean_size_surcharges(value: Any) -> list[dict[str, int]]:
    if value in (None, "", []):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValidationError(
                {"size_surcharges": 'Not JSON: write [{"over_g": 5000, "surcharge": 300}].'}
            ) from None
    if not isinstance(value, list):
        raise ValidationError({"size_surcharges": "A list of tiers is expected."})
    tiers = []
    for i, tier in enumerate(value):
        ok = isinstance(tier, dict) and set(tier) == {"over_g", "surcharge"}
        ok = ok and all(isinstance(tier[k], int) and not isinstance(tier[k], bool) for k in tier)
        if not ok or tier["over_g"] < 0 or tier["surcharge"] < 0:
            raise ValidationError(
                {"size_surcharges": f"Tier {i + 1}: expected "
                 '{"over_g": whole grams ≥ 0, "surcharge": whole minor units ≥ 0}.'}
            )  # fmt: skip
        tiers.append({"over_g": tier["over_g"], "surcharge": tier["surcharge"]})
    return sorted(tiers, key=lambda t: t["over_g"])


def _check_service(fields: dict) -> dict:
    if fields.get("level") not in CourierService.Level.values:
        raise ValidationError({"level": "Choose same day, next day or economy."})
    for name in ("code", "name"):
        if not str(fields.get(name) or "").strip():
            raise ValidationError({name: "This field is required."})
    for name in ("transit_hours", "base_minor", "per_km_minor", "per_kg_minor", "minimum_minor"):
        value = fields.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValidationError({name: "A whole number ≥ 0 is expected."})
    if fields["transit_hours"] < 1:
        raise ValidationError({"transit_hours": "At least one hour."})
    for name in ("max_weight_g", "max_length_mm", "max_width_mm", "max_height_mm"):
        value = fields.get(name)
        if value is not None and (not isinstance(value, int) or value < 1):
            raise ValidationError({name: "A whole number ≥ 1, or empty for no limit."})
    if not isinstance(fields.get("pickup_cutoff"), dt.time):
        raise ValidationError({"pickup_cutoff": "A local time such as 14:00."})
    try:
        fuel = Decimal(str(fields.get("fuel_pct", 0)))
    except InvalidOperation:
        raise ValidationError({"fuel_pct": "A percentage such as 12.5."}) from None
    if not Decimal(0) <= fuel <= Decimal(100) or fuel != fuel.quantize(Decimal("0.01")):
        raise ValidationError({"fuel_pct": "A percentage between 0 and 100, two decimals at most."})
    fields["fuel_pct"] = fuel
    fields["size_surcharges"] = clean_size_surcharges(fields.get("size_surcharges"))
    fields["code"] = fields["code"].strip()
    fields["name"] = fields["name"].strip()
    return fields


SERVICE_DEFAULTS = {
    "base_minor": 0, "per_km_minor": 0, "per_kg_minor": 0, "size_surcharges": [],
    "fuel_pct": Decimal(0), "minimum_minor": 0, "max_weight_g": None, "max_length_mm": None,
    "max_width_mm": None, "max_height_mm": None, "is_active": True,
}  # fmt: skip


def create_service(*, account: CourierAccount, **fields: Any) -> CourierService:
    fields = SERVICE_DEFAULTS | {
        k: v for k, v in fields.items() if k in SERVICE_FIELDS + RATE_FIELDS
    }
    fields = _check_service(fields)
    try:
        with transaction.atomic():
            return CourierService.objects.create(
                merchant_id=account.merchant_id, account=account, **fields
            )
    except IntegrityError:
        raise ValidationError(
            {"code": "This account already has a service with this code."}
        ) from None


def update_service(*, service: CourierService, **fields: Any) -> CourierService:
    current = {f: getattr(service, f) for f in SERVICE_FIELDS + RATE_FIELDS}
    merged = _check_service(current | {k: v for k, v in fields.items() if k in current})
    try:
        with transaction.atomic():
            for name, value in merged.items():
                setattr(service, name, value)
            service.save()
    except IntegrityError:
        raise ValidationError(
            {"code": "This account already has a service with this code."}
        ) from None
    return service


# --- service areas --------------------------------------------------------------------------

ZIP = re.compile(r"^\d{5}$")


def clean_zip_codes(value: Any) -> list[str]:
    items = re.split(r"[\s,;]+", value) if isinstance(value, str) else list(value or [])
    codes = []
    for item in items:
        item = str(item).strip()
        if not item:
            continue
        code = item.split("-")[0]
        if not ZIP.match(code):
            raise ValidationError({"zip_codes": f"“{item[:12]}” is not a 5-digit ZIP code."})
        codes.append(code)
    if not codes:
        raise ValidationError({"zip_codes": "List at least one ZIP code."})
    return sorted(set(codes))


def clean_polygon(value: Any) -> dict:
    """A GeoJSON Polygon or MultiPolygon (or a Feature of one) that shapely finds valid."""
    from shapely.geometry import shape

    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ValidationError(
                {"polygon": f"Not JSON ({exc.msg} at line {exc.lineno})."}
            ) from None
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, dict) or value.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValidationError({"polygon": "Expected a GeoJSON Polygon or MultiPolygon."})
    try:
        geometry = shape(value)
    except Exception as exc:  # shapely raises several kinds for bad coordinates
        raise ValidationError({"polygon": f"Coordinates are not a polygon ({exc})."}) from None
    if geometry.is_empty or not geometry.is_valid:
        from shapely.validation import explain_validity

        raise ValidationError({"polygon": f"Invalid polygon: {explain_validity(geometry)}."})
    minx, miny, maxx, maxy = geometry.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise ValidationError({"polygon": "Coordinates must be [longitude, latitude] in degrees."})
    return {"type": value["type"], "coordinates": value["coordinates"]}


def _area_fields(kind: str, fields: dict) -> dict:
    if kind not in ServiceArea.Kind.values:
        raise ValidationError({"kind": "Choose radius, ZIP list or polygon."})
    clean: dict[str, Any] = {
        "kind": kind, "name": (fields.get("name") or "").strip()[:120],
        "center_latitude": None, "center_longitude": None, "radius_km": None,
        "zip_codes": [], "polygon": None,
    }  # fmt: skip
    if kind == ServiceArea.Kind.RADIUS:
        for name, limit in (("center_latitude", 90), ("center_longitude", 180)):
            value = fields.get(name)
            if not isinstance(value, int | float) or not -limit <= value <= limit:
                raise ValidationError({name: f"A number between -{limit} and {limit}."})
            clean[name] = float(value)
        radius = fields.get("radius_km")
        if not isinstance(radius, int | float) or not 0 < radius <= 1000:
            raise ValidationError({"radius_km": "A radius between 0 and 1000 km."})
        clean["radius_km"] = float(radius)
    elif kind == ServiceArea.Kind.ZIP:
        clean["zip_codes"] = clean_zip_codes(fields.get("zip_codes"))
    else:
        clean["polygon"] = clean_polygon(fields.get("polygon"))
    return clean


def _check_area_service(account: CourierAccount, service: CourierService | None) -> None:
    if service is not None and service.account_id != account.pk:
        raise ValidationError({"service": "That service belongs to another account."})


def create_area(
    *, account: CourierAccount, kind: str, service: CourierService | None = None, **fields: Any
) -> ServiceArea:
    clean = _area_fields(kind, fields)
    _check_area_service(account, service)
    with transaction.atomic():
        return ServiceArea.objects.create(
            merchant_id=account.merchant_id, account=account, service=service, **clean
        )


def update_area(
    *, area: ServiceArea, kind: str, service: CourierService | None = None, **fields: Any
) -> ServiceArea:
    clean = _area_fields(kind, fields)
    _check_area_service(area.account, service)
    with transaction.atomic():
        for name, value in clean.items():
            setattr(area, name, value)
        area.service = service
        area.save()
    return area


def delete_area(*, area: ServiceArea) -> None:
    with transaction.atomic():
        area.delete()


# --- the merchant's rule --------------------------------------------------------------------


def shipping_settings(merchant: Merchant) -> ShippingSettings:
    found = ShippingSettings.objects.for_merchant(merchant).select_related("preferred_account")
    return found.first() or ShippingSettings(merchant=merchant)


def set_rule(
    *,
    merchant: Merchant,
    rule: str,
    preferred_account: CourierAccount | None = None,
    tolerance_pct: int = 10,
) -> ShippingSettings:
    if rule not in ShippingSettings.Rule.values:
        raise ValidationError({"rule": "Choose one of the rules listed."})
    if rule == ShippingSettings.Rule.PREFERRED and preferred_account is None:
        raise ValidationError({"preferred_account": "Choose the preferred courier account."})
    if preferred_account is not None and preferred_account.merchant_id != merchant.pk:
        raise ValidationError({"preferred_account": "Choose one of your courier accounts."})
    if not isinstance(tolerance_pct, int) or not 0 <= tolerance_pct <= 500:
        raise ValidationError({"tolerance_pct": "A whole percentage between 0 and 500."})
    with transaction.atomic():
        row, _ = ShippingSettings.objects.select_for_update().get_or_create(merchant=merchant)
        row.rule, row.preferred_account, row.tolerance_pct = rule, preferred_account, tolerance_pct
        row.save()
    return row


# --- driver links (manual courier) ----------------------------------------------------------


def driver_token(*, account: CourierAccount, day: dt.date | None = None) -> str:
    """A signed, expiring token for the driver of a manual account, for one local day."""
    if account.courier != CourierAccount.Courier.MANUAL:
        raise ValidationError("Only a local courier without an API has a driver link.")
    day = day or timezone.localdate(timezone=zone_of(account.merchant))
    return signing.dumps({"a": account.pk, "d": day.isoformat()}, salt=DRIVER_SALT, compress=True)


def account_for_driver_token(token: str) -> tuple[CourierAccount, dt.date] | None:
    """The account and day of a valid, unexpired driver token; None if tampered or expired."""
    try:
        data = signing.loads(token, salt=DRIVER_SALT, max_age=DRIVER_LINK_MAX_AGE)
        day = dt.date.fromisoformat(data["d"])
        account = CourierAccount.objects.select_related("merchant").get(
            pk=int(data["a"]), courier=CourierAccount.Courier.MANUAL, is_active=True
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError, CourierAccount.DoesNotExist):
        return None
    return account, day
