import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from merchant.services.merchants import create_merchant
from merchant.services.shopify import shopify_callback_url


class Command(BaseCommand):
    help = "Create a merchant and its owner; print one JSON object with ids and the new keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--time-zone", default="UTC")
        parser.add_argument("--currency", default="USD")

    def handle(self, *args, **options) -> None:
        try:
            new = create_merchant(
                name=options["name"],
                owner_email=options["email"],
                owner_password=options["password"],
                time_zone=options["time_zone"],
                currency=options["currency"],
                issue_keys=True,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(json.dumps(merchant_summary(new)))


def merchant_summary(new) -> dict:
    return {
        "merchant_id": new.merchant.pk,
        "slug": new.merchant.slug,
        "name": new.merchant.name,
        "owner_email": new.owner.email,
        "secret_api_key": new.secret_key.raw if new.secret_key else None,
        "publishable_key": new.publishable_key.raw if new.publishable_key else None,
        "shopify_callback_url": shopify_callback_url(new.merchant),
    }
