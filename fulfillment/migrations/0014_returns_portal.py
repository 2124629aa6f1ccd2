"""Slot for helper desk-returns (#19); the helper fills in its operations and this docstring."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0013_notification_templates"),
    ]

    operations: list = []
