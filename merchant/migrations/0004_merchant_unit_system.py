"""How the merchant's people read weights and sizes; US shops are switched to pounds and inches."""

from django.db import migrations, models


def imperial_for_us_shops(apps, schema_editor) -> None:
    Merchant = apps.get_model("merchant", "Merchant")
    Merchant.objects.filter(currency="USD").update(unit_system="imperial")


class Migration(migrations.Migration):
    dependencies = [
        ("merchant", "0003_merchant_shopify_token"),
    ]

    operations = [
        migrations.AddField(
            model_name="merchant",
            name="unit_system",
            field=models.CharField(
                choices=[
                    ("metric", "Kilograms and centimetres"),
                    ("imperial", "Pounds, ounces and inches"),
                ],
                default="metric",
                max_length=8,
            ),
        ),
        migrations.RunPython(imperial_for_us_shops, migrations.RunPython.noop),
    ]
