"""Slot for helper desk-brand (#19); the helper fills in its operations and this docstring."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("merchant", "0004_merchant_unit_system"),
    ]

    operations: list = []
