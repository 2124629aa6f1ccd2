"""`manage.py seed_demo`: the whole demo in one command (what `make run` loads on every start).

The merchant (storage points, products, stock, a year of demand), its couriers, the pickup
network, today's orders, the labels of the shipped ones and the demo shop's WooCommerce
connection. Each part is idempotent, so a second run changes nothing; `--only PART`
(repeatable) loads some parts, in dependency order.
"""

from __future__ import annotations

import json
import os

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.seeders.merchant import DEMO_SLUG
from merchant.models import Merchant

# In dependency order: every later part needs the merchant.
PARTS = (
    "merchant", "boxes", "couriers", "pickup", "orders", "labels", "returns", "woocommerce",
    "fleet", "capacity", "analytics",
)  # fmt: skip
# Loaded only when asked for (--only): it books at the running courier sandbox (make run
# loads it once the sandbox answers).
ON_REQUEST = ("ondemand",)


class Command(BaseCommand):
    help = "Load the demo: merchant, couriers, pickup network, orders, labels (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--json", action="store_true", help="Print only the merchant's login and keys."
        )
        parser.add_argument(
            "--only",
            action="append",
            choices=PARTS + ON_REQUEST,
            help="Load only this part (repeatable); the merchant must exist for the others.",
        )
        port = os.environ.get("SANDBOX_PORT", "8765")
        parser.add_argument(
            "--sandbox-url",
            default=f"http://127.0.0.1:{port}",
            help="Where the demo's sandbox courier answers.",
        )

    def handle(self, *args, **options) -> None:
        parts = [part for part in PARTS + ON_REQUEST if part in (options["only"] or PARTS)]
        self.summary: dict = {}  # the merchant's login and keys, once its part ran
        for part in parts:
            line = getattr(self, f"_seed_{part}")(options)
            if not options["json"]:
                self.stdout.write(line)
        if options["json"]:
            self.stdout.write(json.dumps(self.summary))
        elif self.summary:
            self.stdout.write(f"Sign in as {self.summary['email']} / {self.summary['password']}")

    @staticmethod
    def _merchant() -> Merchant:
        merchant = Merchant.objects.filter(slug=DEMO_SLUG).first()
        if merchant is None:
            raise CommandError(f"No demo merchant {DEMO_SLUG!r}: run `manage.py seed_demo` first.")
        return merchant

    def _seed_merchant(self, options: dict) -> str:
        from demo.seeders.merchant import seed_demo

        self.summary = seed_demo().as_dict()
        return f"Demo merchant {self.summary['name']} ready."

    def _seed_boxes(self, options: dict) -> str:
        from demo.seeders.boxes import ensure_demo_boxes

        made = ensure_demo_boxes(merchant=self._merchant())
        return f"Demo boxes: {made} added (Settings → Boxes)."

    def _seed_couriers(self, options: dict) -> str:
        from demo.seeders.couriers import ensure_demo_couriers

        accounts = ensure_demo_couriers(
            merchant=self._merchant(), sandbox_url=options["sandbox_url"]
        )
        return f"Demo couriers ready: {', '.join(a.name for a in accounts)}"

    def _seed_pickup(self, options: dict) -> str:
        from demo.seeders.pickup import seed_pickup_network

        merchant = self._merchant()
        made = seed_pickup_network(merchant=merchant)
        return (
            f"{made['lockers']} locker banks ({made['compartments']} compartments) and "
            f"{made['shops']} pickup shops added to {merchant.name}."
        )

    def _seed_orders(self, options: dict) -> str:
        from demo.seeders.orders import seed_demo_orders

        try:
            return seed_demo_orders(merchant=self._merchant())
        except ValueError as exc:
            raise CommandError(str(exc)) from exc

    def _seed_ondemand(self, options: dict) -> str:
        import httpx
        from django.conf import settings

        from demo.seeders.ondemand import seed_ondemand
        from fulfillment.couriers.adapters.errors import CourierError

        try:
            return seed_ondemand(
                merchant=self._merchant(),
                sandbox_url=options["sandbox_url"],
                api_key=os.environ.get("SANDBOX_API_KEY", "sandbox-key"),
                base_url=settings.NEARBOX_BASE_URL,
            )
        except (httpx.HTTPError, CourierError, ValueError) as exc:  # no sandbox, no stock
            raise CommandError(f"On-demand demo not loaded: {exc}") from exc

    def _seed_returns(self, options: dict) -> str:
        from demo.seeders.returns import ensure_demo_returns

        made = ensure_demo_returns(merchant=self._merchant())
        return f"Demo returns: {made} added (Returns)."

    def _seed_woocommerce(self, options: dict) -> str:
        from demo.seeders.woocommerce import ensure_demo_store

        store = ensure_demo_store(merchant=self._merchant())
        # config/devrun.py starts the demo shop with these (its webhook and API key).
        self.summary["woocommerce"] = store
        return f"Demo shop connected to Nearbox as a WooCommerce store at {store['shop_url']}."

    def _seed_fleet(self, options: dict) -> str:
        from demo.seeders.fleet import ensure_demo_fleet

        try:
            return ensure_demo_fleet(merchant=self._merchant())
        except ValueError as exc:
            raise CommandError(str(exc)) from exc

    def _seed_capacity(self, options: dict) -> str:
        from demo.seeders.capacity import ensure_demo_capacity

        return ensure_demo_capacity(merchant=self._merchant())

    def _seed_analytics(self, options: dict) -> str:
        from demo.seeders.analytics import ensure_demo_analytics

        return ensure_demo_analytics(merchant=self._merchant())

    def _seed_labels(self, options: dict) -> str:
        from demo.seeders.labels import ensure_demo_labels

        result = ensure_demo_labels(merchant=self._merchant())
        return (
            f"Demo labels: {result.shipments_made} shipments made, {result.labels_made} labels "
            f"stored, {result.skipped} could not be printed."
        )
