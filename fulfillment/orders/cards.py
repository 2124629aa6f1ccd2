"""Today's work on the merchant's Today page (registered in FulfillmentConfig.ready()): orders
to pick, to pack and to hand over across every storage point, each linking to Today's work."""

from __future__ import annotations

from django.urls import reverse

from fulfillment.orders.selectors.today import work_counts
from merchant.dashboard_cards import Card
from merchant.models import Merchant


def work_cards(merchant: Merchant) -> list[Card]:
    counts = work_counts(merchant)
    url = reverse("orders_today")
    totals = {
        "To pick": sum(w.to_pick for w in counts),
        "To pack": sum(w.to_pack for w in counts),
        "To hand over": sum(w.to_hand_over for w in counts),
    }
    return [Card(label=label, count=n, url=url, work=True) for label, n in totals.items()]
