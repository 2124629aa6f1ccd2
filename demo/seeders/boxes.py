"""The demo shop's boxes (Settings → Boxes): three cartons (the smallest that fits is chosen)
and a poster tube, the posters' own box."""

from __future__ import annotations

from fulfillment.models import BoxPreset, ProductBox
from merchant.models import Merchant, Product

# name, inside length, width, height (mm), empty weight (g), most it may weigh packed (g)
DEMO_BOXES = [
    ("Small mailer (9×6×2 in)", 229, 152, 51, 60, 4_500),
    ("Medium box (12×10×6 in)", 305, 254, 152, 230, 13_600),
    ("Large box (18×14×12 in)", 457, 356, 305, 540, 27_200),
    ("Poster tube (26×4×4 in)", 660, 102, 102, 150, 2_000),
]
# Products that ship in their own box (Settings → Boxes → "First box for these products").
PRODUCT_BOXES = {"Poster tube (26×4×4 in)": "POSTER-"}


def ensure_demo_boxes(*, merchant: Merchant) -> int:
    """Adds the boxes the shop does not have yet (by name); returns how many it added."""
    have = set(BoxPreset.objects.for_merchant(merchant).values_list("name", flat=True))
    made = [
        BoxPreset(
            merchant=merchant,
            name=name,
            inner_length_mm=length,
            inner_width_mm=width,
            inner_height_mm=height,
            empty_weight_g=empty,
            max_weight_g=most,
        )
        for name, length, width, height, empty, most in DEMO_BOXES
        if name not in have
    ]
    BoxPreset.objects.bulk_create(made)
    boxes = {b.name: b for b in BoxPreset.objects.for_merchant(merchant)}
    for name, prefix in PRODUCT_BOXES.items():
        for product in Product.objects.for_merchant(merchant).filter(sku__startswith=prefix):
            ProductBox.objects.get_or_create(
                product=product, defaults={"merchant": merchant, "box": boxes[name]}
            )
    return len(made)
