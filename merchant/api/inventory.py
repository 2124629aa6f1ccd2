"""Products, stock levels and transfers over the JSON API (mounted at /api/v1/)."""

# No `from __future__ import annotations`: @paginate's wrapper would resolve the parameter
# types (QueryId, Text) in ninja's module instead of this one.

from collections.abc import Callable
from datetime import datetime
from functools import wraps

from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from merchant.api.fields import Count, Id, InputSchema, Int32, Page, QueryId, Text
from merchant.models import Merchant, Product, StockLevel, StoragePoint, Transfer
from merchant.selectors import inventory as selectors
from merchant.services import products, stock, transfers

router = Router(tags=["inventory"])


# --- Schemas --------------------------------------------------------------------------------


class ProductOut(Schema):
    id: int
    sku: str
    name: str
    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    value: int
    is_active: bool


class ProductIn(InputSchema):
    sku: str
    name: str
    weight_g: Count
    length_mm: Count
    width_mm: Count
    height_mm: Count
    value: Count = 0


class ProductPatch(InputSchema):
    sku: str | None = None
    name: str | None = None
    weight_g: Count | None = None
    length_mm: Count | None = None
    width_mm: Count | None = None
    height_mm: Count | None = None
    value: Count | None = None
    is_active: bool | None = None


class StockLevelOut(Schema):
    product_id: int
    sku: str = Field(..., alias="product.sku")
    point_id: int
    point_name: str = Field(..., alias="point.name")
    on_hand: int
    reserved: int
    available: int
    low_stock_threshold: int


class ReceiveIn(InputSchema):
    sku: str
    point_id: Id
    quantity: Int32
    reason: str = ""


class AdjustIn(InputSchema):
    sku: str
    point_id: Id
    delta: Int32
    reason: str


class TransferLineIn(InputSchema):
    sku: str
    quantity: Int32


class TransferIn(InputSchema):
    from_point_id: Id
    to_point_id: Id
    lines: list[TransferLineIn]
    note: str = ""


class TransferLineOut(Schema):
    product_id: int
    sku: str = Field(..., alias="product.sku")
    quantity: int


class TransferOut(Schema):
    id: int
    status: str
    from_point_id: int
    to_point_id: int
    note: str
    created_at: datetime
    shipped_at: datetime | None
    received_at: datetime | None
    lines: list[TransferLineOut]

    @staticmethod
    def resolve_lines(obj: Transfer) -> list:
        return list(obj.lines.select_related("product").order_by("product__sku"))


# --- Helpers --------------------------------------------------------------------------------


