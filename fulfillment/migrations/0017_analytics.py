"""Analytics daily rollups (#20 item 2). A slot: filled by the work that owns fulfillment/models/analytics.py."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0016_fleet"),
    ]

    operations: list = []
