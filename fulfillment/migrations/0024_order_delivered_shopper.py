"""Two partial indexes on delivered orders, by shopper email (as `iexact` compares it) and by
phone. Address risk asks at every order's intake whether its shopper had a parcel delivered
before (fulfillment.risk.services.is_new_customer); for a new shopper PostgreSQL walked every
delivered order of the merchant: 142 ms at 300,000 of them. Built CONCURRENTLY on PostgreSQL:
orders keep coming in meanwhile."""

from django.db import migrations, models
from django.db.models.functions import Upper

from fulfillment.housekeeping.operations import AddIndexConcurrentlyIfPostgres


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("fulfillment", "0023_shipment_event_counted"),
    ]

    operations: list = [
        AddIndexConcurrentlyIfPostgres(
            model_name="order",
            index=models.Index(
                models.F("merchant"),
                Upper("shopper_email"),
                condition=models.Q(("status", "delivered")),
                name="order_delivered_email",
            ),
        ),
        AddIndexConcurrentlyIfPostgres(
            model_name="order",
            index=models.Index(
                condition=models.Q(("status", "delivered")),
                fields=["merchant", "shopper_phone"],
                name="order_delivered_phone",
            ),
        ),
    ]
