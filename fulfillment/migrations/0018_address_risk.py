"""Address risk at checkout (#20 item 3): settings, trained models, the score of each order."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0017_analytics"),
        ("merchant", "0005_branding"),
    ]

    operations = [
        migrations.CreateModel(
            name="AddressRiskModel",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("trained", "Trained on this shop's history"),
                            ("prior", "Prior (too little history)"),
                        ],
                        max_length=8,
                    ),
                ),
                ("intercept", models.FloatField()),
                ("coefficients", models.JSONField(default=dict, help_text="{feature: weight}")),
                (
                    "means",
                    models.JSONField(
                        default=dict, help_text="{feature: mean}: stands in for unknowns."
                    ),
                ),
                (
                    "zip_stats",
                    models.JSONField(default=dict, help_text="{zip5: [failures, deliveries]}"),
                ),
                ("overall_rate", models.FloatField()),
                (
                    "unit_streets",
                    models.JSONField(default=list, help_text="Street keys seen with a unit."),
                ),
                ("metrics", models.JSONField(blank=True, default=dict)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
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
                "ordering": ["-created_at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="AddressRiskSettings",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "enabled",
                    models.BooleanField(
                        default=True,
                        help_text="Put a nearby locker or shop first when the risk is high.",
                    ),
                ),
                (
                    "threshold",
                    models.FloatField(
                        default=0.25,
                        help_text="Probability of a failed home delivery above which it acts.",
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
        ),
        migrations.CreateModel(
            name="OrderRisk",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("score", models.FloatField(blank=True, null=True)),
                ("level", models.CharField(blank=True, max_length=8)),
                ("reasons", models.JSONField(blank=True, default=list, help_text="[{code, text}]")),
                ("scored_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "merchant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="merchant.merchant",
                    ),
                ),
                (
                    "model",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="fulfillment.addressriskmodel",
                    ),
                ),
                (
                    "order",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="address_risk",
                        to="fulfillment.order",
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="addressriskmodel",
            index=models.Index(fields=["merchant", "-created_at"], name="risk_model_latest"),
        ),
        migrations.AddConstraint(
            model_name="addressrisksettings",
            constraint=models.UniqueConstraint(
                fields=("merchant",), name="risk_settings_one_per_merchant"
            ),
        ),
        migrations.AddConstraint(
            model_name="addressrisksettings",
            constraint=models.CheckConstraint(
                condition=models.Q(("threshold__gt", 0), ("threshold__lt", 1)),
                name="risk_settings_threshold_between_0_and_1",
            ),
        ),
        migrations.AddIndex(
            model_name="orderrisk",
            index=models.Index(fields=["merchant", "-scored_at"], name="order_risk_recent"),
        ),
    ]
