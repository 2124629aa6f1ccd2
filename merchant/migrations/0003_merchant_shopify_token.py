"""A Shopify CarrierService token per merchant, filled in for the merchants that exist."""

import secrets

from django.db import migrations, models

import merchant.models.tenants


def fill_tokens(apps, schema_editor) -> None:
    Merchant = apps.get_model("merchant", "Merchant")
    for row in Merchant.objects.filter(shopify_token__isnull=True).only("pk"):
        row.shopify_token = secrets.token_urlsafe(32)
        row.save(update_fields=["shopify_token"])


class Migration(migrations.Migration):
    dependencies = [
        ("merchant", "0002_inventory"),
    ]

    operations = [
        migrations.AddField(
            model_name="merchant",
            name="shopify_token",
            field=models.CharField(max_length=64, null=True),
        ),
        migrations.RunPython(fill_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="merchant",
            name="shopify_token",
            field=models.CharField(
                default=merchant.models.tenants.new_shopify_token, max_length=64, unique=True
            ),
        ),
    ]
