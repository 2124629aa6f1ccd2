"""The dashboard's main navigation: (key, label, url name, url args). Views set `nav_active`
to the key of their area; a capability that lands replaces its placeholder url here."""

from django.urls import reverse

MAIN_NAV = [
    ("today", "Today", "dashboard", ()),
    ("work", "Today's work", "orders_today", ()),
    ("orders", "Orders", "orders", ()),
    ("inventory", "Inventory", "inventory", ()),
    ("storage-points", "Storage points", "points", ()),
    ("placement", "Placement", "placement", ()),
    ("demand", "Demand", "demand", ()),
    ("couriers", "Couriers", "couriers", ()),
    ("shipments", "Shipments", "shipments", ()),
    ("returns", "Returns", "returns", ()),
    ("fleet", "Fleet", "fleet_drivers", ()),
    ("capacity", "Capacity", "capacity", ()),
    ("pickup-network", "Pickup network", "pickup_network", ()),
    ("labels", "Labels", "label_batches", ()),
    ("analytics", "Analytics", "analytics", ()),
]
SECONDARY_NAV = [
    ("jobs", "Jobs", "jobs", ()),
    ("settings", "Settings", "settings_merchant", ()),
]


def nav_links(entries: list[tuple]) -> list[dict]:
    return [
        {"key": key, "label": label, "url": reverse(name, args=args)}
        for key, label, name, args in entries
    ]
