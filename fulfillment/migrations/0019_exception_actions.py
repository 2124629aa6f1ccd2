"""One-click exception actions: redirect, reschedule, shopper self-service (#20 item 4). A slot: filled by the work that owns fulfillment/models/redirects.py."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0018_address_risk"),
    ]

    operations: list = []
