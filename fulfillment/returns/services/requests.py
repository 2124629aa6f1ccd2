"""Return requests: a shopper asks (items, quantities, reason, method), the merchant approves
(or the settings do) and the shopper gets a return label or a drop-off code; the parcel's arrival
(the return shipment delivered, or staff receiving it at the point) makes the order returned and
puts the units back on the point's shelf, exactly once.

Locks, always in this order: the order row (creating), the request row, the order row, then the
stock rows (stock.return_stock, in product order), as picking does (order, then stock)."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.utils import timezone

from fulfillment.labels.services.labels import sending_point
from fulfillment.models import Order, OrderEvent, OrderLine
from fulfillment.models.returns import ReturnRequest, ReturnRequestLine
from fulfillment.orders.services import status as order_status
from fulfillment.returns import hooks
from fulfillment.returns.services.settings import get_return_settings
from fulfillment.shipments.services.returns import create_return_shipment
from merchant.limits import INT32_MAX
from merchant.models import Merchant, User
from merchant.services import stock

logger = logging.getLogger(__name__)

State = ReturnRequest.State
Method = ReturnRequest.Method
RETURNABLE_STATUSES = (Order.Status.HANDED_OVER, Order.Status.AT_PICKUP, Order.Status.DELIVERED)
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud at a counter


class ReturnNotAllowed(ValidationError):
    """The request cannot be made or moved (window over, wrong state, nothing to return)."""


@dataclass(frozen=True)
class ReturnableLine:
    line: OrderLine
    shipped: int
    returnable: int


def window_start(order: Order) -> dt.datetime:
    """The window runs from delivery when we know it, else from the order."""
    delivered = OrderEvent.objects.filter(
        order=order, to_status__in=[Order.Status.DELIVERED, Order.Status.AT_PICKUP]
    ).aggregate(at=Max("at"))["at"]
    return delivered or order.created_at


def returnable_lines(order: Order) -> list[ReturnableLine]:
    """Each line with what may still be asked back: shipped minus asked in requests that were
    not rejected."""
    asked = dict(
        ReturnRequestLine.objects.filter(request__order=order)
        .exclude(request__state=State.REJECTED)
        .values_list("line_id")
        .annotate(total=Sum("quantity"))
    )
    lines = OrderLine.objects.filter(order=order, merchant_id=order.merchant_id)
    return [
        ReturnableLine(line, line.quantity, max(0, line.quantity - asked.get(line.pk, 0)))
        for line in lines.select_related("product")
    ]


def why_not_returnable(order: Order, *, now: dt.datetime | None = None) -> str | None:
    """What stops a new request for `order`, in words for the shopper; None when nothing."""
    if order.status == Order.Status.RETURNED:
        return "This order has already been returned."
    if order.status not in RETURNABLE_STATUSES:
        return "This order has not been sent yet, so there is nothing to return."
    prefs = get_return_settings(order.merchant)
    now = now or timezone.now()
    if now > window_start(order) + dt.timedelta(days=prefs.window_days):
        return f"The {prefs.window_days}-day return window for this order has closed."
    if ReturnRequest.objects.filter(order=order, state__in=ReturnRequest.OPEN_STATES).exists():
        return "A return for this order is already under way."
    if not any(r.returnable for r in returnable_lines(order)):
        return "Every item of this order has already been returned."
    return None


def _quantity(value: object, field: str) -> int:
    if isinstance(value, bool):
        raise ValidationError({field: "Give a whole number."})
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise ValidationError({field: "Give a whole number."}) from None
    if not 0 <= number <= INT32_MAX:
        raise ValidationError({field: "Give a whole number from 0 to what was sent."})
    return number


def create_return_request(
    *,
    merchant: Merchant,
    order: Order,
    quantities: Mapping[object, object],
    reason: str,
    method: str,
    comment: str = "",
) -> ReturnRequest:
    """Ask to return `quantities` ({order line id: units}) of `order`. Approved at once when the
    merchant's settings say so (the label booked, or the drop-off code issued)."""
    if order.merchant_id != merchant.pk:
        raise ValidationError({"order_id": "That order is not yours."})
    prefs = get_return_settings(merchant)
    reason = " ".join(str(reason).split())
    if reason not in prefs.reasons:
        raise ValidationError({"reason": "Choose one of the reasons listed."})
    if method not in prefs.methods:
        raise ValidationError({"method": "Choose one of the ways to send the items back."})
    comment = " ".join(str(comment).split())
    if len(comment) > 500:
        raise ValidationError({"comment": "At most 500 characters."})
    wanted: dict[int, int] = {}
    for key, value in quantities.items():
        line_id = _quantity(key, "lines")
        units = _quantity(value, f"lines[{key}]")
        if units:
            wanted[line_id] = wanted.get(line_id, 0) + units
    if not wanted:
        raise ValidationError({"lines": "Choose at least one item to return."})
    with transaction.atomic():
        # The order's row lock makes two requests for one order take turns.
        locked = Order.objects.select_for_update().get(pk=order.pk, merchant=merchant)
        problem = why_not_returnable(locked)
        if problem:
            raise ReturnNotAllowed({"order_id": problem}, code="not_returnable")
        available = {r.line.pk: r for r in returnable_lines(locked)}
        for line_id, units in wanted.items():
            if line_id not in available:
                raise ValidationError({"lines": f"Item {line_id} is not part of this order."})
            if units > available[line_id].returnable:
                item = available[line_id]
                raise ValidationError(
                    {
                        f"lines[{line_id}]": f"At most {item.returnable} of "
                        f"{item.line.product.name or item.line.product.sku} can be returned."
                    }
                )
        point = sending_point(locked)
        if point is None:
            raise ReturnNotAllowed(
                {"order_id": "This order has no storage point to return to."},
                code="not_returnable",
            )
        request = ReturnRequest.objects.create(
            merchant=merchant,
            order=locked,
            method=method,
            reason=reason,
            comment=comment,
            point=point,
        )
        ReturnRequestLine.objects.bulk_create(
            ReturnRequestLine(
                merchant=merchant,
                request=request,
                line_id=line_id,
                quantity=units,
                shipped_quantity=available[line_id].shipped,
            )
            for line_id, units in sorted(wanted.items())
        )
    if prefs.auto_approve:
        try:
            request = approve_return(
                merchant=merchant, request=request, note="Approved by the shop's settings"
            )
        except ValidationError as error:  # the label could not be booked: staff approve later
            logger.warning("return %s not approved at once: %s", request.pk, error.messages)
    return request


