"""Slot for helper desk-bulk (#19); the helper fills in its operations and this docstring."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0009_order_source_platforms"),
    ]

    operations: list = []
