"""`createmerchant` and `seed_demo --only merchant` print one JSON object whose keys and login
work."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from demo.seeders.merchant import DEMO_SLUG
from merchant.models import ApiKey, Membership, Merchant, User

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_createmerchant_prints_one_json_object_whose_secret_key_works():
    output = run(
        "createmerchant",
        "--name",
        "Lakeshore Bikes",
        "--email",
        "Owner@Lakeshore.example",
        "--password",
        "bikes-and-bells-2024",
    )

    summary = json.loads(output)  # the whole output is one object, nothing else
    assert isinstance(summary, dict)
    assert {"merchant_id", "slug", "secret_api_key", "publishable_key"} <= summary.keys()
    merchant = Merchant.objects.get(pk=summary["merchant_id"])
    assert summary["slug"] == merchant.slug == "lakeshore-bikes"
    assert summary["secret_api_key"].startswith("nbx_sk_")
    assert summary["publishable_key"].startswith("nbx_pk_")
    assert Membership.objects.get(merchant=merchant).user.email == "owner@lakeshore.example"

    api = Client(headers={"Authorization": f"Bearer {summary['secret_api_key']}"})
    response = api.get("/api/v1/merchant")
    assert response.status_code == 200
    assert response.json()["slug"] == summary["slug"]

    login = Client().post(
        "/accounts/login/",
        {"username": "owner@lakeshore.example", "password": "bikes-and-bells-2024"},
    )
    assert login.status_code == 302


def test_createmerchant_with_an_email_already_registered_fails_and_creates_nothing(
    merchant_a,
):
    counts = (Merchant.objects.count(), User.objects.count(), ApiKey.objects.count())

    with pytest.raises(CommandError, match="already has an account"):
        run(
            "createmerchant",
            "--name",
            "Second Shop",
            "--email",
            merchant_a.owner.email.upper(),
            "--password",
            "another-password-77",
        )

    assert (Merchant.objects.count(), User.objects.count(), ApiKey.objects.count()) == counts
    assert not Merchant.objects.filter(name="Second Shop").exists()


def test_seed_demo_prints_json_with_login_and_keys():
    summary = json.loads(run("seed_demo", "--only", "merchant", "--json"))

    assert {
        "merchant_id",
        "slug",
        "email",
        "password",
        "secret_api_key",
        "publishable_key",
    } <= summary.keys()
    assert summary["slug"] == DEMO_SLUG
    api = Client(headers={"Authorization": f"Bearer {summary['secret_api_key']}"})
    assert api.get("/api/v1/merchant").json()["slug"] == DEMO_SLUG


def test_seed_demo_twice_leaves_one_merchant_one_owner_two_keys_and_prints_the_same_keys():
    first = json.loads(run("seed_demo", "--only", "merchant", "--json"))
    second = json.loads(run("seed_demo", "--only", "merchant", "--json"))

    assert second == first
    assert Merchant.objects.filter(slug=DEMO_SLUG).count() == 1
    merchant = Merchant.objects.get(slug=DEMO_SLUG)
    memberships = Membership.objects.filter(merchant=merchant)
    assert memberships.count() == 1
    assert memberships.get().role == Membership.Role.OWNER
    assert User.objects.filter(email=first["email"]).count() == 1
    keys = ApiKey.objects.filter(merchant=merchant)
    assert keys.count() == 2
    assert sorted(keys.values_list("kind", flat=True)) == ["publishable", "secret"]


def test_seed_demo_login_works_in_the_dashboard():
    summary = json.loads(run("seed_demo", "--only", "merchant", "--json"))
    client = Client()

    login = client.post(
        "/accounts/login/", {"username": summary["email"], "password": summary["password"]}
    )
    assert login.status_code == 302
    dashboard = client.get(login["Location"])

    assert dashboard.status_code == 200
    assert f"Today at {summary['name']}" in dashboard.content.decode()


def test_seed_demo_without_json_prints_the_login():
    output = run("seed_demo", "--only", "merchant")

    assert "demo@nearbox.example" in output
    assert "nearbox-demo" in output
