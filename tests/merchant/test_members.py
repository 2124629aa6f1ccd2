"""Owners add and remove the people of their shop; a shop always keeps an owner."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client

from merchant.models import Membership, User

pytestmark = pytest.mark.django_db

MEMBERS_URL = "/app/settings/members/"


def add_staff(merchant, email: str) -> Membership:
    user = User.objects.create_user(email, "staff-password-123")
    return Membership.objects.create(merchant=merchant, user=user, role=Membership.Role.STAFF)


def test_owner_adds_a_member_who_sets_a_password_from_the_email_and_signs_in(client_a, merchant_a):
    response = client_a.post(
        MEMBERS_URL, {"email": "New.Packer@Example.com", "role": "staff"}, follow=True
    )

    assert response.status_code == 200
    membership = Membership.objects.get(
        merchant=merchant_a.merchant, user__email="new.packer@example.com"
    )
    assert membership.role == Membership.Role.STAFF
    assert not membership.user.has_usable_password()
    assert "new.packer@example.com was added" in response.content.decode()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.packer@example.com"]
    link = re.search(r"https?://\S+", message.body).group(0)
    path = urlsplit(link).path
    assert path.startswith("/accounts/reset/")

    invited = Client()
    form_page = invited.get(path, follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"] is True
    set_password_url = form_page.redirect_chain[-1][0]
    new_password = "packing-tape-and-boxes-42"
    done = invited.post(
        set_password_url,
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert done.status_code == 302
    assert done["Location"] == "/accounts/reset/done/"

    login = Client().post(
        "/accounts/login/", {"username": "new.packer@example.com", "password": new_password}
    )
    assert login.status_code == 302
    assert login["Location"] == "/app/"
    # The link worked once: it is not valid any more.
    again = Client().get(path, follow=True)
    assert again.context["validlink"] is False


def test_adding_an_owner_gives_the_owner_role(client_a, merchant_a):
    client_a.post(MEMBERS_URL, {"email": "partner@example.com", "role": "owner"})

    membership = Membership.objects.get(
        merchant=merchant_a.merchant, user__email="partner@example.com"
    )
    assert membership.is_owner


def test_adding_someone_who_is_already_a_member_is_refused(client_a, merchant_a):
    add_staff(merchant_a.merchant, "packer@example.com")

    response = client_a.post(MEMBERS_URL, {"email": "packer@example.com", "role": "staff"})

    assert response.status_code == 200
    assert "already a member" in " ".join(response.context["form"].errors["email"])
    assert Membership.objects.filter(user__email="packer@example.com").count() == 1
    assert mail.outbox == []


def test_last_owner_cannot_be_removed(client_a, merchant_a):
    owner_membership = Membership.objects.get(merchant=merchant_a.merchant, user=merchant_a.owner)

    response = client_a.post(f"/app/settings/members/{owner_membership.pk}/remove", follow=True)

    assert response.status_code == 200
    assert "at least one owner" in response.content.decode()
    assert Membership.objects.filter(pk=owner_membership.pk).exists()


def test_last_owner_cannot_be_demoted(client_a, merchant_a):
    owner_membership = Membership.objects.get(merchant=merchant_a.merchant, user=merchant_a.owner)

    response = client_a.post(
        f"/app/settings/members/{owner_membership.pk}/role", {"role": "staff"}, follow=True
    )

    assert response.status_code == 200
    assert "at least one owner" in response.content.decode()
    owner_membership.refresh_from_db()
    assert owner_membership.role == Membership.Role.OWNER


def test_an_owner_can_be_demoted_when_another_owner_remains(client_a, merchant_a):
    partner = add_staff(merchant_a.merchant, "partner@example.com")
    partner.role = Membership.Role.OWNER
    partner.save()
    owner_membership = Membership.objects.get(merchant=merchant_a.merchant, user=merchant_a.owner)

    client_a.post(f"/app/settings/members/{owner_membership.pk}/role", {"role": "staff"})

    owner_membership.refresh_from_db()
    assert owner_membership.role == Membership.Role.STAFF


def test_owner_removes_a_staff_member(client_a, merchant_a):
    staff = add_staff(merchant_a.merchant, "packer@example.com")

    response = client_a.post(f"/app/settings/members/{staff.pk}/remove", follow=True)

    assert response.status_code == 200
    assert "packer@example.com no longer has access" in response.content.decode()
    assert not Membership.objects.filter(pk=staff.pk).exists()
    # The person stays (they may belong to other shops); only the access is gone.
    assert User.objects.filter(email="packer@example.com").exists()


def test_staff_member_cannot_open_the_members_page_nor_remove_anyone(merchant_a):
    staff = add_staff(merchant_a.merchant, "packer@example.com")
    owner_membership = Membership.objects.get(merchant=merchant_a.merchant, user=merchant_a.owner)
    client = Client()
    client.force_login(staff.user)

    assert client.get(MEMBERS_URL).status_code == 403
    assert client.post(f"/app/settings/members/{owner_membership.pk}/remove").status_code == 403
    assert Membership.objects.filter(pk=owner_membership.pk).exists()


def test_member_list_shows_only_the_merchants_own_members(client_a, merchant_a, merchant_b):
    add_staff(merchant_a.merchant, "packer-a@example.com")
    add_staff(merchant_b.merchant, "packer-b@example.com")

    response = client_a.get(MEMBERS_URL)

    page = response.content.decode()
    assert response.status_code == 200
    assert merchant_a.owner.email in page
    assert "packer-a@example.com" in page
    assert merchant_b.owner.email not in page
    assert "packer-b@example.com" not in page
    assert {m.merchant_id for m in response.context["memberships"]} == {merchant_a.merchant.pk}


def test_owner_cannot_remove_a_member_of_another_merchant(client_a, merchant_b):
    other = add_staff(merchant_b.merchant, "packer-b@example.com")

    response = client_a.post(f"/app/settings/members/{other.pk}/remove")

    assert response.status_code == 404
    assert Membership.objects.filter(pk=other.pk).exists()