def _wrong_state(request: ReturnRequest, what: str) -> ReturnNotAllowed:
    state = request.get_state_display().lower()
    return ReturnNotAllowed(
        {"state": f"A return that is {state} cannot be {what}"}, code="wrong_state"
    )


def _locked(merchant: Merchant, request: ReturnRequest) -> ReturnRequest:
    return ReturnRequest.objects.select_for_update().get(pk=request.pk, merchant=merchant)


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def approve_return(
    *, merchant: Merchant, request: ReturnRequest, user: User | None = None, note: str = ""
) -> ReturnRequest:
    """Agree to the return: book its label (the order's return shipment) or issue a drop-off
    code. Approving an approved request changes nothing."""
    note = " ".join(str(note).split())[:500]
    current = ReturnRequest.objects.get(pk=request.pk, merchant=merchant)
    if current.state == State.APPROVED:
        return current
    if current.state != State.REQUESTED:
        raise _wrong_state(current, "approved.")
    shipment = None
    if current.method == Method.LABEL:
        # Outside the lock: the courier call may take seconds. Its idempotency key makes a
        # retry (or a concurrent approval) get the same parcel back.
        shipment = create_return_shipment(
            merchant=merchant, order=current.order, key_suffix=_shipment_suffix(current)
        )
    for _attempt in range(5):
        try:
            with transaction.atomic():
                locked = _locked(merchant, current)
                if locked.state != State.REQUESTED:
                    return locked
                locked.state = State.APPROVED
                locked.decided_at = timezone.now()
                locked.decided_by = user
                locked.note = note or locked.note
                locked.shipment = shipment
                if locked.method == Method.DROPOFF:
                    locked.dropoff_code = _new_code()
                    place = hooks.reserve_dropoff(order=locked.order)
                    if place is not None:
                        locked.dropoff_place = place.place[:300]
                        locked.dropoff_reference = place.reference[:64]
                locked.save()
                return locked
        except IntegrityError:  # the same drop-off code drawn twice: draw again (the
            continue  # savepoint's rollback also undid a compartment hold)
    raise ValidationError({"dropoff_code": "Could not issue a drop-off code; try again."})


