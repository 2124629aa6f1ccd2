"""Slot for helper ops-data (#21); the helper fills in its operations and this docstring."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0014_returns_portal"),
    ]

    operations: list = []
