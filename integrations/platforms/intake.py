"""A platform's order taken into Nearbox: created through the same service as the API's orders,
updated, cancelled, or kept as an exception with its problem in words until it can be taken in.

One PlatformOrder row per platform order, locked while it is worked on, so two deliveries of
the same order (orders/create and orders/updated arriving together, a backfill racing a webhook)
make one Nearbox order. A platform's older version never overwrites a newer one.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from fulfillment.models import Order
from fulfillment.orders.services.addresses import ADDRESS_FIELDS, ADDRESS_LOCKED, fix_address
from fulfillment.orders.services.orders import DuplicateReference, cancel_order, create_order
from fulfillment.orders.services.routing import Unroutable
from integrations.models import PlatformConnection, PlatformOrder
from integrations.platforms.base import PayloadInvalid, PlatformConnector, get_connector
from integrations.platforms.types import NormalizedOrder

logger = logging.getLogger(__name__)

PROBLEM_LIMIT = 500

# How a field of the order API reads in a problem a merchant sees.
FIELD_WORDS = {
    "reference": "Order number",
    "shopper.name": "Shopper name",
    "shopper.email": "Shopper email",
    "shopper.phone": "Shopper phone",
    "destination.line1": "Address",
    "destination.line2": "Address line 2",
    "destination.city": "City",
    "destination.state": "State",
    "destination.postal_code": "Postcode",
    "destination.country": "Country",
    "delivery.service": "Shipping method",
    "delivery.pickup_location_ref": "Pickup place",
    "delivery.kind": "Delivery",
    "currency": "Currency",
    "value": "Order value",
    "lines": "Items",
}


class Outcome:
    CREATED = "created"
    UPDATED = "updated"
    CANCELLED = "cancelled"
    EXCEPTION = "exception"
    IGNORED = "ignored"


@dataclass(frozen=True)
class Intake:
    """What one intake did; `platform_order` is None when nothing was kept (not paid yet, an
    older version, a payload that is not an order)."""

    outcome: str
    platform_order: PlatformOrder | None = None
    detail: str = ""


def take_in(
    *,
    connection: PlatformConnection,
    payload: Mapping[str, Any],
    cancelled: bool = False,
    connector: PlatformConnector | None = None,
) -> Intake:
    """Take a platform order (a webhook body, a backfill item, a stored payload) into Nearbox.

    `cancelled` says the delivery was a cancellation whatever the payload says. Raises only
    what a retry may cure (GeocoderUnavailable, database errors); everything else is an
    outcome: an exception with its problem, or ignored with the reason.
    """
    connector = connector or get_connector(connection, credentials={})
    try:
        order = connector.order_from_payload(payload)
    except PayloadInvalid as error:
        return Intake(Outcome.IGNORED, detail=error.reason[:PROBLEM_LIMIT])
    if cancelled and not order.cancelled:
        order = _cancelled(order)
    # No savepoint of its own inside the task's transaction: a failure here fails the delivery.
    with transaction.atomic(savepoint=False):
        found = _locked(connection, order.external_id)
        if found is None:
            if order.cancelled:
                return Intake(Outcome.IGNORED, detail="Cancelled before it reached Nearbox.")
            if not order.paid:
                return Intake(Outcome.IGNORED, detail="Not paid yet: taken in once it is paid.")
            # INSERT … ON CONFLICT DO NOTHING: a concurrent intake of the same order made the
            # row first; either way it is locked below and only one of them creates the order.
            PlatformOrder.objects.bulk_create(
                [
                    PlatformOrder(
                        merchant_id=connection.merchant_id,
                        connection=connection,
                        external_id=order.external_id,
                        state=PlatformOrder.State.EXCEPTION,
                        payload=dict(payload),
                    )
                ],
                ignore_conflicts=True,
            )
            # Without its order: the row is new, or a concurrent intake's that has just
            # committed (then found.order loads lazily, by its id).
            found = _locked(connection, order.external_id, with_order=False)
        elif _older(order, found):
            return Intake(Outcome.IGNORED, found, "An older version of the order: kept the newer.")
        found.payload = dict(payload)
        found.external_name = order.external_name[:100]
        if order.updated_at is not None:
            found.external_updated_at = order.updated_at
        outcome = _apply(connection, found, order)
        found.save()
    return Intake(outcome, found, found.problem)


def _locked(
    connection: PlatformConnection, external_id: str, *, with_order: bool = True
) -> PlatformOrder | None:
    rows = PlatformOrder.objects.select_for_update(of=("self",))
    if with_order:
        rows = rows.select_related("order")
    return rows.filter(connection=connection, external_id=external_id).order_by().first()


def take_in_again(*, platform_order: PlatformOrder) -> Intake:
    """ "Take in again": the stored payload once more, after the merchant fixed the cause (added
    the SKU, stocked a point). A cancelled platform order stays cancelled."""
    return take_in(
        connection=platform_order.connection,
        payload=platform_order.payload,
        cancelled=platform_order.state == PlatformOrder.State.CANCELLED,
    )


# --- the rules ----------------------------------------------------------------------------


def _older(order: NormalizedOrder, found: PlatformOrder) -> bool:
    return (
        order.updated_at is not None
        and found.external_updated_at is not None
        and order.updated_at < found.external_updated_at
    )


def _cancelled(order: NormalizedOrder) -> NormalizedOrder:
    from dataclasses import replace

    return replace(order, cancelled=True)


def _apply(connection: PlatformConnection, found: PlatformOrder, order: NormalizedOrder) -> str:
    platform = connection.get_platform_display()
    ours = found.order
    if order.cancelled:
        return _cancel(found, ours, platform)
    if ours is not None:
        _update_address(ours, order)
        found.state, found.problem = PlatformOrder.State.IMPORTED, ""
        return Outcome.UPDATED
    if not order.paid:
        found.problem = "Not paid yet: taken in once it is paid."
        return Outcome.EXCEPTION
    problem = _line_problem(order)
    if problem is None:
        created, problem = _create(connection, order)
        if created is not None:
            found.order, found.state, found.problem = created, PlatformOrder.State.IMPORTED, ""
            return Outcome.CREATED
    found.state, found.problem = PlatformOrder.State.EXCEPTION, problem[:PROBLEM_LIMIT]
    return Outcome.EXCEPTION


def _cancel(found: PlatformOrder, ours: Order | None, platform: str) -> str:
    if ours is not None and ours.status != Order.Status.CANCELLED:
        try:
            cancel_order(order=ours, user=None, note=f"Cancelled in {platform}.")
        except ValidationError as error:
            found.state = PlatformOrder.State.EXCEPTION
            found.problem = (
                f"Cancelled in {platform}, but Nearbox cannot cancel it: {_words(error)}"
            )[:PROBLEM_LIMIT]
            return Outcome.EXCEPTION
    found.state, found.problem = PlatformOrder.State.CANCELLED, ""
    return Outcome.CANCELLED


def _update_address(ours: Order, order: NormalizedOrder) -> None:
    """A changed shipping address or phone reaches our order while the parcel has not left."""
    theirs = {
        "line1": order.line1,
        "line2": order.line2,
        "city": order.city,
        "state": order.state,
        "postal_code": order.postal_code,
        "country": order.country.upper(),
        "shopper_phone": order.shopper_phone,
    }
    changed = {k: v for k, v in theirs.items() if k in ADDRESS_FIELDS and getattr(ours, k) != v}
    if not changed or ours.status in ADDRESS_LOCKED or ours.status == Order.Status.CANCELLED:
        return
    try:
        with transaction.atomic():
            fix_address(order=ours, **changed)
    except ValidationError as error:
        logger.info("platform update of order %s: address kept (%s)", ours.pk, _words(error))


def _line_problem(order: NormalizedOrder) -> str | None:
    if not order.lines:
        return "The order has no items to ship."
    for line in order.lines:
        if not line.sku.strip():
            title = line.title or "an item"
            return (
                f"“{title}” has no SKU: give the product a SKU that Nearbox knows, "
                "then take it in again."
            )
    return None


def _create(connection: PlatformConnection, order: NormalizedOrder) -> tuple[Order | None, str]:
    reference = order.external_name or order.external_id
    attempts = [reference, f"{reference} ({connection.platform} {connection.pk})"]
    while attempts:
        attempt = attempts[0]
        try:
            created, _ = create_order(
                merchant=connection.merchant,
                data=order_data(order, reference=attempt[:80]),
                source=connection.platform,
            )
        except DuplicateReference:
            attempts.pop(0)  # another store (or the API) already used this number
            continue
        except ValidationError as error:
            if order.reservation_token and _only_the_hold(error):
                # The shopper paid for a locker whose checkout hold lapsed (or was never
                # ours): take the order in; a compartment is given when the parcel arrives.
                order = dataclasses.replace(order, reservation_token="")
                continue
            return None, _words(error)
        except Unroutable as error:
            return None, f"No storage point can fill it: {error.detail}"
        return created, ""
    return None, f"An order with reference “{reference}” already exists in Nearbox."


def _only_the_hold(error: ValidationError) -> bool:
    fields = getattr(error, "error_dict", {}).keys()
    return bool(fields) and all("reservation_token" in field for field in fields)


def order_data(order: NormalizedOrder, *, reference: str) -> dict[str, Any]:
    """The order API's body (fulfillment.orders.services.orders.create_order) for a platform
    order; lines of one SKU are one line."""
    quantities: dict[str, int] = {}
    for line in order.lines:
        sku = line.sku.strip()
        quantities[sku] = quantities.get(sku, 0) + line.quantity
    return {
        "reference": reference,
        "shopper": {
            "name": order.shopper_name,
            "email": order.shopper_email,
            "phone": order.shopper_phone,
        },
        "destination": {
            "line1": order.line1,
            "line2": order.line2,
            "city": order.city,
            "state": order.state,
            "postal_code": order.postal_code,
            "country": order.country,
        },
        "delivery": {
            "kind": order.delivery_kind,
            "service": order.delivery_service,
            "pickup_location_ref": order.pickup_location_ref,
            **({"reservation_token": order.reservation_token} if order.reservation_token else {}),
        },
        "currency": order.currency,
        "value": order.value_minor,
        "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in quantities.items()],
    }


def _words(error: ValidationError) -> str:
    """A ValidationError as sentences a merchant reads: “Unknown SKU “MUG-9”. Postcode: …”."""
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    parts = []
    for field, messages in error.message_dict.items():
        label = "" if field.startswith("lines[") else FIELD_WORDS.get(field, field)
        for message in messages:
            parts.append(f"{label}: {message}" if label else message)
    return " ".join(parts)
