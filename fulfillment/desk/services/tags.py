"""Order tags: short lowercase words staff put on orders to filter the order list by."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction

from fulfillment.models import Order, OrderTag

MAX_TAGS = 20
TAG = re.compile(r"^[a-z0-9][a-z0-9 _.-]{0,39}$")


def parse_tags(text: str | list[str]) -> list[str]:
    """ "gift, Fragile" -> ["fragile", "gift"]: lowercased, trimmed, de-duplicated, sorted.
    Raises ValidationError on the `tags` field for a word we do not keep."""
    words = text if isinstance(text, list) else str(text or "").split(",")
    tags = sorted({" ".join(str(w).split()).lower() for w in words if str(w).strip()})
    bad = [t for t in tags if not TAG.match(t)]
    if bad:
        raise ValidationError(
            {
                "tags": f"“{bad[0][:40]}” is not a tag: up to 40 letters, digits, spaces, "
                "dots, dashes or underscores, starting with a letter or digit."
            }
        )
    if len(tags) > MAX_TAGS:
        raise ValidationError({"tags": f"At most {MAX_TAGS} tags on one order."})
    return tags


def set_order_tags(*, order: Order, tags: str | list[str]) -> list[str]:
    """Replace the order's tags with `tags` (a comma-separated text or a list)."""
    names = parse_tags(tags)
    with transaction.atomic():
        OrderTag.objects.filter(order=order).exclude(name__in=names).delete()
        have = set(OrderTag.objects.filter(order=order).values_list("name", flat=True))
        OrderTag.objects.bulk_create(
            [
                OrderTag(merchant_id=order.merchant_id, order=order, name=n)
                for n in names
                if n not in have
            ],
            ignore_conflicts=True,  # a concurrent save of the same tag
        )
    return names


def order_tags(order: Order) -> list[str]:
    return list(OrderTag.objects.filter(order=order).values_list("name", flat=True))
