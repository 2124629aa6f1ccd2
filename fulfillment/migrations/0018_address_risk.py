"""Address risk at checkout (#20 item 3). A slot: filled by the work that owns fulfillment/models/risk.py."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0017_analytics"),
    ]

    operations: list = []
