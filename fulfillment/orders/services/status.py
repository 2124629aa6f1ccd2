"""The order's one state machine: which moves staff may make, which moves a shipment's news
makes, and which shopper messages an order's state still allows.

Every move locks the order row (SELECT … FOR UPDATE) and reads its status afresh, so two
events for the same order at once are applied one after the other and none is lost; every
move is recorded as an OrderEvent (the order page's history). Moves driven by shipments only
go forward (FLOW): news that arrives late or out of order never moves an order back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from fulfillment.couriers.adapters.types import TrackingStatus
from fulfillment.models import Allocation, Order, OrderEvent, Shipment
from merchant.models import User
from merchant.services import stock

Status = Order.Status
S = TrackingStatus

# How far along an order is. Cancelled is outside the flow: nothing moves it on.
FLOW: dict[str, int] = {
    Status.RECEIVED: 0,
    Status.ALLOCATED: 1,
    Status.PICKED: 2,
    Status.PACKED: 3,
    Status.HANDED_OVER: 4,
    Status.AT_PICKUP: 5,
    Status.DELIVERED: 6,
    Status.RETURNED: 7,
}

# Moves staff make by hand (the order page's buttons, Today's bulk moves, the API).
# Allocation happens at intake or through `reroute_order`.
STAFF_MOVES: dict[str, set[str]] = {
    Status.RECEIVED: {Status.CANCELLED},
    Status.ALLOCATED: {Status.PICKED, Status.CANCELLED},
    Status.PICKED: {Status.PACKED, Status.CANCELLED},
    Status.PACKED: {Status.HANDED_OVER, Status.CANCELLED},
    Status.HANDED_OVER: {Status.DELIVERED, Status.RETURNED},
    Status.AT_PICKUP: {Status.DELIVERED, Status.RETURNED},
    Status.DELIVERED: {Status.RETURNED},
    Status.CANCELLED: set(),
    Status.RETURNED: set(),
}

# Moves the parcel's news makes (tracking events, a pickup point's check-in and hand-over):
# from any of these states to the key. An allocated order is picked first (its stock leaves
# the shelf) when a parcel of it turns up: it cannot travel without having been picked.
_SHIPPABLE = set(Order.SHIPPABLE_STATUSES)
SHIPMENT_MOVES: dict[str, set[str]] = {
    Status.HANDED_OVER: _SHIPPABLE,
    Status.AT_PICKUP: _SHIPPABLE | {Status.HANDED_OVER},
    Status.DELIVERED: _SHIPPABLE | {Status.HANDED_OVER, Status.AT_PICKUP},
    Status.RETURNED: _SHIPPABLE | {Status.HANDED_OVER, Status.AT_PICKUP, Status.DELIVERED},
}

# What an outbound parcel's status means for its order (pickup orders: see order_target).
_OUTBOUND_TARGET: dict[TrackingStatus, str] = {
    S.IN_TRANSIT: Status.HANDED_OVER,
    S.EXCEPTION: Status.HANDED_OVER,
    S.OUT_FOR_DELIVERY: Status.HANDED_OVER,
    S.FAILED_ATTEMPT: Status.HANDED_OVER,
    S.AVAILABLE_FOR_PICKUP: Status.AT_PICKUP,
    S.DELIVERED: Status.DELIVERED,
    S.RETURNED: Status.RETURNED,
}

# The order state a shopper message announces, by Notification.Kind value.
_MESSAGE_STAGE: dict[str, TrackingStatus] = {
    "shipped": S.IN_TRANSIT,
    "out_for_delivery": S.OUT_FOR_DELIVERY,
    "failed_attempt": S.FAILED_ATTEMPT,
    "available_for_pickup": S.AVAILABLE_FOR_PICKUP,
    "delivered": S.DELIVERED,
    "nearby": S.OUT_FOR_DELIVERY,  # a live courier's "nearly there": never once delivered
}
# Messages in the order a shopper reads them; one never follows a later one.
MESSAGE_RANK: dict[str, int] = {
    "shipped": 1,
    "out_for_delivery": 2,
    "failed_attempt": 2,
    "nearby": 2,
    "available_for_pickup": 3,
    "delivered": 4,
}


class TransitionNotAllowed(ValidationError):
    pass


class OrderNotReadyToShip(ValidationError):
    """A shipment was asked for an order that is not (or no longer) one to ship."""

    code = "order_not_ready"


def is_pickup(order: Order) -> bool:
    """A pickup order is one with a pickup place: its label, courier booking and the place's
    check-in all go by `pickup_location_ref`, whatever `delivery_kind` says (intake accepts
    kind "home" with a ref)."""
    return bool(order.pickup_location_ref)


def order_target(order: Order, status: TrackingStatus, *, is_return: bool = False) -> str | None:
    """The order state a parcel of `order` in `status` stands for, if any.

    A return parcel's delivery (back at the storage point) makes the order returned. A pickup
    order's parcel "delivered" by the courier is at the locker or shop: only the place's
    hand-over to the shopper delivers the order."""
    if is_return:
        return Status.RETURNED if status is S.DELIVERED else None
    if status is S.DELIVERED and is_pickup(order):
        return Status.AT_PICKUP
    return _OUTBOUND_TARGET.get(status)


def _take_off_shelf(order: Order, user: User | None) -> None:
    """Picking: the reserved units leave their points' shelves."""
    allocations = list(
        Allocation.objects.filter(order=order, state=Allocation.State.RESERVED).select_related(
            "line__product", "point"
        )
    )
    for allocation in allocations:
        stock.pick_stock(
            merchant=order.merchant,
            product=allocation.line.product,
            point=allocation.point,
            quantity=allocation.quantity,
            reference=f"order:{order.pk}",
            user=user,
        )
    Allocation.objects.filter(pk__in=[a.pk for a in allocations]).update(
        state=Allocation.State.PICKED
    )


