import os

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fulfillment.services.couriers import ensure_demo_couriers
from merchant.models import Merchant
from merchant.services.demo import DEMO_SLUG


class Command(BaseCommand):
    help = "Give the demo merchant its couriers: the sandbox and a local courier (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        port = os.environ.get("SANDBOX_PORT", "8765")
        parser.add_argument("--sandbox-url", default=f"http://127.0.0.1:{port}")

    def handle(self, *args, **options) -> None:
        merchant = Merchant.objects.filter(slug=DEMO_SLUG).first()
        if merchant is None:
            raise CommandError(f"No demo merchant {DEMO_SLUG!r}: run `manage.py seed_demo` first.")
        accounts = ensure_demo_couriers(merchant=merchant, sandbox_url=options["sandbox_url"])
        self.stdout.write(f"Demo couriers ready: {', '.join(a.name for a in accounts)}")
