"""Capacity advice: courier pick-ups booked per point (#20 item 5). A slot: filled by the work that owns fulfillment/models/capacity.py."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0019_exception_actions"),
    ]

    operations: list = []
