"""A partial index on the events the analytics rollups count (failed attempts, exceptions,
ready for pickup: about one in ten), by shipment. The fold reads them for a few hundred
shipments a minute; without it PostgreSQL visited every event of those shipments to filter on
the status. Built CONCURRENTLY on PostgreSQL: tracking keeps inserting events meanwhile."""

from django.db import migrations, models

from fulfillment.housekeeping.operations import AddIndexConcurrentlyIfPostgres


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("fulfillment", "0022_analytics_compact_contributions"),
    ]

    operations: list = [
        AddIndexConcurrentlyIfPostgres(
            model_name="shipmentevent",
            index=models.Index(
                condition=models.Q(
                    ("status__in", ("failed_attempt", "exception", "available_for_pickup"))
                ),
                fields=["shipment"],
                name="shipment_event_counted",
            ),
        ),
    ]
