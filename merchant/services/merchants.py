"""Create merchants and manage the people who work for them."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify

from merchant.models import ApiKey, Membership, Merchant, User
from merchant.services.api_keys import IssuedKey, issue_api_key


class EmailAlreadyRegistered(ValidationError):
    pass


class LastOwner(ValidationError):
    pass


@dataclass(frozen=True)
class NewMerchant:
    merchant: Merchant
    owner: User
    secret_key: IssuedKey | None
    publishable_key: IssuedKey | None


def unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "shop"
    slug, n = base, 1
    while Merchant.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def default_unit_system(currency: str) -> str:
    return Merchant.UnitSystem.IMPERIAL if currency == "USD" else Merchant.UnitSystem.METRIC


def create_merchant(
    *,
    name: str,
    owner_email: str,
    owner_password: str | None,
    time_zone: str = "UTC",
    currency: str = "USD",
    unit_system: str | None = None,
    issue_keys: bool = False,
    allowed_origins: tuple[str, ...] = ("http://localhost:8000", "http://127.0.0.1:8000"),
) -> NewMerchant:
    """A merchant, its owner and (optionally) a first secret and publishable key."""
    name = name.strip()
    if not name:
        raise ValidationError("The shop needs a name.", code="name")
    email = User.objects.normalize_email(owner_email).strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise EmailAlreadyRegistered(f"{email} already has an account: sign in instead.")
    for attempt in range(5):
        try:
            with transaction.atomic():
                merchant = Merchant.objects.create(
                    name=name,
                    slug=unique_slug(name),
                    time_zone=time_zone,
                    currency=currency,
                    # US shops read pounds and inches unless they say otherwise.
                    unit_system=unit_system or default_unit_system(currency),
                )
                owner = User.objects.create_user(email, owner_password)
                Membership.objects.create(merchant=merchant, user=owner, role=Membership.Role.OWNER)
                secret = publishable = None
                if issue_keys:
                    secret = issue_api_key(
                        merchant=merchant, kind=ApiKey.Kind.SECRET, name="Default secret key"
                    )
                    publishable = issue_api_key(
                        merchant=merchant,
                        kind=ApiKey.Kind.PUBLISHABLE,
                        name="Default publishable key",
                        allowed_origins=allowed_origins,
                    )
                return NewMerchant(merchant, owner, secret, publishable)
        except IntegrityError:
            # Another sign-up took the same slug or email between our check and insert.
            if User.objects.filter(email__iexact=email).exists():
                raise EmailAlreadyRegistered(f"{email} already has an account.") from None
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def add_member(
    *, merchant: Merchant, email: str, role: str, request: HttpRequest | None = None
) -> Membership:
    """Add a person to the merchant; a new person gets an email to choose a password."""
    email = User.objects.normalize_email(email).strip().lower()
    with transaction.atomic():
        user, created = User.objects.get_or_create(email=email)
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        membership, made = Membership.objects.get_or_create(
            merchant=merchant, user=user, defaults={"role": role}
        )
        if not made:
            raise ValidationError(f"{email} is already a member of {merchant}.", code="email")
    if created:
        send_set_password_email(user=user, request=request)
    return membership


def send_set_password_email(*, user: User, request: HttpRequest | None) -> None:
    """Email a link with which a newly invited person chooses their first password."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    link = request.build_absolute_uri(path) if request else settings.NEARBOX_BASE_URL + path
    body = render_to_string("merchant/email/invite.txt", {"user": user, "link": link})
    send_mail("You have been invited to Nearbox", body, None, [user.email])


def change_member_role(*, membership: Membership, role: str) -> Membership:
    with transaction.atomic():
        _lock_owners(membership.merchant)
        if membership.is_owner and role != Membership.Role.OWNER:
            _refuse_if_last_owner(membership)
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def remove_member(*, membership: Membership) -> None:
    with transaction.atomic():
        _lock_owners(membership.merchant)
        if membership.is_owner:
            _refuse_if_last_owner(membership)
        membership.delete()


def _lock_owners(merchant: Merchant) -> None:
    # Two owners removing each other at once must not leave the shop without an owner.
    list(
        Membership.objects.select_for_update()
        .filter(merchant=merchant, role=Membership.Role.OWNER)
        .order_by("pk")
    )


def _refuse_if_last_owner(membership: Membership) -> None:
    owners = Membership.objects.filter(merchant=membership.merchant, role=Membership.Role.OWNER)
    if owners.exclude(pk=membership.pk).count() == 0:
        raise LastOwner("A shop needs at least one owner: make someone else owner first.")
