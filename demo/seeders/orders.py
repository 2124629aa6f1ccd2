"""Today's orders for the demo shop: ~40 across Chicago ZIP codes, in every status, a few with
address problems. Idempotent: does nothing if today's demo orders exist."""

from __future__ import annotations

import random

from fulfillment.models import Order
from fulfillment.orders.services.orders import advance_order, cancel_order, create_order
from fulfillment.orders.services.routing import Unroutable
from merchant.models import Merchant, Product
from merchant.selectors.demand import merchant_today

ZIPS = [
    "60601", "60602", "60605", "60607", "60608", "60610", "60611", "60612", "60613", "60614",
    "60615", "60616", "60618", "60622", "60625", "60626", "60630", "60637", "60640", "60641",
    "60642", "60647", "60651", "60654", "60657", "60660", "60661",
]  # fmt: skip
STREETS = ["N Clark St", "W Division St", "N Milwaukee Ave", "S Halsted St", "W Belmont Ave"]
NAMES = ["Ava", "Liam", "Noah", "Mia", "Zoe", "Omar", "Ines", "Kofi", "Yuki", "Raj", "Lena"]
# How many orders end in each status (the rest stay allocated, waiting to be picked).
PLAN = [
    ("delivered", 5),
    ("handed_over", 5),
    ("packed", 6),
    ("picked", 7),
    ("cancelled", 1),
    ("returned", 1),
]
ORDERS = 40
PATH = {
    "picked": ["picked"],
    "packed": ["picked", "packed"],
    "handed_over": ["picked", "packed", "handed_over"],
    "delivered": ["picked", "packed", "handed_over", "delivered"],
    "returned": ["picked", "packed", "handed_over", "delivered", "returned"],
}


def seed_demo_orders(*, merchant: Merchant) -> str:
    """Today's ~40 demo orders (idempotent); returns one line saying what it did."""
    today = merchant_today(merchant)
    prefix = f"DEMO-{today:%Y%m%d}-"
    if Order.objects.for_merchant(merchant).filter(reference__startswith=prefix).exists():
        return "Today's demo orders exist already."
    products = list(Product.objects.for_merchant(merchant).filter(is_active=True))
    if not products:
        raise ValueError("The demo shop has no products: seed the merchant first.")
    rng = random.Random(today.toordinal())
    made = []
    for n in range(ORDERS):
        order = _order(merchant, products, rng, prefix, n)
        if order is not None:
            made.append(order)
    # Orders with address problems stay allocated (they wait in Exceptions).
    movable = [o for o in made if o.address_status == Order.AddressStatus.OK]
    start = 0
    for final, count in PLAN:
        for order in movable[start : start + count]:
            if final == "cancelled":
                cancel_order(order=order, user=None, note="Demo: the shopper changed their mind")
                continue
            for step in PATH[final]:
                order = advance_order(order=order, to_status=step, user=None)
        start += count
    flagged = sum(o.address_status == Order.AddressStatus.PROBLEM for o in made)
    return f"{len(made)} demo orders for today, {flagged} with address problems."


def _order(merchant, products, rng, prefix, n) -> Order | None:
    zip_code = ZIPS[n % len(ZIPS)]
    level = rng.choice(["same_day", "next_day", "next_day", "economy"])
    phone = f"312555{n:04d}"
    line1, city = f"{rng.randint(100, 4999)} {rng.choice(STREETS)}", "Chicago"
    if n == 3:  # the ZIP is in Chicago, the city typed is not
        city = "Evanston"
    elif n == 7:  # couriers cannot bring next-day parcels to a PO box
        line1, level = f"PO Box {rng.randint(100, 999)}", "next_day"
    elif n == 11:  # the same-day driver needs a phone number
        phone, level = "", "same_day"
    chosen = rng.sample(products, rng.choice([1, 1, 2, 3]))
    data = {
        "reference": f"{prefix}{n + 1:03d}",
        "shopper": {
            "name": f"{rng.choice(NAMES)} {chr(65 + n % 26)}.",
            "email": f"shopper{n + 1}@example.com",
            "phone": phone,
        },
        "destination": {"line1": line1, "city": city, "state": "IL", "postal_code": zip_code},
        "delivery": {"kind": "home", "service_level": level},
        "lines": [{"sku": p.sku, "quantity": rng.randint(1, 2)} for p in chosen],
    }
    for attempt_level in (level, "next_day"):
        data["delivery"]["service_level"] = attempt_level
        try:
            order, _ = create_order(merchant=merchant, data=data, source=Order.Source.MANUAL)
            return order
        except Unroutable:
            # Past the same-day cut-off (or the points are closed today): ship next day.
            continue
    return None
