"""Order intake and life cycle: every entry point (API, CSV import, manual entry, checkout)
creates orders through `create_order` and moves them through `advance_order`.

Intake validates the whole order first (each error names its field, like `lines[2].sku`),
checks the address, routes and reserves stock, and writes the order, its lines, allocations and
first events in one transaction. An `idempotency_key` makes a retried request return the first
order: the unique constraint on (merchant, idempotency_key) decides between concurrent ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import zoneinfo
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fulfillment.hooks import confirm_pickup_reservation
from fulfillment.models import Allocation, Order, OrderEvent, OrderLine
from fulfillment.orders.services import status as order_status
from fulfillment.orders.services.addresses import resolve_destination
from fulfillment.orders.services.routing import RoutingPlan, Unroutable, plan_route, reserve_route
from fulfillment.orders.services.status import TransitionNotAllowed
from fulfillment.orders.signals import order_created, order_routed
from merchant.limits import INT32_MAX, INT64_MAX, moment_problem, text_problem
from merchant.models import DemandRecord, Merchant, Product, User
from merchant.rawsql import insert_many
from merchant.selectors.inventory import products_by_sku
from merchant.services import stock
from merchant.services.demand import Demand, demand_records
from merchant.services.geocoding import GeocoderUnavailable

logger = logging.getLogger(__name__)
Status = Order.Status
MAX_LINES = 200
MAX_IDEMPOTENCY_KEY = 255

# Allowed moves of `advance_order`: the order state machine's staff moves.
TRANSITIONS = order_status.STAFF_MOVES


class IdempotencyConflict(Exception):
    """The idempotency key was used before with a different request body."""

    code = "idempotency_conflict"

    def __init__(self, order: Order) -> None:
        self.order = order
        super().__init__(
            f"Idempotency-Key was already used for order {order.pk} with a different body; "
            "use a new key for a new order."
        )


class DuplicateReference(Exception):
    code = "duplicate_reference"

    def __init__(self, reference: str) -> None:
        self.reference = reference
        super().__init__(f"An order with reference “{reference}” already exists.")


def request_digest(data: Mapping[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def create_order(
    *,
    merchant: Merchant,
    data: Mapping[str, Any],
    idempotency_key: str | None = None,
    source: str = Order.Source.API,
    user: User | None = None,
) -> tuple[Order, bool]:
    """Make an order from `data` (the API's JSON shape) and return (order, created).

    Raises ValidationError (field named), IdempotencyConflict, DuplicateReference, Unroutable
    (no point can fill it: nothing is written) or GeocoderUnavailable (retry later). A new
    order comes with its lines, allocations and events prefetched.
    """
    key = (idempotency_key or "").strip()
    if len(key) > MAX_IDEMPOTENCY_KEY:
        raise ValidationError({"Idempotency-Key": f"Use at most {MAX_IDEMPOTENCY_KEY} characters."})
    digest = request_digest(data) if key else ""
    try:
        clean = _clean(merchant, data)
        with transaction.atomic():
            return _write_order(merchant, clean, key, digest, source, user), True
    except (ValidationError, Unroutable, IntegrityError, GeocoderUnavailable) as error:
        # The key is looked up only when something fails (a replay fails on the unique key, or
        # earlier if the stock or the catalogue changed since), which spares every new order a
        # query. PostgreSQL may name the reference's unique index rather than the key's.
        if key:
            replay = _replay(merchant, key, digest)
            if replay is not None:
                return replay, False
        constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", "")
        if constraint == "order_reference_unique":
            raise DuplicateReference(clean["reference"]) from error
        raise


def _replay(merchant: Merchant, key: str, digest: str) -> Order | None:
    order = Order.objects.for_merchant(merchant).filter(idempotency_key=key).first()
    if order is not None and order.request_digest != digest:
        raise IdempotencyConflict(order)
    return order


# --- validation ---------------------------------------------------------------------------


def _text(data: Mapping, name: str, path: str, errors: dict, *, limit: int, required=False) -> str:
    value = data.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[path] = "Enter text."
        return ""
    value = value.strip()
    if required and not value:
        errors[path] = "This field is required."
    elif problem := text_problem(value):
        errors[path] = problem
    elif len(value) > limit:
        errors[path] = f"Use at most {limit} characters."
    return value


def _section(data: Mapping, name: str, errors: dict) -> Mapping:
    value = data.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        errors[name] = "Send an object."
        return {}
    return value


def _choice(value: Any, choices, default: str, path: str, errors: dict) -> str:
    if value in (None, ""):
        return default
    if value not in choices.values:
        errors[path] = f"Choose one of: {', '.join(choices.values)}."
        return default
    return value


def _when(value: Any, path: str, errors: dict, tz: zoneinfo.ZoneInfo) -> dt.datetime | None:
    if value in (None, ""):
        return None
    moment = value if isinstance(value, dt.datetime) else None
    if moment is None and isinstance(value, str):
        try:
            moment = parse_datetime(value.strip())
        except ValueError:
            moment = None
    if moment is None:
        errors[path] = "Enter a date and time like 2025-06-01T14:00:00-05:00."
        return None
    if problem := moment_problem(moment):  # storable, and readable in every time zone
        errors[path] = problem
        return None
    if timezone.is_naive(moment):  # read as the merchant's local time
        moment = timezone.make_aware(moment, tz)
    return moment


def _coordinate(value: Any, path: str, limit: float, errors: dict) -> float | None:
    if value is None:
        return None
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or not -limit <= value <= limit:
        errors[path] = f"Enter a number between -{limit:g} and {limit:g}."
        return None
    return float(value)


def _clean(merchant: Merchant, data: Mapping[str, Any]) -> dict:
    if not isinstance(data, Mapping):
        raise ValidationError({"body": "Send the order as a JSON object."})
    errors: dict[str, str] = {}
    shopper = _section(data, "shopper", errors)
    destination = _section(data, "destination", errors)
    delivery = _section(data, "delivery", errors)
    clean: dict[str, Any] = {
        "reference": _text(data, "reference", "reference", errors, limit=80),
        "shopper_name": _text(shopper, "name", "shopper.name", errors, limit=150, required=True),
        "shopper_email": _text(shopper, "email", "shopper.email", errors, limit=254),
        "shopper_phone": _text(shopper, "phone", "shopper.phone", errors, limit=32),
        "language": _text(shopper, "language", "shopper.language", errors, limit=8),
        "delivery_service": _text(delivery, "service", "delivery.service", errors, limit=64),
        "pickup_location_ref": _text(
            delivery, "pickup_location_ref", "delivery.pickup_location_ref", errors, limit=64
        ),
        "reservation_token": _text(
            delivery, "reservation_token", "delivery.reservation_token", errors, limit=64
        ),
        "delivery_kind": _choice(
            delivery.get("kind"), Order.DeliveryKind, "home", "delivery.kind", errors
        ),
        "service_level": _choice(
            delivery.get("service_level"),
            Order.ServiceLevel,
            "next_day",
            "delivery.service_level",
            errors,
        ),
    }
    if clean["shopper_email"] and "shopper.email" not in errors:
        try:
            validate_email(clean["shopper_email"])
        except ValidationError:
            errors["shopper.email"] = "Enter a valid email address."
    if clean["delivery_kind"] != "home" and not clean["pickup_location_ref"]:
        errors["delivery.pickup_location_ref"] = "Say which locker or pickup shop was chosen."
    if clean["reservation_token"] and clean["delivery_kind"] != Order.DeliveryKind.LOCKER:
        errors["delivery.reservation_token"] = "Only a locker delivery carries a reservation."

    address = {
        name: _text(destination, name, f"destination.{name}", errors, limit=limit)
        for name, limit in (("line1", 200), ("line2", 200), ("city", 100), ("state", 40))
    }
    address["postal_code"] = _text(
        destination, "postal_code", "destination.postal_code", errors, limit=12, required=True
    )
    address["country"] = (
        _text(destination, "country", "destination.country", errors, limit=2) or "US"
    ).upper()
    latitude = _coordinate(destination.get("latitude"), "destination.latitude", 90, errors)
    longitude = _coordinate(destination.get("longitude"), "destination.longitude", 180, errors)
    if (latitude is None) != (longitude is None) and "destination.latitude" not in errors:
        errors["destination.latitude"] = "Send both latitude and longitude, or neither."

    tz = zoneinfo.ZoneInfo(merchant.time_zone)
    clean["promised_from"] = _when(data.get("promised_from"), "promised_from", errors, tz)
    clean["promised_until"] = _when(data.get("promised_until"), "promised_until", errors, tz)
    if (
        clean["promised_from"]
        and clean["promised_until"]
        and clean["promised_from"] > clean["promised_until"]
    ):
        errors["promised_until"] = "The promised window ends before it starts."

    currency = data.get("currency") or merchant.currency
    if not isinstance(currency, str) or len(currency.strip()) != 3 or not currency.isalpha():
        errors["currency"] = "Enter a three-letter ISO currency code, like USD."
        currency = merchant.currency
    clean["currency"] = currency.strip().upper()
    value = data.get("value")
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= INT64_MAX
    ):
        errors["value"] = "Enter the order value in minor units (cents), a whole number ≥ 0."
        value = None

    lines = _clean_lines(merchant, data.get("lines"), errors)
    if errors:
        raise ValidationError(errors)
    if value is None:
        value = sum(product.value * quantity for product, quantity in lines)
    clean.update(lines=lines, value=value)

    destination = resolve_destination(
        **address,
        latitude=latitude,
        longitude=longitude,
        service_level=clean["service_level"],
        delivery_kind=clean["delivery_kind"],
        shopper_phone=clean["shopper_phone"],
    )
    clean["destination"] = destination
    return clean


def _clean_lines(merchant: Merchant, raw: Any, errors: dict) -> list[tuple[Product, int]]:
    if not isinstance(raw, list) or not raw:
        errors["lines"] = 'Send at least one line: [{"sku": …, "quantity": …}].'
        return []
    if len(raw) > MAX_LINES:
        errors["lines"] = f"Send at most {MAX_LINES} lines per order."
        return []
    wanted: list[tuple[int, str, Any]] = []
    for n, line in enumerate(raw):
        if not isinstance(line, Mapping):
            errors[f"lines[{n}]"] = "Send each line as an object with sku and quantity."
            continue
        sku = line.get("sku")
        if not isinstance(sku, str) or not sku.strip():
            errors[f"lines[{n}].sku"] = "Enter the SKU."
        quantity = line.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            errors[f"lines[{n}].quantity"] = "Enter a whole number of units."
        elif quantity <= 0:
            errors[f"lines[{n}].quantity"] = "Enter a quantity of at least 1."
        elif quantity > INT32_MAX:
            errors[f"lines[{n}].quantity"] = f"Enter a quantity of at most {INT32_MAX}."
        if isinstance(sku, str) and sku.strip():
            wanted.append((n, sku.strip(), quantity))
    products = products_by_sku(merchant, (sku for _, sku, _ in wanted))
    lines = []
    for n, sku, quantity in wanted:
        product = products.get(sku)
        if product is None:
            errors[f"lines[{n}].sku"] = f"Unknown SKU “{sku}”."
        elif not product.is_active:
            errors[f"lines[{n}].sku"] = f"{sku} is no longer sold (inactive)."
        else:
            lines.append((product, quantity))
    return lines


# --- writing ------------------------------------------------------------------------------


def _write_order(
    merchant: Merchant, clean: dict, key: str, digest: str, source: str, user: User | None
) -> Order:
    destination = clean["destination"]
    # Milliseconds, as the API shows it: a client can pass a created_at back as created_after.
    now = timezone.now()
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)
    needs: dict[int, int] = {}
    for product, quantity in clean["lines"]:
        needs[product.pk] = needs.get(product.pk, 0) + quantity
    # Planned before anything is written, so an order no point can fill writes nothing.
    plan = plan_route(
        merchant=merchant,
        needs=needs,
        products={p.pk: p for p, _ in clean["lines"]},
        destination=destination.location,
        service_level=clean["service_level"],
        now=now,
    )
    order = Order(
        merchant=merchant,
        reference=clean["reference"],
        source=source,
        shopper_name=clean["shopper_name"],
        shopper_email=clean["shopper_email"],
        shopper_phone=clean["shopper_phone"],
        language=clean["language"],
        **destination.as_order_fields(),
        delivery_kind=clean["delivery_kind"],
        delivery_service=clean["delivery_service"],
        pickup_location_ref=clean["pickup_location_ref"],
        service_level=clean["service_level"],
        promised_from=clean["promised_from"],
        promised_until=clean["promised_until"],
        value=clean["value"],
        currency=clean["currency"],
        status=Status.ALLOCATED,
        address_status=(
            Order.AddressStatus.PROBLEM if destination.problems else Order.AddressStatus.OK
        ),
        address_problems=destination.problems,
        routing=plan.as_json(),
        idempotency_key=key,
        request_digest=digest,
        created_at=now,
    )
    # Intake runs for every order of a shop: its rows go in three statements (order; lines
    # and demand; allocations and events) around the reservation, not one per table.
    insert_many([order])
    if clean["reservation_token"]:
        # Inside the order's transaction: an expired or taken hold refuses the whole order.
        confirm_pickup_reservation(reservation_token=clean["reservation_token"], order=order)
    lines = [
        OrderLine(merchant=merchant, order=order, product=p, quantity=q, unit_value=p.value)
        for p, q in clean["lines"]
    ]
    insert_many(lines, _demand(merchant, order, lines, destination, now))
    allocations = _allocations(merchant, order, lines, user, plan=plan, now=now)
    events = [
        OrderEvent(merchant=merchant, order=order, to_status=Status.RECEIVED, at=now, by=_by(user)),
        OrderEvent(
            merchant=merchant,
            order=order,
            from_status=Status.RECEIVED,
            to_status=Status.ALLOCATED,
            at=now,
            by=_by(user),
            note=order.routing.get("rule", "")[:255],
        ),
    ]
    insert_many(allocations, events)
    _remember(order, lines=lines, allocations=allocations, events=events)
    transaction.on_commit(lambda: _announce_intake(order.pk, merchant.pk))
    return order


def _announce_intake(order_id: int, merchant_id: int) -> None:
    order_created.send(sender=Order, order_id=order_id, merchant_id=merchant_id)
    order_routed.send(sender=Order, order_id=order_id, merchant_id=merchant_id, routing="intake")


def _allocations(
    merchant: Merchant,
    order: Order,
    lines: list[OrderLine],
    user: User | None,
    *,
    plan: RoutingPlan | None = None,
    now: dt.datetime | None = None,
) -> list[Allocation]:
    """Reserve stock for `lines` and return their allocations, not yet saved."""
    needs: dict[int, int] = {}
    products = {}
    for line in lines:
        needs[line.product_id] = needs.get(line.product_id, 0) + line.quantity
        products[line.product_id] = line.product
    reserved = reserve_route(
        merchant=merchant,
        needs=needs,
        products=products,
        destination=order.location,
        service_level=order.service_level,
        reference=f"order:{order.pk}",
        user=_by(user),
        plan=plan,
        now=now,
    )
    if reserved is not plan:  # first intake plan lost a race, or a re-route
        plan = reserved
        order.routing = plan.as_json()
        Order.objects.filter(pk=order.pk).update(routing=order.routing)
    # Each product's planned quantity is spread over its lines in line order.
    planned = {}
    for item in plan.allocations:
        planned.setdefault(item.product.pk, []).append([item, item.quantity])
    allocations = []
    for line in lines:
        wanted = line.quantity
        for entry in planned[line.product_id]:
            item, left = entry
            take = min(wanted, left)
            if take == 0:
                continue
            entry[1] -= take
            wanted -= take
            allocations.append(
                Allocation(
                    merchant=merchant,
                    order=order,
                    line=line,
                    point=item.point,
                    quantity=take,
                    distance_m=item.distance_m,
                    rank=item.rank,
                    why=item.why[:255],
                )
            )
            if wanted == 0:
                break
    return allocations


def _demand(merchant, order, lines, destination, now) -> list[DemandRecord]:
    """Unsaved demand records of the lines. Demand history feeds forecasts; it must not refuse
    a sale (for instance a non-US postal code it cannot read): bad lines are logged and left
    out."""
    ordered_on = timezone.localdate(now, zoneinfo.ZoneInfo(merchant.time_zone))
    postal_code = destination.normalized_postal_code or destination.postal_code
    reference = f"order:{order.pk}"
    return demand_records(
        merchant=merchant,
        demands=[
            Demand(
                ordered_on=ordered_on,
                postal_code=postal_code,
                units=line.quantity,
                product=line.product,
                reference=reference,
                source="order",
                latitude=destination.latitude,
                longitude=destination.longitude,
            )
            for line in lines
        ],
        skip_invalid=True,
    )


def _by(user: User | None) -> User | None:
    return user if user is not None and user.is_authenticated else None


def _remember(order: Order, *, lines, allocations, events) -> None:
    """Fill the related-object caches as prefetch_related would, so that showing the new order
    costs no further queries (refresh_from_db() drops them)."""
    by_line: dict[int, list[Allocation]] = {}
    for allocation in allocations:
        by_line.setdefault(allocation.line_id, []).append(allocation)
    for line in lines:
        _prefetched(line, "allocations", by_line.get(line.pk, []))
    _prefetched(order, "lines", lines)
    _prefetched(order, "allocations", allocations)
    _prefetched(order, "events", events)


def _prefetched(instance, name: str, objects: list) -> None:
    queryset = getattr(instance, name).all()
    queryset._result_cache, queryset._prefetch_done = list(objects), True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset


# --- life cycle ---------------------------------------------------------------------------


def advance_order(*, order: Order, to_status: str, user: User | None, note: str = "") -> Order:
    """Move an order one allowed staff step (order_status.STAFF_MOVES); picking takes the
    reserved units off the shelf, cancelling gives reserved units back (and puts picked ones
    back on the shelf)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        order_status.check_staff_move(order, to_status)
        if to_status == Status.CANCELLED:
            allocations = list(
                Allocation.objects.filter(order=order)
                .exclude(state=Allocation.State.RELEASED)
                .select_related("line__product", "point")
            )
            _give_back(order, allocations, user)
        order_status.move_by_staff(order, to_status, user=_by(user), note=note)
    return order


def cancel_order(*, order: Order, user: User | None, note: str = "") -> Order:
    return advance_order(order=order, to_status=Status.CANCELLED, user=user, note=note)


def _give_back(order: Order, allocations: list[Allocation], user: User | None) -> None:
    reference = f"order:{order.pk}"
    for allocation in allocations:
        if allocation.state == Allocation.State.RESERVED:
            stock.release_stock(
                merchant=order.merchant,
                product=allocation.line.product,
                point=allocation.point,
                quantity=allocation.quantity,
                reference=reference,
                user=_by(user),
            )
        else:  # picked: back on the shelf it came from
            stock.return_stock(
                merchant=order.merchant,
                product=allocation.line.product,
                point=allocation.point,
                quantity=allocation.quantity,
                reference=reference,
                user=_by(user),
            )
    Allocation.objects.filter(pk__in=[a.pk for a in allocations]).update(
        state=Allocation.State.RELEASED
    )


def reroute_order(*, order: Order, point=None, user: User | None) -> Order:
    """Staff override: release the order's reservations and allocate again, to `point` (which
    must hold every line) or by the routing rule. Raises Unroutable; nothing changes then."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status not in (Status.RECEIVED, Status.ALLOCATED):
            raise TransitionNotAllowed(
                {"status": "Only orders not yet picked can be re-routed."},
                code="transition_not_allowed",
            )
        if point is not None and point.merchant_id != order.merchant_id:
            raise ValidationError({"point": "That storage point belongs to another shop."})
        allocations = list(
            Allocation.objects.filter(order=order, state=Allocation.State.RESERVED).select_related(
                "line__product", "point"
            )
        )
        _give_back(order, allocations, user)
        lines = list(order.lines.select_related("product"))
        if point is None:
            Allocation.objects.bulk_create(_allocations(order.merchant, order, lines, user))
            note = f"Re-routed by rule: {order.routing.get('rule', '')}"
        else:
            _route_to(order, lines, point, user)
            note = f"Re-routed by staff to {point.name}"
        previous = order.status
        order.status = Status.ALLOCATED
        order.save(update_fields=["status", "updated_at"])
        event = OrderEvent.objects.create(
            merchant_id=order.merchant_id,
            order=order,
            from_status=previous,
            to_status=Status.ALLOCATED,
            by=_by(user),
            note=note[:255],
        )
        transaction.on_commit(
            lambda: order_routed.send(
                sender=Order,
                order_id=order.pk,
                merchant_id=order.merchant_id,
                routing=str(event.pk),
            )
        )
    return order


def _route_to(order: Order, lines: list[OrderLine], point, user: User | None) -> None:
    from merchant.services.geocoding import distance_m

    try:
        stock.reserve_many(
            merchant=order.merchant,
            changes=[stock.StockChange(line.product, point, line.quantity) for line in lines],
            reference=f"order:{order.pk}",
            user=_by(user),
        )
    except stock.OutOfStock as error:
        raise Unroutable("out_of_stock", str(error), field="point") from error
    metres = round(distance_m(point.location, order.location)) if point.location else 0
    Allocation.objects.bulk_create(
        [
            Allocation(
                merchant_id=order.merchant_id,
                order=order,
                line=line,
                point=point,
                quantity=line.quantity,
                distance_m=metres,
                rank=0,
                why=f"Chosen by staff ({user or 'system'}): {metres / 1000:.1f} km away"[:255],
            )
            for line in lines
        ]
    )