def _shipment_suffix(request: ReturnRequest) -> str:
    """The order's first return parcel keeps the order's return key (the order page's "return
    label" finds it); a later return of the same order gets its own parcel."""
    earlier = (
        ReturnRequest.objects.filter(order_id=request.order_id, shipment__isnull=False)
        .exclude(pk=request.pk)
        .exists()
    )
    return f"-{request.pk}" if earlier else ""


def reject_return(
    *, merchant: Merchant, request: ReturnRequest, user: User | None = None, note: str = ""
) -> ReturnRequest:
    note = " ".join(str(note).split())[:500]
    with transaction.atomic():
        locked = _locked(merchant, request)
        if locked.state == State.REJECTED:
            return locked
        if locked.state != State.REQUESTED:
            raise _wrong_state(locked, "rejected.")
        locked.state = State.REJECTED
        locked.decided_at = timezone.now()
        locked.decided_by = user
        locked.note = note
        locked.save()
    return locked


def receive_return(
    *, merchant: Merchant, request: ReturnRequest, user: User | None = None, how: str = ""
) -> ReturnRequest:
    """The parcel is back at its point: the order becomes returned and the returned units go
    back on that point's shelf. Exactly once: a second receive (the courier's event and a scan,
    or two scans at once) waits for the first's lock and then changes nothing."""
    with transaction.atomic():
        locked = _locked(merchant, request)
        if locked.state == State.RECEIVED:
            return locked
        if locked.state != State.APPROVED:
            raise _wrong_state(locked, "received; approve it first.")
        order_status.follow_parcel(
            order_id=locked.order_id,
            to_status=Order.Status.RETURNED,
            note=(f"Return {locked.pk} received{f' ({how})' if how else ''}")[:255],
        )
        lines = sorted(
            locked.lines.select_related("line__product", "request__point"),
            key=lambda rl: rl.line.product_id,
        )
        for return_line in lines:
            stock.return_stock(
                merchant=merchant,
                product=return_line.line.product,
                point=locked.point,
                quantity=return_line.quantity,
                reference=f"return:{locked.pk}",
                user=user,
            )
        locked.state = State.RECEIVED
        locked.received_at = timezone.now()
        locked.save(update_fields=["state", "received_at"])
        hooks.release_dropoff(merchant_id=locked.merchant_id, reference=locked.dropoff_reference)
    logger.info("return %s of order %s received (%s)", locked.pk, locked.order_id, how or "staff")
    return locked


def receive_by_code(*, merchant: Merchant, code: str, user: User | None = None) -> ReturnRequest:
    """A shopper dropped the parcel off at the shop with its code: staff type or scan it."""
    code = "".join(str(code).split()).upper()[:12]
    request = (
        ReturnRequest.objects.filter(merchant=merchant, dropoff_code=code).first()
        if code and "\x00" not in code
        else None
    )
    if request is None:
        raise ValidationError({"code": "No return has that drop-off code."})
    return receive_return(merchant=merchant, request=request, user=user, how="drop-off code")


def receive_shipment_return(*, shipment_id: int) -> ReturnRequest | None:
    """The return shipment was delivered (tracking): receive its approved request, if any."""
    request = (
        ReturnRequest.objects.filter(shipment_id=shipment_id, state=State.APPROVED)
        .select_related("merchant")
        .first()
    )
    if request is None:
        return None
    return receive_return(merchant=request.merchant, request=request, how="return parcel delivered")
