"""API keys: a secret key for the REST API, publishable keys for the checkout widget.

Only a SHA-256 digest of a key is stored (keys are 256-bit random, so a fast hash is
enough); the full key is shown once, when it is issued.
"""

from django.db import models

from merchant.models.scoping import MerchantOwned


class ApiKey(MerchantOwned):
    class Kind(models.TextChoices):
        SECRET = "secret", "Secret (REST API)"
        PUBLISHABLE = "publishable", "Publishable (checkout widget)"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=24, help_text="The first characters, to recognise a key.")
    digest = models.CharField(max_length=64, unique=True)
    allowed_origins = models.JSONField(
        default=list, blank=True, help_text="Origins allowed to use a publishable key."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
