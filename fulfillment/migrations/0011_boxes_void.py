"""Box presets with a default box per product and per storage point; a shipment's box, scale
reading and the weight the courier was told; voiding a label (when, by whom, its refund).

fulfillment_shipment is a hot table: its new columns are nullable without a default (instant),
and its two foreign keys have no database constraint or index (a validated constraint scans the
table under lock, a plain index blocks writes while built); Django emulates SET_NULL."""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _side(label):
    return models.PositiveIntegerField(
        label,
        validators=[
            django.core.validators.MinValueValidator(1),
            django.core.validators.MaxValueValidator(3000),
        ],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0010_bulk_ship"),
    ]

    operations: list = [
        migrations.CreateModel(
            name="BoxPreset",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=80)),
                ("inner_length_mm", _side("inside length (mm)")),
                ("inner_width_mm", _side("inside width (mm)")),
                ("inner_height_mm", _side("inside height (mm)")),
                (
                    "empty_weight_g",
                    models.PositiveIntegerField(
                        default=0,
                        validators=[django.core.validators.MaxValueValidator(1000000)],
                        verbose_name="empty weight (g)",
                    ),
                ),
                (
                    "max_weight_g",
                    models.PositiveIntegerField(
                        blank=True,
                        null=True,
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(1000000),
                        ],
                        verbose_name="most it may weigh packed (g)",
                    ),
                ),
                ("is_active", models.BooleanField(default=True)),
                (
                    "merchant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="merchant.merchant",
                    ),
                ),
            ],
            options={"ordering": ["name", "pk"]},
        ),
        migrations.AddConstraint(
            model_name="boxpreset",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_active", True)),
                fields=("merchant", "name"),
                name="box_active_name_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="boxpreset",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("inner_height_mm__gt", 0),
                    ("inner_length_mm__gt", 0),
                    ("inner_width_mm__gt", 0),
                ),
                name="box_sides_positive",
            ),
        ),
        migrations.AddConstraint(
            model_name="boxpreset",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("max_weight_g__isnull", True),
                    ("max_weight_g__gt", models.F("empty_weight_g")),
                    _connector="OR",
                ),
                name="box_max_weight_over_empty",
            ),
        ),
        migrations.CreateModel(
            name="ProductBox",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "box",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="fulfillment.boxpreset",
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
                    "product",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="merchant.product",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="PointBox",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "box",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="fulfillment.boxpreset",
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
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="merchant.storagepoint",
                    ),
                ),
            ],
        ),
        migrations.AddField(
            model_name="shipment",
            name="voided_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="shipment",
            name="voided_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                db_constraint=False,
                db_index=False,
            ),
        ),
        migrations.AddField(
            model_name="shipment",
            name="refund_state",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "No refund"),
                    ("requested", "Refund asked of the courier"),
                    ("not_charged", "Nothing was charged"),
                    ("call", "Ask the courier for it"),
                ],
                max_length=12,
            ),
        ),
        migrations.AddField(
            model_name="shipment",
            name="refund_minor",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="shipment",
            name="box",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="fulfillment.boxpreset",
                db_constraint=False,
                db_index=False,
            ),
        ),
        migrations.AddField(
            model_name="shipment",
            name="measured_weight_g",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="shipment",
            name="weight_g",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
    ]