def _out_of_stock_is_409(view: Callable) -> Callable:
    """OutOfStock becomes a 409 JSON problem; the other errors go to config/api.py."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except stock.OutOfStock as exc:
            return JsonResponse(
                {
                    "status": 409,
                    "code": exc.code,
                    "detail": str(exc),
                    "field": "quantity",
                    "sku": exc.product.sku,
                    "point_id": exc.point.pk,
                    "requested": exc.requested,
                    "available": exc.available,
                },
                status=409,
            )

    return wrapper


def _product_by_sku(merchant: Merchant, sku: str, field: str = "sku") -> Product:
    product = Product.objects.for_merchant(merchant).filter(sku=sku).first()
    if product is None:
        raise ValidationError({field: f"No product with SKU {sku!r}."})
    return product


def _point(merchant: Merchant, point_id: int, field: str = "point_id") -> StoragePoint:
    point = StoragePoint.objects.for_merchant(merchant).filter(pk=point_id).first()
    if point is None:
        raise ValidationError({field: f"No storage point with id {point_id}."})
    return point


def _level(level: StockLevel) -> StockLevel:
    return StockLevel.objects.select_related("product", "point").get(pk=level.pk)


# --- Products -------------------------------------------------------------------------------


@router.get("/products", response=list[ProductOut], summary="Products, by SKU")
@paginate(Page)
def list_products(request: HttpRequest, q: Text = ""):
    return selectors.products_with_totals(request.api_merchant, search=q)


@router.post("/products", response={201: ProductOut}, summary="Create a product")
def create_product(request: HttpRequest, payload: ProductIn):
    return Status(201, products.create_product(merchant=request.api_merchant, **payload.dict()))


@router.get("/products/{product_id}", response=ProductOut, summary="One product")
def get_product(request: HttpRequest, product_id: QueryId):
    return selectors.get_product_for_merchant(request.api_merchant, product_id)


@router.patch("/products/{product_id}", response=ProductOut, summary="Change a product")
def update_product(request: HttpRequest, product_id: QueryId, payload: ProductPatch | None = None):
    product = selectors.get_product_for_merchant(request.api_merchant, product_id)
    changes = payload.dict(exclude_unset=True) if payload else {}
    active = changes.pop("is_active", None)
    if changes:
        product = products.update_product(product=product, **changes)
    if active is not None:
        product = products.set_product_active(product=product, active=active)
    return product


# --- Stock ----------------------------------------------------------------------------------


@router.get("/stock", response=list[StockLevelOut], summary="Stock levels per product and point")
@paginate(Page)
def list_stock(request: HttpRequest, sku: Text = "", point_id: QueryId | None = None):
    return selectors.stock_levels(request.api_merchant, sku=sku, point_id=point_id)


@router.post("/stock/receive", response=StockLevelOut, summary="Receive units at a point")
@_out_of_stock_is_409
def receive(request: HttpRequest, payload: ReceiveIn):
    merchant = request.api_merchant
    level = stock.receive_stock(
        merchant=merchant,
        product=_product_by_sku(merchant, payload.sku),
        point=_point(merchant, payload.point_id),
        quantity=payload.quantity,
        reason=payload.reason,
        reference="api",
    )
    return _level(level)


@router.post("/stock/adjust", response=StockLevelOut, summary="Correct on-hand units, with why")
@_out_of_stock_is_409
def adjust(request: HttpRequest, payload: AdjustIn):
    merchant = request.api_merchant
    level = stock.adjust_stock(
        merchant=merchant,
        product=_product_by_sku(merchant, payload.sku),
        point=_point(merchant, payload.point_id),
        delta=payload.delta,
        reason=payload.reason,
        reference="api",
    )
    return _level(level)


# --- Transfers ------------------------------------------------------------------------------


@router.get("/transfers", response=list[TransferOut], summary="Transfers, newest first")
@paginate(Page)
def list_transfers(request: HttpRequest, status: Text = ""):
    if status and status not in Transfer.Status.values:
        raise ValidationError({"status": f"Use one of {', '.join(Transfer.Status.values)}."})
    return selectors.transfers(request.api_merchant, status=status).prefetch_related(
        "lines__product"
    )


@router.post("/transfers", response={201: TransferOut}, summary="Request a transfer")
@_out_of_stock_is_409
def create_transfer(request: HttpRequest, payload: TransferIn):
    merchant = request.api_merchant
    lines = []
    for n, line in enumerate(payload.lines):
        product = _product_by_sku(merchant, line.sku, field=f"lines.{n}.sku")
        stock.check_quantity(line.quantity, field=f"lines.{n}.quantity")
        lines.append((product, line.quantity))
    transfer = transfers.create_transfer(
        merchant=merchant,
        from_point=_point(merchant, payload.from_point_id, "from_point_id"),
        to_point=_point(merchant, payload.to_point_id, "to_point_id"),
        lines=lines,
        note=payload.note,
    )
    return Status(201, transfer)


@router.get("/transfers/{transfer_id}", response=TransferOut, summary="One transfer")
def get_transfer(request: HttpRequest, transfer_id: QueryId):
    return selectors.get_transfer_for_merchant(request.api_merchant, transfer_id)


@router.post("/transfers/{transfer_id}/ship", response=TransferOut, summary="Ship a transfer")
@_out_of_stock_is_409
def ship_transfer(request: HttpRequest, transfer_id: QueryId):
    transfer = selectors.get_transfer_for_merchant(request.api_merchant, transfer_id)
    return transfers.ship_transfer(transfer=transfer)


@router.post("/transfers/{transfer_id}/receive", response=TransferOut, summary="Receive it")
@_out_of_stock_is_409
def receive_transfer(request: HttpRequest, transfer_id: QueryId):
    transfer = selectors.get_transfer_for_merchant(request.api_merchant, transfer_id)
    return transfers.receive_transfer(transfer=transfer)


@router.post("/transfers/{transfer_id}/cancel", response=TransferOut, summary="Cancel it")
@_out_of_stock_is_409
def cancel_transfer(request: HttpRequest, transfer_id: QueryId):
    transfer = selectors.get_transfer_for_merchant(request.api_merchant, transfer_id)
    return transfers.cancel_transfer(transfer=transfer)
