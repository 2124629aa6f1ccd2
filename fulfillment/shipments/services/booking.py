"""Shipments: rate an order, choose (rule or staff), book with the courier in a task, and record
status events (the manual courier's driver reports them through a signed link).

Booking is idempotent: one shipment row per order (its idempotency key is unique), the courier
is called with that key (the sandbox honours Idempotency-Key, so a retried task gets the same
tracking number back), and a tracking number once stored is never replaced.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
import logging

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from fulfillment.boxes.services.packing import (
    BoxChoice,
    box_for_order,
    check_measured_weight,
    with_box,
)
from fulfillment.couriers.adapters import (
    CourierError,
    CourierUnavailable,
    ShipmentRequest,
    TrackingEvent,
    TrackingResult,
    TrackingStatus,
    make_event_id,
)
from fulfillment.couriers.adapters.base import live_quote_couriers
from fulfillment.couriers.selectors import rate_book, rate_input_for_order
from fulfillment.couriers.services import accounts as courier_service
from fulfillment.couriers.services.rates import (
    LIVE_QUOTE_POLICY,
    RateResult,
    build_options,
    choose,
    override,
    quote_request,
    rule_in_force,
    with_live_quotes,
)
from fulfillment.couriers.services.rates import _sorted as sorted_options
from fulfillment.models import BoxPreset, CourierAccount, Order, Shipment, ShipmentEvent
from fulfillment.orders.services import status as order_status
from fulfillment.orders.services.addresses import assert_can_ship
from fulfillment.orders.services.status import OrderNotReadyToShip
from fulfillment.shipments.signals import shipment_booked
from fulfillment.tracking.ingest import ingest_results
from fulfillment.tracking.signals import shipment_status_changed
from merchant.models import Merchant

logger = logging.getLogger(__name__)

MAX_PROOF_BYTES = 8 * 1024 * 1024
FAILED_REASONS = {
    "not_home": "Nobody at home",
    "no_access": "No access to the building",
    "address_not_found": "Address not found",
    "refused": "Refused by the recipient",
    "damaged": "Parcel damaged",
    "other": "Other",
}
DRIVER_ACTIONS = {
    "picked_up": (TrackingStatus.IN_TRANSIT, "Picked up by the driver"),
    "out_for_delivery": (TrackingStatus.OUT_FOR_DELIVERY, "Out for delivery"),
    "delivered": (TrackingStatus.DELIVERED, "Delivered"),
    "failed": (TrackingStatus.FAILED_ATTEMPT, "Delivery attempt failed"),
}


# Orders whose parcel the booking task must not book (see order_status.prepare_for_shipment).
# Not the complement of Order.SHIPPABLE_STATUSES: by the time the task runs the order was
# picked (allocated means it never was), and an order already on its way (handed over, at its
# pickup place) still books a reship's parcel (tracking/actions.py); only these three refuse.
NOT_SHIPPABLE = (Order.Status.RECEIVED, Order.Status.ALLOCATED, Order.Status.CANCELLED)


class ShipmentExists(Exception):
    def __init__(self, shipment: Shipment) -> None:
        self.shipment = shipment
        super().__init__(f"Order already has shipment {shipment.pk}.")


# --- rates ---------------------------------------------------------------------------------


def rates_for_order(
    *,
    merchant: Merchant,
    order: Order,
    live: bool = True,
    now: dt.datetime | None = None,
    packing: BoxChoice | None = None,
) -> RateResult:
    """All options for an order and the rule's choice; live quotes where couriers give them.
    The parcel is the order packed in its box (`packing`, else the box chosen by fit)."""
    now = now or timezone.now()
    book = rate_book(merchant, now=now)
    inp = with_box(rate_input_for_order(order), packing or box_for_order(order))
    options = build_options(book, inp, now)
    if live:
        accounts = {
            a.pk: a
            for a in CourierAccount.objects.for_merchant(merchant).filter(
                is_active=True, courier__in=live_quote_couriers()
            )
        }
        options = with_live_quotes(
            options,
            inp,
            accounts,
            quote=lambda account, request: courier_service.adapter_for(
                account, policy=LIVE_QUOTE_POLICY
            ).quote(request),
            on_error=lambda account, exc: courier_service.record_account_error(
                account=account, message=f"live quote failed: {exc}"
            ),
            on_success=lambda account: courier_service.clear_account_error(account=account),
        )
    chosen, why = choose(book, options, inp)
    return RateResult(sorted_options(options), chosen, why, rule_in_force(book, inp))


# --- requesting and booking ----------------------------------------------------------------


def idempotency_key(order: Order) -> str:
    return f"nbx-m{order.merchant_id}-order-{order.pk}"


def booking_key(order: Order) -> str:
    """The idempotency key of the order's next outbound shipment: a voided label's key stays
    with it (the courier knows that key), so each void moves the next booking to a new one."""
    voided = Shipment.objects.filter(order=order, is_return=False, voided_at__isnull=False).count()
    return idempotency_key(order) + (f"-after-void-{voided}" if voided else "")


def request_shipment(
    *,
    merchant: Merchant,
    order: Order,
    option_id: str = "rule",
    now: dt.datetime | None = None,
    box: BoxPreset | None = None,
    measured_weight_g: int | None = None,
    book_in_background: bool = True,
) -> Shipment:
    """Create the shipment row with the chosen option and queue its booking at the courier.
    `box` (one of the merchant's) replaces the box chosen by fit; `measured_weight_g` (a scale
    reading) replaces the computed weight. A caller that books the shipment itself (a ship
    run) passes `book_in_background=False`, so that no task books it at the same time."""
    assert_can_ship(order=order)
    if not order.can_ship:
        raise OrderNotReadyToShip(
            {"order_id": f"An order that is {order.get_status_display().lower()} cannot ship."},
            code=OrderNotReadyToShip.code,
        )
    key = booking_key(order)
    existing = Shipment.objects.filter(idempotency_key=key).first()
    if existing is not None:
        raise ShipmentExists(existing)
    if box is not None and (box.merchant_id != merchant.pk or not box.is_active):
        raise ValidationError({"box": "Choose one of your active boxes."})
    packing = box_for_order(
        order, box=box, measured_weight_g=check_measured_weight(measured_weight_g)
    )
    result = rates_for_order(merchant=merchant, order=order, now=now, packing=packing)
    # Picking the rule's own option from the list is following the rule, not overriding it.
    if option_id in ("", "rule") or (result.chosen and option_id == result.chosen.option_id):
        if result.chosen is None:
            raise ValidationError({"option_id": result.why})
        option, chosen_by, why = result.chosen, Shipment.ChosenBy.RULE, result.why
    else:
        option = override(result, option_id)
        chosen_by = Shipment.ChosenBy.STAFF
        why = f"Chosen by staff instead of the rule's pick ({result.why})"
    from fulfillment.shipments.tasks import book_shipment_task

    try:
        with transaction.atomic():
            # The order is picked (or was allocated and is picked now) under its row lock,
            # so no parcel is booked for an order that is not on its way out of the shelf.
            order_status.prepare_for_shipment(order=order)
            shipment = Shipment.objects.create(
                merchant=merchant,
                order=order,
                account_id=option.account_id,
                service_id=option.service_id,
                idempotency_key=key,
                price_minor=option.price_minor,
                currency=option.currency,
                promised_from=option.window.start if option.window else None,
                promised_until=option.window.end if option.window else None,
                chosen_by=chosen_by,
                why=_with_fx_note(why, option.fx_note),
                box=packing.box,
                measured_weight_g=packing.parcel.weight_g if packing.measured else None,
                weight_g=packing.parcel.weight_g,
            )
            if book_in_background:
                book_shipment_task.delay_on_commit(shipment.pk)
    except IntegrityError:
        raise ShipmentExists(Shipment.objects.get(idempotency_key=key)) from None
    logger.info("shipment %s for order %s queued (%s)", shipment.pk, order.pk, option.option_id)
    return shipment


def _with_fx_note(why: str, fx_note: str) -> str:
    """The reason for the choice, ending with the conversion the price went through (kept
    whole: a converted price without its rate and source would be unexplained)."""
    note = f" Price converted from {fx_note}."[:200] if fx_note else ""
    return why[: 300 - len(note)] + note


def book_shipment(*, shipment_id: int) -> Shipment:
    """Book a queued shipment with its courier; safe to run any number of times.

    Raises CourierUnavailable (transient: the task retries); any other courier error is kept
    on the shipment as `last_error` for staff to act on.
    """
    shipment = Shipment.objects.select_related("account", "service", "order", "box").get(
        pk=shipment_id
    )
    if shipment.is_booked or shipment.voided_at is not None:
        return shipment
    try:
        assert_can_ship(order=shipment.order)
    except Exception as exc:
        _fail(shipment, str(exc))
        return shipment
    if shipment.order.status in NOT_SHIPPABLE:  # cancelled (or never picked) meanwhile
        _fail(shipment, f"The order is {shipment.order.get_status_display().lower()}: not booked.")
        return shipment
    account = shipment.account
    adapter = courier_service.adapter_for(account)
    packing = box_for_order(
        shipment.order, box=shipment.box, measured_weight_g=shipment.measured_weight_g
    )
    inp = with_box(rate_input_for_order(shipment.order), packing)
    request = ShipmentRequest(
        **{
            **quote_request(inp, shipment.service.code).__dict__,
            "idempotency_key": shipment.idempotency_key,
            "reference": shipment.order.reference or f"order-{shipment.order_id}",
        }
    )
    try:
        created = adapter.create_shipment(request)
    except CourierUnavailable as exc:
        _fail(shipment, f"courier unavailable, retrying: {exc}")
        courier_service.record_account_error(account=account, message=str(exc))
        raise
    except CourierError as exc:
        _fail(shipment, str(exc))
        courier_service.record_account_error(account=account, message=str(exc))
        return shipment
    now = timezone.now()
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().get(pk=shipment.pk)
        if locked.is_booked:  # another run of the task got there first
            return locked
        if locked.voided_at is not None:  # voided while the courier booked it: give it back
            _give_back(locked, created.tracking_number)
            return locked
        # A reship (tracking/actions.py) is made without a box: it gets the one chosen now.
        locked.box = locked.box or packing.box
        locked.weight_g = packing.parcel.weight_g
        locked.tracking_number = created.tracking_number
        locked.courier_reference = created.courier_reference[:100]  # an on-demand job id
        locked.status = TrackingStatus.INFO_RECEIVED.value
        locked.booked_at = now
        locked.last_error = ""
        if created.estimated_delivery and locked.promised_until is None:
            locked.promised_from = created.estimated_delivery.start
            locked.promised_until = created.estimated_delivery.end
        if created.label:
            extension = (created.label_format or "pdf").lower()
            locked.label.save(
                f"{locked.tracking_number}.{extension}", ContentFile(created.label), save=False
            )
        locked.save()
        _store_event(
            locked,
            TrackingEvent(
                tracking_number=locked.tracking_number,
                status=TrackingStatus.INFO_RECEIVED,
                occurred_at=now,
                courier_code="booked",
                courier_description=f"Booked with {account.name}",
                event_id=make_event_id("nearbox", locked.tracking_number, "booked"),
            ),
            source=ShipmentEvent.Source.NEARBOX,
        )
        transaction.on_commit(lambda: shipment_booked.send(sender=Shipment, shipment_id=locked.pk))
    courier_service.clear_account_error(account=account)
    logger.info("shipment %s booked: %s", locked.pk, locked.tracking_number)
    return locked


def _give_back(shipment: Shipment, tracking_number: str) -> None:
    try:
        courier_service.adapter_for(shipment.account).cancel(tracking_number)
    except CourierError as exc:
        _fail(shipment, f"Voided while booking; the courier kept {tracking_number}: {exc}")


def _fail(shipment: Shipment, message: str) -> None:
    Shipment.objects.filter(pk=shipment.pk).update(last_error=message[:500])
    shipment.last_error = message[:500]


# --- events --------------------------------------------------------------------------------


def _store_event(
    shipment: Shipment,
    event: TrackingEvent,
    *,
    source: str,
    proof: ContentFile | UploadedFile | None = None,
) -> bool:
    """Store one normalised event (once per event_id) and move the shipment's status on.
    The caller holds the shipment row locked. Returns False for an event seen before."""
    if ShipmentEvent.objects.filter(shipment=shipment, event_id=event.event_id).exists():
        return False
    row = ShipmentEvent(
        merchant_id=shipment.merchant_id,
        shipment=shipment,
        event_id=event.event_id,
        status=event.status.value,
        occurred_at=event.occurred_at,
        courier_code=event.courier_code[:64],
        courier_description=event.courier_description[:300],
        location=event.location[:200],
        reason_code=(event.reason_code or "")[:64],
        source=source,
    )
    if proof is not None:
        row.proof.save(proof.name, proof, save=False)
    row.save()
    old = shipment.status
    new = shipment.tracking_status.advance(event.status)
    fields = []
    if new.value != old:
        shipment.status = new.value
        fields.append("status")
        # The same after-commit signal as tracking's ingest sends, so listeners (lockers'
        # pickup codes, outgoing webhooks, shop platforms) hear a driver's or a return's status.
        transaction.on_commit(
            lambda: shipment_status_changed.send(
                sender=Shipment,
                shipment_id=shipment.pk,
                old_status=old,
                new_status=new.value,
                merchant_id=shipment.merchant_id,
            )
        )
    if event.status is TrackingStatus.IN_TRANSIT and shipment.handed_over_at is None:
        shipment.handed_over_at = event.occurred_at
        fields.append("handed_over_at")
    if event.status is TrackingStatus.DELIVERED and shipment.delivered_at is None:
        shipment.delivered_at = event.occurred_at
        fields.append("delivered_at")
    if fields:
        shipment.save(update_fields=fields)
    return True


def record_event(
    *, shipment: Shipment, event: TrackingEvent, source: str = ShipmentEvent.Source.COURIER
) -> bool:
    """Store a courier's event (polling or webhook): duplicates are ignored."""
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().select_related("order").get(pk=shipment.pk)
        stored = _store_event(locked, event, source=source)
        if stored:
            order_status.follow_shipments([locked])
        return stored


