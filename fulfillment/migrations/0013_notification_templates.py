"""Shopper messages (#19 item 5): the shopper's language on the order, the merchant's message
templates per event, channel and language, and the log of each message sent."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

EVENTS = [
    ("shipped", "Shipped"),
    ("out_for_delivery", "Out for delivery"),
    ("available_for_pickup", "Ready for pickup"),
    ("delivered", "Delivered"),
    ("failed_attempt", "Delivery attempt failed"),
    ("nearby", "Courier nearby"),
    ("return_label_ready", "Return label ready"),
    ("return_received", "Return received"),
]
CHANNELS = [("email", "Email"), ("sms", "Text message")]


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0012_checkout_rules"),
    ]

    operations: list = [
        migrations.AddField(
            model_name="order",
            name="language",
            field=models.CharField(
                blank=True,
                help_text="The shopper's language for messages (en, es, de).",
                max_length=8,
            ),
        ),
        migrations.CreateModel(
            name="NotificationTemplate",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("event", models.CharField(choices=EVENTS, max_length=24)),
                ("channel", models.CharField(choices=CHANNELS, max_length=5)),
                ("language", models.CharField(max_length=8)),
                ("subject", models.CharField(blank=True, max_length=200)),
                ("body", models.TextField(max_length=5000)),
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
                "ordering": ["event", "channel", "language"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("merchant", "event", "channel", "language"),
                        name="one_template_per_event_channel_language",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="SentMessage",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("event", models.CharField(choices=EVENTS, max_length=24)),
                ("channel", models.CharField(choices=CHANNELS, max_length=5)),
                ("recipient", models.CharField(max_length=254)),
                ("subject", models.CharField(blank=True, max_length=200)),
                ("language", models.CharField(blank=True, max_length=8)),
                ("is_test", models.BooleanField(default=False)),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("sent", "Sent"),
                            ("delivered", "Delivered"),
                            ("bounced", "Bounced"),
                            ("complained", "Marked as spam"),
                            ("failed", "Failed"),
                        ],
                        default="sent",
                        max_length=10,
                    ),
                ),
                ("provider_id", models.CharField(blank=True, max_length=200)),
                ("detail", models.CharField(blank=True, max_length=300)),
                ("sent_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "merchant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="merchant.merchant",
                    ),
                ),
                (
                    "notification",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="sent_messages",
                        to="fulfillment.notification",
                    ),
                ),
                (
                    "order",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="sent_messages",
                        to="fulfillment.order",
                    ),
                ),
            ],
            options={
                "ordering": ["-sent_at", "-pk"],
                "indexes": [
                    models.Index(fields=["order", "-sent_at"], name="sent_message_by_order"),
                    models.Index(
                        condition=models.Q(("provider_id", ""), _negated=True),
                        fields=["provider_id"],
                        name="sent_message_provider",
                    ),
                ],
            },
        ),
    ]
