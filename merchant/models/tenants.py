"""Merchants (the tenants), the people who sign in, and what ties them together."""

from __future__ import annotations

import secrets
import zoneinfo

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from merchant.models.scoping import MerchantOwned

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]
CURRENCY_CHOICES = [
    ("USD", "US dollar"),
    ("CAD", "Canadian dollar"),
    ("EUR", "Euro"),
    ("GBP", "Pound sterling"),
]
hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Enter a colour as #rrggbb, for example #0f766e.")


def new_shopify_token() -> str:
    """The unguessable part of a merchant's Shopify CarrierService callback URL."""
    return secrets.token_urlsafe(32)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an email address; belongs to merchants via Membership."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Can sign in to the Django admin.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    def __str__(self) -> str:
        return self.email


class Merchant(models.Model):
    """A shop using Nearbox. Every business row carries a foreign key to one."""

    class UnitSystem(models.TextChoices):
        # Stored values stay grams and millimetres; this only says how people read them.
        METRIC = "metric", "Kilograms and centimetres"
        IMPERIAL = "imperial", "Pounds, ounces and inches"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    time_zone = models.CharField(max_length=64, choices=TIME_ZONE_CHOICES, default="UTC")
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, default="USD")
    brand_color = models.CharField(max_length=7, default="#0f766e", validators=[hex_colour])
    logo = models.ImageField(upload_to="logos/", blank=True)
    # Branding of the tracking page and shopper messages (fulfillment/messaging/).
    accent_color = models.CharField(max_length=7, default="#f59e0b", validators=[hex_colour])
    reply_to_email = models.EmailField(
        blank=True, help_text="Shoppers' replies to messages go here; also the sender's address "
        "when the server has no sending address of its own."
    )  # fmt: skip
    website_url = models.URLField(max_length=300, blank=True)
    support_url = models.URLField(max_length=300, blank=True)
    support_email = models.EmailField(blank=True)
    unit_system = models.CharField(
        max_length=8, choices=UnitSystem.choices, default=UnitSystem.METRIC
    )
    # Shopify cannot send our API keys, so its rate callback is authenticated by this URL token.
    shopify_token = models.CharField(max_length=64, unique=True, default=new_shopify_token)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(MerchantOwned):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        STAFF = "staff", "Staff"

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "user"], name="one_membership_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) at {self.merchant}"

    @property
    def is_owner(self) -> bool:
        return self.role == self.Role.OWNER
