"""Data that grows (#21): an index on ShipmentEvent.created_at for the retention task's thinning
of long-finished shipments (fulfillment/housekeeping), built CONCURRENTLY on PostgreSQL so that
tracking keeps inserting events while it is built (bench/migrations_hot.py measures it)."""

from django.db import migrations, models

from fulfillment.housekeeping.operations import AddIndexConcurrentlyIfPostgres


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("fulfillment", "0014_returns_portal"),
    ]

    operations: list = [
        AddIndexConcurrentlyIfPostgres(
            model_name="shipmentevent",
            index=models.Index(fields=["created_at"], name="shipment_event_age"),
        ),
    ]
