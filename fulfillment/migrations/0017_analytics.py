"""Analytics daily rollups (#20 item 2): the day, ZIP-day and reason-day tables and the dirty-day
queue, the per-order contributions and the dirty-order
queue (fulfillment/models/analytics.py)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0016_fleet"),
        ("merchant", "0005_branding"),
    ]

    operations = [
        migrations.CreateModel(
            name="AnalyticsDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("point_id", models.BigIntegerField(null=True)),
                ("account_id", models.BigIntegerField(null=True)),
                ("own_fleet", models.BooleanField(default=False)),
                ("service_id", models.BigIntegerField(null=True)),
                ("channel", models.CharField(max_length=12)),
                ("delivery_kind", models.CharField(max_length=12)),
                ("orders", models.BigIntegerField(default=0)),
                ("order_value_minor", models.BigIntegerField(default=0)),
                ("shipments", models.BigIntegerField(default=0)),
                ("parcels", models.BigIntegerField(default=0)),
                ("label_spend_minor", models.BigIntegerField(default=0)),
                ("voids", models.BigIntegerField(default=0)),
                ("voided_spend_minor", models.BigIntegerField(default=0)),
                ("delivered", models.BigIntegerField(default=0)),
                ("delivered_with_promise", models.BigIntegerField(default=0)),
                ("on_time", models.BigIntegerField(default=0)),
                ("first_attempt_success", models.BigIntegerField(default=0)),
                ("failed_attempts", models.BigIntegerField(default=0)),
                ("stuck", models.BigIntegerField(default=0)),
                ("exceptions", models.BigIntegerField(default=0)),
                ("exceptions_resolved", models.BigIntegerField(default=0)),
                ("exception_resolve_seconds", models.BigIntegerField(default=0)),
                ("pickup_orders", models.BigIntegerField(default=0)),
                ("locker_orders", models.BigIntegerField(default=0)),
                ("shop_orders", models.BigIntegerField(default=0)),
                ("collected", models.BigIntegerField(default=0)),
                ("collection_seconds", models.BigIntegerField(default=0)),
                ("expired", models.BigIntegerField(default=0)),
                ("returned", models.BigIntegerField(default=0)),
                ("allocated_orders", models.BigIntegerField(default=0)),
                ("nearest_point_orders", models.BigIntegerField(default=0)),
                ("split_orders", models.BigIntegerField(default=0)),
                ("distance_m", models.BigIntegerField(default=0)),
                ("same_day", models.BigIntegerField(default=0)),
                ("transit_d0", models.BigIntegerField(default=0)),
                ("transit_d1", models.BigIntegerField(default=0)),
                ("transit_d2", models.BigIntegerField(default=0)),
                ("transit_d3", models.BigIntegerField(default=0)),
                ("transit_d4", models.BigIntegerField(default=0)),
                ("transit_d5", models.BigIntegerField(default=0)),
                ("transit_d6", models.BigIntegerField(default=0)),
                ("transit_d7", models.BigIntegerField(default=0)),
                ("transit_d8", models.BigIntegerField(default=0)),
                ("transit_d9", models.BigIntegerField(default=0)),
                ("transit_d10", models.BigIntegerField(default=0)),
                ("transit_d11", models.BigIntegerField(default=0)),
                ("transit_d12", models.BigIntegerField(default=0)),
                ("transit_d13", models.BigIntegerField(default=0)),
                ("transit_d14", models.BigIntegerField(default=0)),
                ("transit_d15", models.BigIntegerField(default=0)),
                ("o2d_d0", models.BigIntegerField(default=0)),
                ("o2d_d1", models.BigIntegerField(default=0)),
                ("o2d_d2", models.BigIntegerField(default=0)),
                ("o2d_d3", models.BigIntegerField(default=0)),
                ("o2d_d4", models.BigIntegerField(default=0)),
                ("o2d_d5", models.BigIntegerField(default=0)),
                ("o2d_d6", models.BigIntegerField(default=0)),
                ("o2d_d7", models.BigIntegerField(default=0)),
                ("o2d_d8", models.BigIntegerField(default=0)),
                ("o2d_d9", models.BigIntegerField(default=0)),
                ("o2d_d10", models.BigIntegerField(default=0)),
                ("o2d_d11", models.BigIntegerField(default=0)),
                ("o2d_d12", models.BigIntegerField(default=0)),
                ("o2d_d13", models.BigIntegerField(default=0)),
                ("o2d_d14", models.BigIntegerField(default=0)),
                ("o2d_d15", models.BigIntegerField(default=0)),
                (
                    "merchant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="merchant.merchant",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["merchant", "day"], name="analytics_day")],
            },
        ),
        migrations.CreateModel(
            name="AnalyticsDirtyDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("marked_at", models.DateTimeField()),
                (
                    "merchant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="merchant.merchant",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("merchant", "day"), name="analytics_dirty_day_unique"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="AnalyticsReasonDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("point_id", models.BigIntegerField(null=True)),
                ("account_id", models.BigIntegerField(null=True)),
                ("own_fleet", models.BooleanField(default=False)),
                ("service_id", models.BigIntegerField(null=True)),
                ("channel", models.CharField(max_length=12)),
                ("delivery_kind", models.CharField(max_length=12)),
                ("zip", models.CharField(max_length=12)),
                (
                    "kind",
                    models.CharField(
                        choices=[("failed_attempt", "Failed attempt"), ("exception", "Exception")],
                        max_length=16,
                    ),
                ),
                ("reason", models.CharField(max_length=64)),
                ("count", models.BigIntegerField(default=0)),
                (
                    "merchant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="merchant.merchant",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["merchant", "day"], name="analytics_reason_day")],
            },
        ),
        migrations.CreateModel(
            name="AnalyticsZipDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("point_id", models.BigIntegerField(null=True)),
                ("account_id", models.BigIntegerField(null=True)),
                ("own_fleet", models.BooleanField(default=False)),
                ("service_id", models.BigIntegerField(null=True)),
                ("channel", models.CharField(max_length=12)),
                ("delivery_kind", models.CharField(max_length=12)),
                ("orders", models.BigIntegerField(default=0)),
                ("order_value_minor", models.BigIntegerField(default=0)),
                ("shipments", models.BigIntegerField(default=0)),
                ("parcels", models.BigIntegerField(default=0)),
                ("label_spend_minor", models.BigIntegerField(default=0)),
                ("voids", models.BigIntegerField(default=0)),
                ("voided_spend_minor", models.BigIntegerField(default=0)),
                ("delivered", models.BigIntegerField(default=0)),
                ("delivered_with_promise", models.BigIntegerField(default=0)),
                ("on_time", models.BigIntegerField(default=0)),
                ("first_attempt_success", models.BigIntegerField(default=0)),
                ("failed_attempts", models.BigIntegerField(default=0)),
                ("stuck", models.BigIntegerField(default=0)),
                ("exceptions", models.BigIntegerField(default=0)),
                ("exceptions_resolved", models.BigIntegerField(default=0)),
                ("exception_resolve_seconds", models.BigIntegerField(default=0)),
                ("pickup_orders", models.BigIntegerField(default=0)),
                ("locker_orders", models.BigIntegerField(default=0)),
                ("shop_orders", models.BigIntegerField(default=0)),
                ("collected", models.BigIntegerField(default=0)),
                ("collection_seconds", models.BigIntegerField(default=0)),
                ("expired", models.BigIntegerField(default=0)),
                ("returned", models.BigIntegerField(default=0)),
                ("allocated_orders", models.BigIntegerField(default=0)),
                ("nearest_point_orders", models.BigIntegerField(default=0)),
                ("split_orders", models.BigIntegerField(default=0)),
                ("distance_m", models.BigIntegerField(default=0)),
                ("same_day", models.BigIntegerField(default=0)),
                ("transit_d0", models.BigIntegerField(default=0)),
                ("transit_d1", models.BigIntegerField(default=0)),
                ("transit_d2", models.BigIntegerField(default=0)),
                ("transit_d3", models.BigIntegerField(default=0)),
                ("transit_d4", models.BigIntegerField(default=0)),
                ("transit_d5", models.BigIntegerField(default=0)),
                ("transit_d6", models.BigIntegerField(default=0)),
                ("transit_d7", models.BigIntegerField(default=0)),
                ("transit_d8", models.BigIntegerField(default=0)),
                ("transit_d9", models.BigIntegerField(default=0)),
                ("transit_d10", models.BigIntegerField(default=0)),
                ("transit_d11", models.BigIntegerField(default=0)),
                ("transit_d12", models.BigIntegerField(default=0)),
                ("transit_d13", models.BigIntegerField(default=0)),
                ("transit_d14", models.BigIntegerField(default=0)),
                ("transit_d15", models.BigIntegerField(default=0)),
                ("o2d_d0", models.BigIntegerField(default=0)),
                ("o2d_d1", models.BigIntegerField(default=0)),
                ("o2d_d2", models.BigIntegerField(default=0)),
                ("o2d_d3", models.BigIntegerField(default=0)),
                ("o2d_d4", models.BigIntegerField(default=0)),
                ("o2d_d5", models.BigIntegerField(default=0)),
                ("o2d_d6", models.BigIntegerField(default=0)),
                ("o2d_d7", models.BigIntegerField(default=0)),
                ("o2d_d8", models.BigIntegerField(default=0)),
                ("o2d_d9", models.BigIntegerField(default=0)),
                ("o2d_d10", models.BigIntegerField(default=0)),
                ("o2d_d11", models.BigIntegerField(default=0)),
                ("o2d_d12", models.BigIntegerField(default=0)),
                ("o2d_d13", models.BigIntegerField(default=0)),
                ("o2d_d14", models.BigIntegerField(default=0)),
                ("o2d_d15", models.BigIntegerField(default=0)),
                ("zip", models.CharField(max_length=12)),
                (
                    "merchant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="merchant.merchant",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["merchant", "day"], name="analytics_zip_day"),
                    models.Index(fields=["merchant", "zip", "day"], name="analytics_zip_by_zip"),
                ],
            },
        ),
        migrations.CreateModel(
            name="AnalyticsDirtyOrder",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("order_id", models.BigIntegerField(unique=True)),
                ("marked_at", models.DateTimeField()),
                (
                    "merchant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="merchant.merchant",
                    ),
                ),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="AnalyticsOrderRollup",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("order_id", models.BigIntegerField(unique=True)),
                ("day", models.DateField()),
                ("zip", models.CharField(max_length=12)),
                ("rows", models.JSONField(default=dict)),
                (
                    "merchant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="merchant.merchant",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["merchant", "day"], name="analytics_order_day")],
            },
        ),
    ]