def _move(order: Order, to_status: str, *, user: User | None, note: str) -> None:
    """Set the locked order's status and record the step in its history."""
    if to_status == Status.PICKED:
        _take_off_shelf(order, user)
    previous = order.status
    order.status = to_status
    order.save(update_fields=["status", "updated_at"])
    OrderEvent.objects.create(
        merchant_id=order.merchant_id,
        order=order,
        from_status=previous,
        to_status=to_status,
        by=user,
        note=(note or "")[:255],
    )


def check_staff_move(order: Order, to_status: str) -> None:
    if to_status not in STAFF_MOVES.get(order.status, set()):
        allowed = ", ".join(sorted(STAFF_MOVES.get(order.status, ()))) or "none"
        raise TransitionNotAllowed(
            {
                "status": f"An order that is {order.get_status_display().lower()} cannot "
                f"become {to_status}; allowed: {allowed}."
            },
            code="transition_not_allowed",
        )


def move_by_staff(order: Order, to_status: str, *, user: User | None, note: str = "") -> None:
    """One staff move of an order the caller holds locked (see orders.advance_order)."""
    check_staff_move(order, to_status)
    _move(order, to_status, user=user, note=note)


def prepare_for_shipment(*, order: Order, user: User | None = None) -> Order:
    """Booking a parcel needs a picked order: an allocated one is picked in the same step (the
    order page offers shipping right after allocation); any other state is refused. The
    caller's transaction holds the lock until the shipment row exists."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status == Status.ALLOCATED:
            _move(locked, Status.PICKED, user=user, note="Picked to ship")
        elif locked.status not in (Status.PICKED, Status.PACKED):
            raise OrderNotReadyToShip(
                {
                    "order_id": f"An order that is {locked.get_status_display().lower()} "
                    "cannot ship: only allocated, picked or packed orders can."
                },
                code=OrderNotReadyToShip.code,
            )
    order.status = locked.status
    return locked


def follow_parcel(*, order_id: int, to_status: str, note: str) -> Order:
    """Move the order forward to `to_status` because of its parcel's news; nothing when the
    order is already there or further (late, repeated or out-of-order news) or cancelled.
    Returns the order as it now is (locked until the caller's transaction ends)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status in SHIPMENT_MOVES.get(to_status, set()):
            if order.status == Status.ALLOCATED:
                _move(order, Status.PICKED, user=None, note=f"Picked: {note}")
            _move(order, to_status, user=None, note=note)
    return order


def back_to_hub(*, order_id: int, note: str) -> Order:
    """An own driver brought the parcel back after a failed delivery: a handed-over order is
    packed again, ready at its hub to be planned or shipped anew (nothing for any other state).
    Returns the order locked until the caller's transaction ends."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status == Status.HANDED_OVER:
            _move(order, Status.PACKED, user=None, note=note)
    return order


def message_allowed(
    *,
    order: Order,
    kind: str,
    sent_kinds: set[str] = frozenset(),
    parcel_status: str | None = None,
) -> bool:
    """Whether a shopper message of `kind` about one parcel may still go out: never after a
    later message went out for that parcel, nor once the parcel itself has moved past what the
    message says (`parcel_status`: no "we missed you" once it is delivered), and for a pickup
    order never for a state earlier than the order's (no "on its way" once the locker has the
    parcel: the locker's news moves the order, not the parcel). A home order's parcels are
    judged each on its own: one parcel of a split order delivered says nothing of the other."""
    stage = _MESSAGE_STAGE.get(kind)
    if stage is None:
        return True
    if order.status == Status.CANCELLED:
        return False
    if is_pickup(order) and stage in (S.DELIVERED, S.AVAILABLE_FOR_PICKUP):
        # The place tells the shopper itself ("ready: your code", then "collected"); the
        # courier's "delivered" only means the parcel reached the place.
        return False
    target = order_target(order, stage)
    if target is not None:
        reached = [order.status] if is_pickup(order) else []
        if parcel_status:
            reached.append(order_target(order, S(parcel_status)) or "")
        if any(FLOW.get(status, 0) > FLOW[target] for status in reached):
            return False
    rank = MESSAGE_RANK.get(kind, 0)
    return all(MESSAGE_RANK.get(sent, 0) <= rank for sent in sent_kinds)


def follow_shipments(shipments: Iterable) -> dict[int, str]:
    """Move the orders of `shipments` on to what each shipment's (folded) status stands for,
    in a fixed number of queries whatever the batch (tracking ingest): the orders are locked
    in id order, each moves forward only, and each move is one OrderEvent. A cancelled
    shipment speaks for its order no more (a reship does). Returns the statuses of the orders
    looked at, as they now are (locked until the caller's transaction ends)."""
    shipments = list(shipments)
    wanted: dict[int, tuple[str, str]] = {}
    for shipment in shipments:
        if shipment.cancelled_at is not None:
            continue
        status = TrackingStatus(shipment.status)
        target = order_target(shipment.order, status, is_return=shipment.is_return)
        if target is None:
            continue
        kind = "return parcel" if shipment.is_return else "parcel"
        number = shipment.tracking_number or shipment.pk
        note = f"Courier: {kind} {number} {status.value.replace('_', ' ')}"
        if shipment.order_id not in wanted or FLOW[target] > FLOW[wanted[shipment.order_id][0]]:
            wanted[shipment.order_id] = (target, note)
    if not wanted:
        return {}
    _wait_for_every_parcel(wanted, batch=shipments)
    orders = list(Order.objects.select_for_update().filter(pk__in=wanted).order_by("pk"))
    now = timezone.now()
    events: list[OrderEvent] = []
    moved: dict[str, list[int]] = defaultdict(list)
    for order in orders:
        target, note = wanted[order.pk]
        if order.status not in SHIPMENT_MOVES[target]:
            continue
        steps = [(target, note)]
        if order.status == Status.ALLOCATED:  # booked before booking needed a picked order
            _take_off_shelf(order, None)
            steps.insert(0, (Status.PICKED, f"Picked: {note}"))
        for to_status, text in steps:
            events.append(
                OrderEvent(
                    merchant_id=order.merchant_id,
                    order=order,
                    from_status=order.status,
                    to_status=to_status,
                    at=now,
                    note=text[:255],
                )
            )
            order.status = to_status
        moved[target].append(order.pk)
    for target, ids in moved.items():
        Order.objects.filter(pk__in=ids).update(status=target, updated_at=now)
    OrderEvent.objects.bulk_create(events)
    return {order.pk: order.status for order in orders}


# The parcel's news that would end the order's journey: with several parcels, the last says so.
_JOURNEY_ENDS = {Status.DELIVERED, Status.AT_PICKUP}


def _wait_for_every_parcel(wanted: dict[int, tuple[str, str]], *, batch: list) -> None:
    """A split order (several outbound parcels) is delivered, or at the pickup place, with its
    last parcel: until then the first one's news only ships it (handed over). One query for
    the whole batch; the batch's own shipments count with the status they have now."""
    ending = [order_id for order_id, (target, _) in wanted.items() if target in _JOURNEY_ENDS]
    if not ending:
        return
    current = {s.pk: s.status for s in batch}
    orders = {s.order_id: s.order for s in batch}
    parcels: dict[int, list[str]] = defaultdict(list)
    rows = Shipment.objects.filter(
        order_id__in=ending, is_return=False, cancelled_at__isnull=True
    ).values_list("pk", "order_id", "status")
    for pk, order_id, status in rows:
        reached = order_target(orders[order_id], TrackingStatus(current.get(pk, status)))
        parcels[order_id].append(reached or "")
    for order_id in ending:
        target, note = wanted[order_id]
        behind = sum(FLOW.get(reached, 0) < FLOW[target] for reached in parcels[order_id])
        if behind:
            total = len(parcels[order_id])
            wanted[order_id] = (
                Status.HANDED_OVER,
                f"{note} ({total - behind} of {total} parcels; the order follows the last)",
            )
