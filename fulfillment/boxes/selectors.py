"""Reading the merchant's boxes and their defaults."""

from __future__ import annotations

from django.db.models import QuerySet

from fulfillment.models import BoxPreset, PointBox, ProductBox
from merchant.models import Merchant, get_for_merchant_or_404


def active_boxes(merchant: Merchant) -> list[BoxPreset]:
    return list(BoxPreset.objects.for_merchant(merchant).filter(is_active=True))


def boxes_for_list(merchant: Merchant, *, show_inactive: bool = False) -> QuerySet[BoxPreset]:
    boxes = BoxPreset.objects.for_merchant(merchant)
    return boxes if show_inactive else boxes.filter(is_active=True)


def get_box_for_merchant(merchant: Merchant, box_id: object) -> BoxPreset:
    """The merchant's box; Http404 for another merchant's id or garbage."""
    return get_for_merchant_or_404(BoxPreset, merchant, box_id)


def box_defaults(merchant: Merchant, box: BoxPreset) -> dict[str, list]:
    """The products and points that pack into `box` first."""
    return {
        "products": list(
            ProductBox.objects.for_merchant(merchant)
            .filter(box=box)
            .select_related("product")
            .order_by("product__sku")
        ),
        "points": list(
            PointBox.objects.for_merchant(merchant)
            .filter(box=box)
            .select_related("point")
            .order_by("point__name")
        ),
    }