def _photo_proof(photo: UploadedFile) -> ContentFile:
    from PIL import Image, UnidentifiedImageError

    if photo.size and photo.size > MAX_PROOF_BYTES:
        raise ValidationError({"photo": "The photo is over 8 MB; take it at a lower resolution."})
    data = photo.read()
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            kind = (image.format or "jpeg").lower()
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise ValidationError({"photo": "That file is not a photo (JPEG or PNG)."}) from None
    return ContentFile(data, name=f"photo.{'jpg' if kind == 'jpeg' else kind}")


def _signature_proof(data_url: str) -> ContentFile:
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix):
        raise ValidationError({"signature": "The signature must be a PNG drawing."})
    try:
        data = base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError({"signature": "The signature drawing is damaged."}) from None
    if len(data) > MAX_PROOF_BYTES or not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValidationError({"signature": "The signature drawing is damaged."})
    return ContentFile(data, name="signature.png")


def record_driver_status(
    *,
    account: CourierAccount,
    shipment_id: object,
    action: str,
    photo: UploadedFile | None = None,
    signature: str = "",
    reason: str = "",
    now: dt.datetime | None = None,
) -> Shipment:
    """What the manual courier's driver reports: picked up, out for delivery, delivered (with a
    photo or a signature), or a failed attempt (with a reason)."""
    if action not in DRIVER_ACTIONS:
        raise ValidationError({"action": "Unknown status."})
    try:
        shipment = Shipment.objects.get(
            pk=int(shipment_id), account=account, merchant_id=account.merchant_id
        )
    except (Shipment.DoesNotExist, TypeError, ValueError):
        raise ValidationError({"shipment_id": "That parcel is not on your list."}) from None
    status, description = DRIVER_ACTIONS[action]
    proof = None
    if action == "delivered":
        if photo:
            proof = _photo_proof(photo)
        elif signature:
            proof = _signature_proof(signature)
        else:
            raise ValidationError({"photo": "Take a photo of the parcel or get a signature."})
    if action == "failed":
        if reason not in FAILED_REASONS:
            raise ValidationError({"reason": "Choose why the delivery failed."})
        description = f"{description}: {FAILED_REASONS[reason]}"
    now = now or timezone.now()
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().get(pk=shipment.pk)
        if locked.tracking_status.is_terminal:
            raise ValidationError(
                {"action": f"This parcel is already {locked.get_status_display().lower()}."}
            )
        event = TrackingEvent(
            tracking_number=locked.tracking_number,
            status=status,
            occurred_at=now,
            courier_code=action,
            courier_description=description,
            reason_code=reason if action == "failed" else None,
            event_id=make_event_id("manual", locked.tracking_number, action, now),
        )
        proofs = {event.event_id: _store_proof(proof)} if proof is not None else None
        # The same path as polled and pushed events: the status folded from all events, the
        # ETA, the shopper's notification and the exceptions queue follow the driver too.
        ingest_results(
            account=account,
            results={
                locked.tracking_number: TrackingResult.from_events(locked.tracking_number, [event])
            },
            source=ShipmentEvent.Source.DRIVER,
            pushed=True,
            now=now,
            proofs=proofs,
        )
        locked.refresh_from_db()
    return locked


def _store_proof(proof: ContentFile | UploadedFile) -> str:
    """Save a delivery proof where ShipmentEvent.proof keeps its files; returns its name."""
    field = ShipmentEvent._meta.get_field("proof")
    return field.storage.save(field.generate_filename(None, proof.name), proof)
