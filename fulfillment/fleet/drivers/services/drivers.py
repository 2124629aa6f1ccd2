"""Drivers: add or edit one, send a sign-in link by email and/or SMS, deactivate."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from fulfillment.fleet.auth.links import LINK_LIFETIME, create_sign_in_link, sign_in_url
from fulfillment.messaging.services import brand
from fulfillment.models import Driver, DriverSignInLink
from fulfillment.tracking.sms import SmsMessage, get_sms_backend
from merchant.models import Merchant

PHONE = re.compile(r"^\+?[0-9 ()./-]{6,31}$")
CHANNELS = ("email", "sms")


def _clean(text: str, limit: int, field: str) -> str:
    text = (text or "").strip()
    if "\x00" in text:
        raise ValidationError({field: "Remove the NUL character."})
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError({field: "This text has characters that cannot be stored."}) from None
    if len(text) > limit:
        raise ValidationError({field: f"At most {limit} characters."})
    return text


def normalised_phone(phone: str) -> str:
    """+15551234567 from '+1 (555) 123-4567'; ValidationError when it is not a number."""
    phone = _clean(phone, 32, "phone")
    if not phone:
        return ""
    if not PHONE.match(phone) or sum(ch.isdigit() for ch in phone) < 6:
        raise ValidationError({"phone": "Enter a phone number, e.g. +1 312 555 0100."})
    return ("+" if phone.startswith("+") else "") + re.sub(r"\D", "", phone)


def save_driver(
    *, merchant: Merchant, driver: Driver | None = None, name: str, email: str = "", phone: str = ""
) -> Driver:
    """Add a driver or change one; the email is unique within the shop."""
    name = _clean(name, 120, "name")
    if not name:
        raise ValidationError({"name": "Enter the driver's name."})
    email = _clean(email, 254, "email").lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError({"email": "Enter a valid email address."}) from None
    phone = normalised_phone(phone)
    driver = driver or Driver(merchant=merchant)
    driver.name, driver.email, driver.phone = name, email, phone
    try:
        with transaction.atomic():
            driver.save()
    except IntegrityError:
        raise ValidationError({"email": "Another driver of this shop has this email."}) from None
    return driver


def _message(driver: Driver, url: str) -> str:
    hours = int(LINK_LIFETIME.total_seconds() // 3600)
    return (
        f"Hi {driver.first_name}, sign in to deliver for {driver.merchant.name}: {url} "
        f"(works once, for {hours} hours)."
    )


def send_sign_in_link(*, driver: Driver, channels: list[str]) -> list[DriverSignInLink]:
    """One new one-time link per channel ("email", "sms"), sent to the driver's address on it.
    A channel the driver has no address for is a ValidationError; nothing is sent then."""
    channels = [c for c in dict.fromkeys(channels) if c in CHANNELS]
    if not channels:
        raise ValidationError({"channels": "Choose email, text message or both."})
    if "email" in channels and not driver.email:
        raise ValidationError({"channels": f"{driver.name} has no email address."})
    if "sms" in channels and not driver.phone:
        raise ValidationError({"channels": f"{driver.name} has no phone number."})
    if not driver.is_active:
        raise ValidationError({"channels": f"{driver.name} is deactivated."})
    sent = []
    for channel in channels:
        to = driver.email if channel == "email" else driver.phone
        link, token = create_sign_in_link(driver=driver, sent_to=to)
        text = _message(driver, sign_in_url(token))
        try:
            if channel == "email":
                EmailMessage(
                    subject=f"Your sign-in link for {driver.merchant.name}",
                    body=text + "\n\nDid not expect this? Ignore it: nothing happens.",
                    from_email=brand.sender(driver.merchant),
                    to=[to],
                    reply_to=brand.reply_to(driver.merchant),
                ).send()
            else:
                get_sms_backend().send(SmsMessage(to, text, f"driver-link-{link.pk}"))
        except Exception as error:  # SMTP, SmsError, network: the person can act on the text
            link.delete()  # never sent, so never usable
            word = "email" if channel == "email" else "text message"
            raise ValidationError({"channels": f"The {word} could not be sent: {error}"}) from error
        sent.append(link)
    Driver.objects.filter(pk=driver.pk).update(invited_at=timezone.now())
    return sent


def set_driver_active(*, driver: Driver, active: bool) -> Driver:
    """Deactivating signs the driver out on the next request and voids unused links; their
    routes stay (planned stops must be moved by the dispatcher)."""
    with transaction.atomic():
        driver.is_active = active
        driver.save(update_fields=["is_active"])
        if not active:
            DriverSignInLink.objects.filter(driver=driver, used_at__isnull=True).update(
                expires_at=timezone.now()
            )
    return driver
