from django.core.management.base import BaseCommand, CommandError

from lockers.services.demo import seed_pickup_network
from merchant.models import Merchant


class Command(BaseCommand):
    help = "Add demo locker banks and pickup shops across Chicago to a merchant (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--merchant", default="windy-city-goods", help="The merchant's slug.")

    def handle(self, *args, merchant: str, **options):
        found = Merchant.objects.filter(slug=merchant).first()
        if found is None:
            raise CommandError(f"No merchant {merchant!r}: run `manage.py seed_demo` first.")
        made = seed_pickup_network(merchant=found)
        self.stdout.write(
            f"{made['lockers']} locker banks ({made['compartments']} compartments) and "
            f"{made['shops']} pickup shops added to {found.name}."
        )
