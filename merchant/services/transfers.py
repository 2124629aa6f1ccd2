"""Transfers between storage points: requested (units held at the source) → in transit (off
the source's shelf) → received (on the destination's shelf), or cancelled while requested."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from merchant.models import Merchant, PlacementPlan, Product, StoragePoint, Transfer, TransferLine
from merchant.models import User as UserModel
from merchant.services import stock


def create_transfer(
    *,
    merchant: Merchant,
    from_point: StoragePoint,
    to_point: StoragePoint,
    lines: list[tuple[Product, int]],
    note: str = "",
    plan: PlacementPlan | None = None,
    user: UserModel | None = None,
) -> Transfer:
    if from_point.merchant_id != merchant.pk or to_point.merchant_id != merchant.pk:
        raise ValidationError("That storage point belongs to another shop.")
    if from_point.pk == to_point.pk:
        raise ValidationError({"to_point": "Choose a destination other than the source."})
    if not lines:
        raise ValidationError({"lines": "A transfer needs at least one product."})
    merged: dict[int, tuple[Product, int]] = {}
    for product, quantity in lines:
        stock.check_quantity(quantity)
        merged[product.pk] = (product, merged.get(product.pk, (product, 0))[1] + quantity)
    with transaction.atomic():
        transfer = Transfer.objects.create(
            merchant=merchant,
            from_point=from_point,
            to_point=to_point,
            note=note[:255],
            plan=plan,
            created_by=user if user and user.is_authenticated else None,
        )
        TransferLine.objects.bulk_create(
            [TransferLine(transfer=transfer, product=p, quantity=q) for p, q in merged.values()]
        )
        stock.reserve_many(
            merchant=merchant,
            changes=[stock.StockChange(p, from_point, q) for p, q in merged.values()],
            reference=f"transfer:{transfer.pk}",
            user=user,
        )
    return transfer


def _locked(transfer: Transfer, expected: str) -> Transfer:
    locked = Transfer.objects.select_for_update().get(pk=transfer.pk)
    if locked.status != expected:
        raise ValidationError(
            f"Transfer {transfer.pk} is {locked.get_status_display().lower()}, not "
            f"{Transfer.Status(expected).label.lower()}.",
            code="state",
        )
    return locked


def ship_transfer(*, transfer: Transfer, user: UserModel | None = None) -> Transfer:
    with transaction.atomic():
        transfer = _locked(transfer, Transfer.Status.REQUESTED)
        for line in transfer.lines.select_related("product").order_by("product_id"):
            stock.pick_stock(
                merchant=transfer.merchant,
                product=line.product,
                point=transfer.from_point,
                quantity=line.quantity,
                reference=f"transfer:{transfer.pk}",
                user=user,
                kind=stock.Kind.TRANSFER_OUT,
            )
        transfer.status, transfer.shipped_at = Transfer.Status.IN_TRANSIT, timezone.now()
        transfer.save(update_fields=["status", "shipped_at"])
    return transfer


def receive_transfer(*, transfer: Transfer, user: UserModel | None = None) -> Transfer:
    with transaction.atomic():
        transfer = _locked(transfer, Transfer.Status.IN_TRANSIT)
        for line in transfer.lines.select_related("product").order_by("product_id"):
            stock.move(
                merchant=transfer.merchant,
                product=line.product,
                point=transfer.to_point,
                kind=stock.Kind.TRANSFER_IN,
                on_hand_delta=line.quantity,
                reserved_delta=0,
                reference=f"transfer:{transfer.pk}",
                user=user,
            )
        transfer.status, transfer.received_at = Transfer.Status.RECEIVED, timezone.now()
        transfer.save(update_fields=["status", "received_at"])
    return transfer


def cancel_transfer(*, transfer: Transfer, user: UserModel | None = None) -> Transfer:
    with transaction.atomic():
        transfer = _locked(transfer, Transfer.Status.REQUESTED)
        for line in transfer.lines.select_related("product").order_by("product_id"):
            stock.release_stock(
                merchant=transfer.merchant,
                product=line.product,
                point=transfer.from_point,
                quantity=line.quantity,
                reference=f"transfer:{transfer.pk}",
                user=user,
            )
        transfer.status = Transfer.Status.CANCELLED
        transfer.save(update_fields=["status"])
    return transfer
