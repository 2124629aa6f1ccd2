"""Slot for helper desk-rules (#19); the helper fills in its operations and this docstring."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0011_boxes_void"),
    ]

    operations: list = []
