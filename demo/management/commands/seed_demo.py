"""`manage.py seed_demo`: the whole demo in one command (what `make run` loads on every start).

The merchant (storage points, products, stock, a year of demand), its couriers, the pickup
network, today's orders and the labels of the shipped ones. Each step is idempotent, so a second
run changes nothing; each is also its own command (`seed_demo_merchant`, `seed_demo_couriers`,
`seed_demo_pickup`, `seed_demo_orders`, `seed_demo_labels`) for loading one part.
"""

from __future__ import annotations

import json
from io import StringIO

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

# In dependency order: every later step needs the merchant.
STEPS = (
    "seed_demo_merchant",
    "seed_demo_couriers",
    "seed_demo_pickup",
    "seed_demo_orders",
    "seed_demo_labels",  # shipments with labels for the shipped demo orders
)


class Command(BaseCommand):
    help = "Load the whole demo: merchant, couriers, pickup network, orders, labels (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--json", action="store_true", help="Print only the merchant's login and keys."
        )

    def handle(self, *args, **options) -> None:
        summary: dict = {}
        for step in STEPS:
            out = StringIO()
            if step == "seed_demo_merchant":
                call_command(step, "--json", stdout=out)
                summary = json.loads(out.getvalue().strip().splitlines()[-1])
                line = f"Demo merchant {summary['name']} ready."
            else:
                call_command(step, stdout=out)
                line = out.getvalue().strip()
            if not options["json"]:
                self.stdout.write(line)
        if options["json"]:
            self.stdout.write(json.dumps(summary))
        else:
            self.stdout.write(f"Sign in as {summary['email']} / {summary['password']}")
