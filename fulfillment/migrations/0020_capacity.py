"""Capacity advice: courier pick-ups booked per point (#20 item 5)."""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0019_exception_actions"),
        ("merchant", "0005_branding"),
    ]

    operations = [
        migrations.CreateModel(
            name="CourierPickup",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("weekdays", models.JSONField(blank=True, default=list)),
                ("dates", models.JSONField(blank=True, default=list)),
                (
                    "max_parcels",
                    models.PositiveIntegerField(
                        help_text="The most parcels this pick-up takes.",
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(100000),
                        ],
                    ),
                ),
                (
                    "pickup_time",
                    models.TimeField(blank=True, help_text="Local time at the point.", null=True),
                ),
                ("note", models.CharField(blank=True, max_length=200)),
                ("is_active", models.BooleanField(default=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="pickups",
                        to="fulfillment.courieraccount",
                    ),
                ),
                (
                    "merchant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="merchant.merchant",
                    ),
                ),
                (
                    "point",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="courier_pickups",
                        to="merchant.storagepoint",
                    ),
                ),
            ],
            options={
                "ordering": ["point_id", "pickup_time", "pk"],
                "indexes": [
                    models.Index(fields=["merchant", "point"], name="capacity_pickup_point")
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("max_parcels__gte", 1)),
                        name="capacity_pickup_parcels_positive",
                    )
                ],
            },
        ),
    ]
