"""One-click exception actions: redirect, reschedule, shopper self-service (#20 item 4)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0018_address_risk"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="DeliveryReschedule",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "requested_by",
                    models.CharField(
                        choices=[
                            ("staff", "Staff"),
                            ("shopper", "Shopper"),
                            ("driver", "Driver (failed stop)"),
                        ],
                        max_length=8,
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("from_promised_from", models.DateTimeField(blank=True, null=True)),
                ("from_promised_until", models.DateTimeField(blank=True, null=True)),
                ("day", models.DateField()),
                (
                    "courier_told",
                    models.CharField(
                        choices=[
                            ("yes", "Courier told"),
                            ("not_supported", "Not supported: tell the courier"),
                            ("failed", "Failed: tell the courier"),
                            ("own_fleet", "Own fleet: driver instruction reissued"),
                        ],
                        max_length=14,
                    ),
                ),
                ("courier_note", models.CharField(blank=True, max_length=300)),
                ("notified_at", models.DateTimeField(blank=True, null=True)),
                (
                    "merchant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="merchant.merchant",
                    ),
                ),
                (
                    "order",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="fulfillment.order",
                    ),
                ),
                (
                    "requested_by_user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "shipment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="fulfillment.shipment",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-pk"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("shipment", "day"), name="one_reschedule_per_day"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="ExceptionRules",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "shopper_redirect",
                    models.BooleanField(
                        default=True,
                        verbose_name="Shoppers may send their parcel to a locker or shop",
                    ),
                ),
                (
                    "shopper_reschedule",
                    models.BooleanField(
                        default=True, verbose_name="Shoppers may pick another delivery day"
                    ),
                ),
                (
                    "before_out_for_delivery",
                    models.BooleanField(
                        default=True, verbose_name="Allowed before the parcel is out for delivery"
                    ),
                ),
                (
                    "after_failed_attempt",
                    models.BooleanField(
                        default=True, verbose_name="Allowed after a failed attempt"
                    ),
                ),
                (
                    "max_reschedule_days",
                    models.PositiveSmallIntegerField(
                        default=5,
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(14),
                        ],
                        verbose_name="A new day at most this many days ahead",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True)),
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
                    models.UniqueConstraint(fields=("merchant",), name="one_exception_rules"),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("max_reschedule_days__gte", 1), ("max_reschedule_days__lte", 14)
                        ),
                        name="reschedule_days_1_to_14",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="ParcelRedirect",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "requested_by",
                    models.CharField(
                        choices=[
                            ("staff", "Staff"),
                            ("shopper", "Shopper"),
                            ("driver", "Driver (failed stop)"),
                        ],
                        max_length=8,
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("from_delivery_kind", models.CharField(max_length=12)),
                ("from_pickup_ref", models.CharField(blank=True, max_length=64)),
                ("from_address", models.JSONField(default=dict)),
                ("to_delivery_kind", models.CharField(max_length=12)),
                ("to_pickup_ref", models.CharField(max_length=64)),
                ("to_name", models.CharField(max_length=200)),
                ("to_address", models.CharField(max_length=400)),
                ("reservation_id", models.BigIntegerField(blank=True, null=True)),
                (
                    "courier_told",
                    models.CharField(
                        choices=[
                            ("yes", "Courier told"),
                            ("not_supported", "Not supported: tell the courier"),
                            ("failed", "Failed: tell the courier"),
                            ("own_fleet", "Own fleet: driver instruction reissued"),
                        ],
                        max_length=14,
                    ),
                ),
                ("courier_note", models.CharField(blank=True, max_length=300)),
                ("notified_at", models.DateTimeField(blank=True, null=True)),
                (
                    "merchant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="merchant.merchant",
                    ),
                ),
                (
                    "order",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="fulfillment.order",
                    ),
                ),
                (
                    "requested_by_user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "shipment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="fulfillment.shipment",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-pk"],
                "constraints": [
                    models.UniqueConstraint(fields=("shipment",), name="one_redirect_per_shipment")
                ],
            },
        ),
        # The redirect's and the new day's messages are editable like the others.
        migrations.AlterField(
            model_name="notificationtemplate",
            name="event",
            field=models.CharField(
                choices=[
                    ("shipped", "Shipped"),
                    ("out_for_delivery", "Out for delivery"),
                    ("available_for_pickup", "Ready for pickup"),
                    ("delivered", "Delivered"),
                    ("failed_attempt", "Delivery attempt failed"),
                    ("nearby", "Courier nearby"),
                    ("return_label_ready", "Return label ready"),
                    ("return_received", "Return received"),
                    ("redirected", "Sent to a locker or shop"),
                    ("rescheduled", "New delivery day"),
                ],
                max_length=24,
            ),
        ),
        # The redirect's and the new day's messages are editable like the others.
        migrations.AlterField(
            model_name="sentmessage",
            name="event",
            field=models.CharField(
                choices=[
                    ("shipped", "Shipped"),
                    ("out_for_delivery", "Out for delivery"),
                    ("available_for_pickup", "Ready for pickup"),
                    ("delivered", "Delivered"),
                    ("failed_attempt", "Delivery attempt failed"),
                    ("nearby", "Courier nearby"),
                    ("return_label_ready", "Return label ready"),
                    ("return_received", "Return received"),
                    ("redirected", "Sent to a locker or shop"),
                    ("rescheduled", "New delivery day"),
                ],
                max_length=24,
            ),
        ),
    ]
