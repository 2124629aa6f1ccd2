"""The returns portal (#19 item 6): return settings per merchant, shoppers' return requests and
their lines (fulfillment/models/returns.py). Order.Status already has "returned" (max_length 12)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import fulfillment.models.tokens


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0013_notification_templates"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReturnRequest",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("requested", "Waiting for approval"),
                            ("approved", "Approved"),
                            ("rejected", "Rejected"),
                            ("received", "Received"),
                        ],
                        default="requested",
                        max_length=10,
                    ),
                ),
                (
                    "method",
                    models.CharField(
                        choices=[
                            ("label", "Return label (print and post)"),
                            ("dropoff", "Drop off with a code (your locker or the shop)"),
                        ],
                        max_length=8,
                    ),
                ),
                ("reason", models.CharField(max_length=100)),
                (
                    "comment",
                    models.CharField(blank=True, help_text="The shopper's words.", max_length=500),
                ),
                (
                    "note",
                    models.CharField(
                        blank=True, help_text="Staff's note on the decision.", max_length=500
                    ),
                ),
                ("dropoff_code", models.CharField(blank=True, max_length=12)),
                ("dropoff_place", models.CharField(blank=True, max_length=300)),
                ("dropoff_reference", models.CharField(blank=True, max_length=64)),
                (
                    "public_token",
                    models.CharField(
                        default=fulfillment.models.tokens.new_public_token,
                        max_length=64,
                        unique=True,
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
                ("received_at", models.DateTimeField(blank=True, null=True)),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
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
                    "order",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="fulfillment.order",
                    ),
                ),
                (
                    "point",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="merchant.storagepoint",
                    ),
                ),
                (
                    "shipment",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="fulfillment.shipment",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="ReturnRequestLine",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("quantity", models.IntegerField()),
                ("shipped_quantity", models.IntegerField()),
                (
                    "line",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="fulfillment.orderline",
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
                    "request",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="lines",
                        to="fulfillment.returnrequest",
                    ),
                ),
            ],
            options={
                "ordering": ["request_id", "pk"],
            },
        ),
        migrations.CreateModel(
            name="ReturnSettings",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "window_days",
                    models.PositiveSmallIntegerField(
                        default=30,
                        help_text="How many days after the order a shopper may ask for a return.",
                    ),
                ),
                (
                    "reasons",
                    models.JSONField(
                        blank=True, default=list, help_text="Reasons a shopper chooses."
                    ),
                ),
                (
                    "auto_approve",
                    models.BooleanField(
                        default=True,
                        help_text="Approve every request at once (else staff approve each).",
                    ),
                ),
                ("allow_label", models.BooleanField(default=True)),
                ("allow_dropoff", models.BooleanField(default=False)),
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
        ),
        migrations.AddIndex(
            model_name="returnrequest",
            index=models.Index(
                fields=["merchant", "state", "-created_at"], name="return_request_list"
            ),
        ),
        migrations.AddIndex(
            model_name="returnrequest",
            index=models.Index(fields=["shipment"], name="return_request_shipment"),
        ),
        migrations.AddConstraint(
            model_name="returnrequest",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state__in", ["requested", "approved"])),
                fields=("order",),
                name="return_request_one_open_per_order",
            ),
        ),
        migrations.AddConstraint(
            model_name="returnrequest",
            constraint=models.UniqueConstraint(
                condition=models.Q(("dropoff_code", ""), _negated=True),
                fields=("merchant", "dropoff_code"),
                name="return_request_dropoff_code_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="returnrequest",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("received_at__isnull", True), ("state", "received"), _connector="OR"
                ),
                name="return_request_received_state",
            ),
        ),
        migrations.AddConstraint(
            model_name="returnrequestline",
            constraint=models.UniqueConstraint(fields=("request", "line"), name="return_line_once"),
        ),
        migrations.AddConstraint(
            model_name="returnrequestline",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("quantity__gt", 0), ("quantity__lte", models.F("shipped_quantity"))
                ),
                name="return_line_quantity_within_shipped",
            ),
        ),
        migrations.AddConstraint(
            model_name="returnsettings",
            constraint=models.UniqueConstraint(
                fields=("merchant",), name="return_settings_one_per_merchant"
            ),
        ),
        migrations.AddConstraint(
            model_name="returnsettings",
            constraint=models.CheckConstraint(
                condition=models.Q(("window_days__lte", 365)),
                name="return_settings_window_at_most_a_year",
            ),
        ),
    ]
