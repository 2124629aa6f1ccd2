"""Checkout rules and courier rules, mounted at /api/v1/checkout-rules and /api/v1/courier-rules
(secret key): list, create, read, replace, delete, put in order, and the checkout-rules preview
(the delivery-options answer the shopper gets for a cart).

Errors are JSON problems: 404 `not_found` (another merchant's id too), 422 `invalid` with the
field.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from ninja import Field, Router, Schema, Status
from pydantic import Strict

from fulfillment.checkout.selectors import (
    checkout_rules,
    courier_rules,
    get_checkout_rule_for_merchant,
    get_courier_rule_for_merchant,
)
from fulfillment.checkout.services import rules as service
from fulfillment.checkout.services.preview import PreviewCart, preview
from fulfillment.models import CheckoutRule, CourierRule
from fulfillment.models.checkout import MAX_MINOR
from merchant.api.fields import Count, Id, InputSchema, Problem

router = Router(tags=["checkout rules"])
courier_router = Router(tags=["courier rules"])

Amount = Annotated[int, Strict(), Field(ge=-MAX_MINOR, le=MAX_MINOR)]
Words = Annotated[list[Annotated[str, Field(max_length=60)]], Field(max_length=500)]
ERRORS = {404: Problem, 422: Problem}


class CheckoutRuleIn(InputSchema):
    name: str = Field(..., max_length=120)
    is_active: bool = True
    action: str = Field(..., description="free, markup_pct, markup_flat, set_price, hide, round")
    amount_minor: Amount | None = Field(None, description="Flat price or markup, minor units.")
    percent: float = Field(0, ge=-100, le=1000, allow_inf_nan=False)
    rounding: str = Field("none", description="none, 99 (up to .99) or whole")
    kinds: Words = Field(default_factory=list, description="home, locker, shop; [] for all")
    service_level: str = Field("", description="same_day, next_day, economy; empty for any")
    service_id: Id | None = None
    min_order_minor: Count | None = Field(None, description="Applies from this cart value on.")
    free_always: bool = Field(False, description="A free rule without min_order_minor.")
    min_weight_g: Count | None = None
    max_weight_g: Count | None = None
    min_longest_mm: Count | None = None
    countries: Words = Field(default_factory=list)
    zip_prefixes: Words = Field(default_factory=list)
    tags: Words = Field(default_factory=list)


class CheckoutRuleOut(Schema):
    id: int
    position: int
    name: str
    is_active: bool
    action: str
    amount_minor: int
    percent: Decimal
    rounding: str
    kinds: list[str]
    service_level: str
    service_id: int | None
    min_order_minor: int | None
    min_weight_g: int | None
    max_weight_g: int | None
    min_longest_mm: int | None
    countries: list[str]
    zip_prefixes: list[str]
    tags: list[str]


class CourierRuleIn(InputSchema):
    name: str = Field(..., max_length=120)
    is_active: bool = True
    point_id: Id | None = Field(None, description="Ships from this point; null for any.")
    destinations: Words = Field(
        default_factory=list, description='ZIPs, prefixes ("606*") or ranges ("60601-60614").'
    )
    rule: str = Field("cheapest", description="cheapest, fastest, best_on_time, preferred, service")
    preferred_account_id: Id | None = None
    preferred_service_id: Id | None = None
    tolerance_pct: int = Field(10, ge=0, le=500)


class CourierRuleOut(Schema):
    id: int
    position: int
    name: str
    is_active: bool
    point_id: int | None
    destinations: list[str]
    rule: str
    preferred_account_id: int | None
    preferred_service_id: int | None
    tolerance_pct: int


class RuleOrderIn(InputSchema):
    ids: list[Id] = Field(..., max_length=1000, description="Every rule's id, in the new order.")


class PreviewIn(InputSchema):
    country: str = Field("US", max_length=2)
    postal_code: str = Field(..., max_length=12)
    value_minor: Count | None = Field(None, description="The cart's value, minor units.")
    tags: list[Annotated[str, Field(max_length=60)]] = Field(default_factory=list, max_length=50)
    cart: str = Field("", max_length=4000, description="SKU:quantity lines, comma-separated.")
    weight_g: Count | None = None
    length_mm: Count | None = None
    width_mm: Count | None = None
    height_mm: Count | None = None
    limit: int = Field(5, ge=1, le=20)


class PreviewOut(Schema):
    destination: dict
    parcel: dict
    ships_from: dict | None
    home: list[dict]
    lockers: list[dict]
    shops: list[dict]


def _required(payload: Any) -> Any:
    """A replace's body, read after the id is found to be the merchant's (another merchant's
    id is 404 whatever the body)."""
    if payload is None:
        raise ValidationError({"body": "Send the whole rule as a JSON object."})
    return payload


def _checkout_data(payload: CheckoutRuleIn) -> dict[str, Any]:
    data = payload.dict()
    data["service"] = data.pop("service_id")
    return data


def _courier_data(payload: CourierRuleIn) -> dict[str, Any]:
    data = payload.dict()
    for name in ("point", "preferred_account", "preferred_service"):
        data[name] = data.pop(f"{name}_id")
    return data


# --- checkout rules -------------------------------------------------------------------------


@router.get("", response=list[CheckoutRuleOut], summary="Checkout rules, in the order applied")
def list_checkout_rules(request: HttpRequest):
    return list(checkout_rules(request.api_merchant))


@router.post(
    "", response={201: CheckoutRuleOut, 422: Problem}, summary="Add a checkout rule (last)"
)
def create_checkout_rule(request: HttpRequest, payload: CheckoutRuleIn):
    rule = service.save_checkout_rule(merchant=request.api_merchant, data=_checkout_data(payload))
    return Status(201, rule)


@router.post("/preview", response={200: PreviewOut, 422: Problem}, summary="Preview a cart")
def preview_checkout(request: HttpRequest, payload: PreviewIn):
    """What the shopper sees for this cart and destination: the delivery-options answer with
    the active rules applied (each option's `price` and the `rule` it comes from)."""
    answer = preview(merchant=request.api_merchant, cart=PreviewCart(**payload.dict()))
    return JsonResponse(answer)


@router.post("/order", response={204: None, 422: Problem}, summary="Put checkout rules in order")
def order_checkout_rules(request: HttpRequest, payload: RuleOrderIn):
    service.reorder(merchant=request.api_merchant, model=CheckoutRule, ids=payload.ids)
    return Status(204, None)


@router.get("/{int:checkout_rule_id}", response={200: CheckoutRuleOut, 404: Problem})
def get_checkout_rule(request: HttpRequest, checkout_rule_id: int):
    return get_checkout_rule_for_merchant(request.api_merchant, checkout_rule_id)


@router.put("/{int:checkout_rule_id}", response={200: CheckoutRuleOut, **ERRORS})
def replace_checkout_rule(
    request: HttpRequest, checkout_rule_id: int, payload: CheckoutRuleIn | None = None
):
    rule = get_checkout_rule_for_merchant(request.api_merchant, checkout_rule_id)
    payload = _required(payload)
    return service.save_checkout_rule(
        merchant=request.api_merchant, rule=rule, data=_checkout_data(payload)
    )


@router.delete("/{int:checkout_rule_id}", response={204: None, 404: Problem})
def delete_checkout_rule(request: HttpRequest, checkout_rule_id: int) -> Status:
    service.delete_rule(rule=get_checkout_rule_for_merchant(request.api_merchant, checkout_rule_id))
    return Status(204, None)


# --- courier rules --------------------------------------------------------------------------


@courier_router.get("", response=list[CourierRuleOut], summary="Courier rules, first match wins")
def list_courier_rules(request: HttpRequest):
    return list(courier_rules(request.api_merchant))


@courier_router.post("", response={201: CourierRuleOut, 422: Problem}, summary="Add (last)")
def create_courier_rule(request: HttpRequest, payload: CourierRuleIn):
    rule = service.save_courier_rule(merchant=request.api_merchant, data=_courier_data(payload))
    return Status(201, rule)


@courier_router.post("/order", response={204: None, 422: Problem}, summary="Put in order")
def order_courier_rules(request: HttpRequest, payload: RuleOrderIn) -> Status:
    service.reorder(merchant=request.api_merchant, model=CourierRule, ids=payload.ids)
    return Status(204, None)


@courier_router.get("/{int:courier_rule_id}", response={200: CourierRuleOut, 404: Problem})
def get_courier_rule(request: HttpRequest, courier_rule_id: int):
    return get_courier_rule_for_merchant(request.api_merchant, courier_rule_id)


@courier_router.put("/{int:courier_rule_id}", response={200: CourierRuleOut, **ERRORS})
def replace_courier_rule(
    request: HttpRequest, courier_rule_id: int, payload: CourierRuleIn | None = None
):
    rule = get_courier_rule_for_merchant(request.api_merchant, courier_rule_id)
    payload = _required(payload)
    return service.save_courier_rule(
        merchant=request.api_merchant, rule=rule, data=_courier_data(payload)
    )


@courier_router.delete("/{int:courier_rule_id}", response={204: None, 404: Problem})
def delete_courier_rule(request: HttpRequest, courier_rule_id: int) -> Status:
    service.delete_rule(rule=get_courier_rule_for_merchant(request.api_merchant, courier_rule_id))
    return Status(204, None)
