"""Sign-in is throttled per username and IP (django-axes), and password-reset mails are
limited per address and IP, without telling whether an account exists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.core.cache import cache
from django.test import Client

from tests.support.helpers import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()
    yield
    cache.clear()


def sign_in(client: Client, email: str, password: str):
    return client.post("/accounts/login/", {"username": email, "password": password})


def test_wrong_passwords_lock_the_account_from_that_ip_with_a_message_on_the_sign_in_page(
    settings, merchant_a
):
    email = merchant_a.owner.email
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = sign_in(attacker, email, "wrong-password")
        assert response.status_code == 200 and "Please enter a correct" in response.text
    response = sign_in(attacker, email, "wrong-password")
    assert response.status_code == 429

    # Locked: even the right password is refused, on the sign-in page, with the reason.
    response = sign_in(attacker, email, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in attacker.session
    assert "Too many wrong passwords" in response.text
    assert "Try again in 15 minutes" in response.text
    assert '<form method="post" action="/accounts/login/"' in response.text
    assert f'value="{email}"' in response.text

    # The owner on another network still signs in.
    owner = Client(REMOTE_ADDR="198.51.100.7")
    assert sign_in(owner, email, PASSWORD).status_code == 302

    # After the cool-off the pair may sign in again (time moved back, not waited for).
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16)
    )
    assert sign_in(attacker, email, PASSWORD).status_code == 302


def test_a_forged_forwarded_for_header_does_not_dodge_the_lockout(settings, merchant_a):
    email = merchant_a.owner.email
    for n in range(settings.AXES_FAILURE_LIMIT + 1):
        client = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
        response = sign_in(client, email, "wrong-password")
    assert response.status_code == 429


def reset(client: Client, email: str):
    return client.post("/accounts/password_reset/", {"email": email})


def test_password_reset_mails_stop_after_the_hourly_limit_and_the_page_does_not_say(
    settings, merchant_a
):
    email = merchant_a.owner.email
    client = Client(REMOTE_ADDR="203.0.113.20")
    answers = [reset(client, email) for _ in range(settings.PASSWORD_RESET_MAILS_PER_HOUR + 3)]
    assert len(mail.outbox) == settings.PASSWORD_RESET_MAILS_PER_HOUR
    assert {(r.status_code, r["Location"]) for r in answers} == {
        (302, "/accounts/password_reset/done/")
    }
    # An unknown address gets the same answer, and no mail.
    unknown = reset(Client(REMOTE_ADDR="203.0.113.21"), "nobody@example.com")
    assert (unknown.status_code, unknown["Location"]) == (302, "/accounts/password_reset/done/")
    assert len(mail.outbox) == settings.PASSWORD_RESET_MAILS_PER_HOUR


def test_one_ip_cannot_flood_many_addresses_with_reset_mails(settings, make_merchant):
    owners = [make_merchant().owner.email for _ in range(4)]
    client = Client(REMOTE_ADDR="203.0.113.30")
    per_ip = settings.PASSWORD_RESET_MAILS_PER_HOUR * 3
    for _ in range(per_ip):
        for email in owners:
            reset(client, email)
    assert len(mail.outbox) == per_ip
