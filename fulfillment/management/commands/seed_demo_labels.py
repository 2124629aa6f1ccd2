"""Shipments with stored labels for the demo shop's shipped orders (idempotent)."""

from django.core.management.base import BaseCommand, CommandError

from fulfillment.services.demo_labels import ensure_demo_labels
from merchant.models import Merchant

DEMO_SLUG = "windy-city-goods"


class Command(BaseCommand):
    help = "Give the demo shop's shipped orders a shipment and a label (idempotent)."

    def handle(self, *args, **options) -> None:
        merchant = Merchant.objects.filter(slug=DEMO_SLUG).first()
        if merchant is None:
            raise CommandError(f"No demo merchant {DEMO_SLUG!r}: run `manage.py seed_demo` first.")
        result = ensure_demo_labels(merchant=merchant)
        self.stdout.write(
            f"Demo labels: {result.shipments_made} shipments made, {result.labels_made} labels "
            f"stored, {result.skipped} could not be printed."
        )
