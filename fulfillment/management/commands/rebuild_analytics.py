"""`manage.py rebuild_analytics [MERCHANT_ID ...] [--from DATE --to DATE]`: recompute the
analytics rollups from the source rows (all merchants when none is named; by default each
merchant's whole order history). Idempotent: running it twice leaves what running it once did."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fulfillment.analytics.services.rollups import rebuild
from merchant.models import Merchant


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = "Recompute the analytics daily rollups from orders, shipments and events."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("merchant_ids", nargs="*", type=int)
        parser.add_argument("--from", dest="date_from", type=_date)
        parser.add_argument("--to", dest="date_to", type=_date)

    def handle(self, *args, merchant_ids: list[int], date_from, date_to, **options) -> None:
        if (date_from is None) != (date_to is None):
            raise CommandError("Give both --from and --to, or neither.")
        if date_from and date_to and date_to < date_from:
            raise CommandError("--to is before --from.")
        merchants = Merchant.objects.order_by("pk")
        if merchant_ids:
            merchants = merchants.filter(pk__in=merchant_ids)
            missing = set(merchant_ids) - set(merchants.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"No merchant with id {', '.join(map(str, sorted(missing)))}.")
        for merchant in merchants:
            days = rebuild(merchant=merchant, date_from=date_from, date_to=date_to)
            self.stdout.write(f"{merchant.name}: {days} days rebuilt")
