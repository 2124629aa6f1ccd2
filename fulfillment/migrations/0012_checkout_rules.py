"""CheckoutRule and CourierRule (#19 items 4 and 7): the merchant's ordered checkout price rules
and courier rules per storage point and destination (fulfillment/models/checkout.py)."""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0011_boxes_void"),
    ]

    operations = [
        migrations.CreateModel(
            name="CheckoutRule",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("position", models.PositiveIntegerField(default=0)),
                ("name", models.CharField(max_length=120)),
                ("is_active", models.BooleanField(default=True)),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("free", "Free shipping"),
                            ("markup_pct", "Markup (%)"),
                            ("markup_flat", "Markup (flat amount)"),
                            ("set_price", "Flat price"),
                            ("hide", "Hide the option"),
                            ("round", "Round the price"),
                        ],
                        max_length=12,
                    ),
                ),
                (
                    "amount_minor",
                    models.IntegerField(
                        default=0,
                        help_text="Flat price or flat markup (a negative markup is a discount).",
                        validators=[
                            django.core.validators.MinValueValidator(-100000000),
                            django.core.validators.MaxValueValidator(100000000),
                        ],
                    ),
                ),
                (
                    "percent",
                    models.DecimalField(
                        decimal_places=2,
                        default=0,
                        max_digits=6,
                        validators=[
                            django.core.validators.MinValueValidator(-100),
                            django.core.validators.MaxValueValidator(1000),
                        ],
                    ),
                ),
                (
                    "rounding",
                    models.CharField(
                        choices=[
                            ("none", "No rounding"),
                            ("99", "Up to .99"),
                            ("whole", "Up to a whole amount"),
                        ],
                        default="none",
                        max_length=5,
                    ),
                ),
                (
                    "kinds",
                    models.JSONField(
                        blank=True, default=list, help_text='Any of "home", "locker", "shop".'
                    ),
                ),
                (
                    "service_level",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("", "Any level"),
                            ("same_day", "Same day"),
                            ("next_day", "Next day"),
                            ("economy", "Economy"),
                        ],
                        max_length=10,
                    ),
                ),
                (
                    "min_order_minor",
                    models.PositiveIntegerField(
                        blank=True,
                        null=True,
                        validators=[django.core.validators.MaxValueValidator(100000000)],
                    ),
                ),
                ("min_weight_g", models.PositiveIntegerField(blank=True, null=True)),
                ("max_weight_g", models.PositiveIntegerField(blank=True, null=True)),
                ("min_longest_mm", models.PositiveIntegerField(blank=True, null=True)),
                ("countries", models.JSONField(blank=True, default=list)),
                ("zip_prefixes", models.JSONField(blank=True, default=list)),
                ("tags", models.JSONField(blank=True, default=list)),
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
                    "service",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="fulfillment.courierservice",
                    ),
                ),
            ],
            options={
                "ordering": ["position", "pk"],
            },
        ),
        migrations.CreateModel(
            name="CourierRule",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("position", models.PositiveIntegerField(default=0)),
                ("name", models.CharField(max_length=120)),
                ("is_active", models.BooleanField(default=True)),
                ("destinations", models.JSONField(blank=True, default=list)),
                (
                    "rule",
                    models.CharField(
                        choices=[
                            ("cheapest", "Cheapest"),
                            ("fastest", "Fastest"),
                            ("best_on_time", "Best on-time record"),
                            ("preferred", "Preferred courier within a price tolerance"),
                            ("service", "A given service (else the cheapest)"),
                        ],
                        default="cheapest",
                        max_length=14,
                    ),
                ),
                (
                    "tolerance_pct",
                    models.PositiveSmallIntegerField(
                        default=10, validators=[django.core.validators.MaxValueValidator(500)]
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
                (
                    "point",
                    models.ForeignKey(
                        blank=True,
                        help_text="Ships from this point; empty for any.",
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="merchant.storagepoint",
                    ),
                ),
                (
                    "preferred_account",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="fulfillment.courieraccount",
                    ),
                ),
                (
                    "preferred_service",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="fulfillment.courierservice",
                    ),
                ),
            ],
            options={
                "ordering": ["position", "pk"],
            },
        ),
        migrations.AddConstraint(
            model_name="checkoutrule",
            constraint=models.CheckConstraint(
                condition=models.Q(("percent__gte", -100), ("percent__lte", 1000)),
                name="checkout_rule_percent_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="checkoutrule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("amount_minor__gte", -100000000), ("amount_minor__lte", 100000000)
                ),
                name="checkout_rule_amount_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="checkoutrule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("action__in", ["free", "markup_pct", "markup_flat", "set_price", "hide"]),
                    models.Q(("rounding", "none"), _negated=True),
                    _connector="OR",
                ),
                name="checkout_rule_round_has_mode",
            ),
        ),
        migrations.AddConstraint(
            model_name="courierrule",
            constraint=models.CheckConstraint(
                condition=models.Q(("tolerance_pct__lte", 500)), name="courier_rule_tolerance_range"
            ),
        ),
    ]
