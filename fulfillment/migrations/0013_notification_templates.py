"""Slot for helper desk-brand (#19); the helper fills in its operations and this docstring."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0012_checkout_rules"),
    ]

    operations: list = []
