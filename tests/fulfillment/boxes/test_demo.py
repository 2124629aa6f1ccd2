"""`seed_demo` loads the demo shop's boxes once, and the demo shop reads pounds and inches."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from demo.seeders.boxes import DEMO_BOXES
from demo.seeders.merchant import DEMO_SLUG
from fulfillment.boxes.services.packing import Item, choose_box, items_block
from fulfillment.models import BoxPreset, ProductBox
from merchant.models import Merchant, Product

pytestmark = pytest.mark.django_db


def test_the_demo_has_its_boxes_once_and_every_demo_product_fits_one():
    for _ in range(2):
        out = StringIO()
        call_command("seed_demo", "--only", "merchant", "--only", "boxes", stdout=out)
    assert "Demo boxes: 0 added" in out.getvalue()
    merchant = Merchant.objects.get(slug=DEMO_SLUG)
    assert merchant.unit_system == "imperial"
    boxes = list(BoxPreset.objects.for_merchant(merchant))
    assert len(boxes) == len(DEMO_BOXES)
    own_boxes = {row.product_id: row.box for row in ProductBox.objects.for_merchant(merchant)}
    assert own_boxes
    for product in Product.objects.for_merchant(merchant):
        item = Item(
            product.pk, product.weight_g, product.length_mm, product.width_mm,
            product.height_mm, 1,
        )  # fmt: skip
        chosen = choose_box(
            items=[item], boxes=boxes, product_defaults=own_boxes, point_default=None
        )
        assert chosen.box is not None, (product.sku, items_block([item]))
        if product.sku.startswith("POSTER-"):
            assert chosen.box.name.startswith("Poster tube") and "own box" in chosen.why
