"""The shop's brand beyond its colour and logo (#19 item 5): an accent colour, the reply-to
address of shopper messages, and links to the shop's website, support page and support email."""

import django.core.validators
from django.db import migrations, models

HEX = django.core.validators.RegexValidator(
    "^#[0-9a-fA-F]{6}$", "Enter a colour as #rrggbb, for example #0f766e."
)


class Migration(migrations.Migration):
    dependencies = [
        ("merchant", "0004_merchant_unit_system"),
    ]

    operations: list = [
        migrations.AddField(
            model_name="merchant",
            name="accent_color",
            field=models.CharField(default="#f59e0b", max_length=7, validators=[HEX]),
        ),
        migrations.AddField(
            model_name="merchant",
            name="reply_to_email",
            field=models.EmailField(
                blank=True,
                help_text="Shoppers' replies to messages go here; also the sender's address "
                "when the server has no sending address of its own.",
                max_length=254,
            ),
        ),
        migrations.AddField(
            model_name="merchant",
            name="website_url",
            field=models.URLField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name="merchant",
            name="support_url",
            field=models.URLField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name="merchant",
            name="support_email",
            field=models.EmailField(blank=True, max_length=254),
        ),
    ]
