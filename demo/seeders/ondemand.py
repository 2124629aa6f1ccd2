"""The demo's on-demand courier: a Stuart account whose API is the courier sandbox, and a
same-day order it is carrying, so the shopper's tracking page shows the courier approaching.

It needs the sandbox running (booking is a real call to it), so `make run` loads this part
after starting it (`seed_demo --only ondemand`; config/devrun.py). Each run tells the sandbox
where to post Stuart's webhooks (the sandbox keeps that in memory) and books a new delivery
unless one is still on its way. The account has no service area: rate shopping never offers
it by itself (its quotes would be live calls to the sandbox during every seeding).
"""

from __future__ import annotations

import datetime as dt

import httpx
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from fulfillment.couriers.adapters.types import TrackingStatus
from fulfillment.couriers.services.accounts import create_account, create_service
from fulfillment.models import CourierAccount, CourierService, Order, Shipment
from fulfillment.orders.services.orders import advance_order, create_order
from fulfillment.orders.services.routing import Unroutable
from fulfillment.shipments.services.booking import book_shipment, idempotency_key
from merchant.models import Merchant, Product

DEMO_ONDEMAND = "Stuart on-demand (sandbox)"
CLIENT_ID = "nearbox-demo"
WEBHOOK_HEADER, WEBHOOK_VALUE = "Authorization", "Bearer demo-stuart-webhook-key"
SHOPPER = {"name": "Rosa Live", "email": "rosa.live@example.com", "phone": "+13125550142"}
# Lakeview: a couple of kilometres from the nearest stocked point (Lincoln Park), a ride to watch.
DESTINATION = {
    "line1": "3000 N Sheffield Ave", "city": "Chicago", "state": "IL", "postal_code": "60657",
}  # fmt: skip


def ensure_ondemand_account(
    *, merchant: Merchant, sandbox_url: str, api_key: str
) -> tuple[CourierAccount, CourierService]:
    """The Stuart account (API at the sandbox) and its same-day bike service; idempotent."""
    with transaction.atomic():
        account = CourierAccount.objects.for_merchant(merchant).filter(name=DEMO_ONDEMAND).first()
        if account is None:
            account = create_account(
                merchant=merchant, courier="stuart", name=DEMO_ONDEMAND, base_url=sandbox_url,
                credentials=f"client_id={CLIENT_ID}\nclient_secret={api_key}\n"
                f"webhook_auth_header={WEBHOOK_HEADER}\nwebhook_auth_value={WEBHOOK_VALUE}",
                requests_per_second=5.0,
            )  # fmt: skip
            create_service(
                account=account, level="same_day", code="bike", name="Same-day bike courier",
                transit_hours=2, pickup_cutoff=dt.time(20), base_minor=750,
            )  # fmt: skip
        service = account.services.filter(code="bike").first()
    return account, service


def point_sandbox_webhooks(*, account: CourierAccount, sandbox_url: str, api_key: str,
                           base_url: str) -> str:  # fmt: skip
    """Set the account's Stuart webhook at the sandbox (URL, authentication header)."""
    url = base_url + reverse("courier_webhook", args=[account.webhook_token])
    with httpx.Client(base_url=sandbox_url, timeout=10) as client:
        token = client.post("/oauth/token", data={
            "grant_type": "client_credentials", "client_id": CLIENT_ID,
            "client_secret": api_key, "scope": "api"})  # fmt: skip
        token.raise_for_status()
        client.post(
            "/v2/webhooks",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
            json={"url": url, "authentication_header": WEBHOOK_HEADER,
                  "authentication_key": WEBHOOK_VALUE, "enabled": True},
        ).raise_for_status()  # fmt: skip
    return url


def on_its_way(account: CourierAccount) -> Shipment | None:
    done = [s.value for s in TrackingStatus if s.is_terminal]
    return (
        Shipment.objects.for_merchant(account.merchant)
        .filter(account=account, cancelled_at__isnull=True)
        .exclude(tracking_number="")
        .exclude(status__in=done)
        .order_by("-pk")
        .first()
    )


def book_live_delivery(*, merchant: Merchant, account: CourierAccount, service) -> Shipment:
    """A new same-day order (next day after the points' cut-off), picked, and its parcel
    booked with the on-demand courier through the Stuart adapter."""
    product = Product.objects.for_merchant(merchant).filter(is_active=True).order_by("pk").first()
    if product is None:
        raise ValueError("The demo shop has no products: seed the merchant first.")
    reference = f"DEMO-LIVE-{timezone.now():%Y%m%d%H%M%S}"
    order = None
    for level in ("same_day", "next_day"):
        data = {
            "reference": reference, "shopper": SHOPPER, "destination": DESTINATION,
            "delivery": {"kind": "home", "service_level": level},
            "lines": [{"sku": product.sku, "quantity": 1}],
        }  # fmt: skip
        try:
            order, _ = create_order(merchant=merchant, data=data, source=Order.Source.MANUAL)
            break
        except Unroutable:
            continue
    if order is None:
        raise ValueError("The demo shop cannot route the live delivery's order today.")
    order = advance_order(order=order, to_status="picked", user=None)
    shipment = Shipment.objects.create(
        merchant=merchant, order=order, account=account, service=service,
        idempotency_key=idempotency_key(order), price_minor=service.base_minor,
        currency=account.currency, chosen_by=Shipment.ChosenBy.STAFF,
        why="Demo: the shop called an on-demand courier for this order",
    )  # fmt: skip
    return book_shipment(shipment_id=shipment.pk)


def seed_ondemand(*, merchant: Merchant, sandbox_url: str, api_key: str, base_url: str) -> str:
    """The whole part; returns one line with the tracking page to open."""
    account, service = ensure_ondemand_account(
        merchant=merchant, sandbox_url=sandbox_url, api_key=api_key
    )
    point_sandbox_webhooks(
        account=account, sandbox_url=sandbox_url, api_key=api_key, base_url=base_url
    )
    shipment = on_its_way(account) or book_live_delivery(
        merchant=merchant, account=account, service=service
    )
    if not shipment.tracking_number:
        return f"On-demand demo: the booking failed ({shipment.last_error or 'no answer'})."
    page = base_url + reverse("tracking_page", args=[shipment.public_token])
    return f"On-demand demo: a courier is on the way with order {shipment.order.reference}: {page}"
