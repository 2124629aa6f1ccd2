"""Couriers pages and API: bad input refused with the field named, credentials never shown
or logged, the rule form, the API listing."""

from __future__ import annotations

import logging

import pytest
from django.core.exceptions import ValidationError

from fulfillment.couriers.services.accounts import (
    create_area,
    credentials_for,
    record_account_error,
    update_service,
)
from fulfillment.models import CourierAccount, CourierService, ServiceArea
from tests.factories.couriers import make_account, make_service

SECRET = "sk_live_9f8e7d6c5b4a3210"

pytestmark = pytest.mark.django_db


def test_credentials_are_encrypted_and_never_shown_in_pages_api_or_logs(
    merchant_a, client_a, api_client_a, caplog
):
    caplog.set_level(logging.DEBUG)
    response = client_a.post(
        "/app/couriers/new/",
        {
            "courier": "dhl",
            "name": "DHL Express",
            "credentials": f"api_key={SECRET}\nwebhook_secret=env:NEARBOX_COURIER_DHL_HOOK",
            "requests_per_second": "5",
            "currency": "USD",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    account = CourierAccount.objects.get(name="DHL Express")
    assert SECRET not in account.credentials_encrypted
    assert credentials_for(account)["api_key"] == SECRET
    record_account_error(account=account, message=f"401 for key {SECRET}")

    pages = [
        client_a.get("/app/couriers/").content.decode(),
        client_a.get(f"/app/couriers/{account.pk}/edit/").content.decode(),
        api_client_a.get("/api/v1/couriers").content.decode(),
    ]
    for body in pages:
        assert SECRET not in body
    assert "••••3210" in pages[0] and "webhook_secret from env:NEARBOX_COURIER_DHL_HOOK" in pages[0]
    assert "401 for key [redacted]" in pages[0]
    assert SECRET not in caplog.text
    assert "[redacted]" in caplog.text


def test_editing_an_account_without_credentials_keeps_the_stored_ones(merchant_a, client_a):
    account = make_account(merchant_a.merchant, courier="sandbox", credentials=f"api_key={SECRET}")
    response = client_a.post(
        f"/app/couriers/{account.pk}/edit/",
        {"courier": "sandbox", "name": "Renamed", "requests_per_second": "2", "currency": "USD"},
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.name == "Renamed" and not account.is_active
    assert credentials_for(account) == {"api_key": SECRET}


def test_a_malformed_polygon_is_refused_with_the_field_named(merchant_a, client_a):
    account = make_account(merchant_a.merchant, area=False)
    bowtie = '{"type": "Polygon", "coordinates": [[[0,0],[1,1],[1,0],[0,1],[0,0]]]}'
    for text, expected in [
        ("{not json", "Not JSON"),
        ('{"type": "Point", "coordinates": [0, 0]}', "Polygon or MultiPolygon"),
        (bowtie, "Invalid polygon: Self-intersection"),
    ]:
        response = client_a.post(
            f"/app/couriers/{account.pk}/areas/new/", {"kind": "polygon", "polygon": text}
        )
        assert response.status_code == 200
        assert expected in response.context["form"].errors["polygon"][0]
    assert not ServiceArea.objects.filter(account=account).exists()
    with pytest.raises(ValidationError) as info:
        create_area(account=account, kind="zip", zip_codes="60614 6061x")
    assert "zip_codes" in info.value.message_dict


def test_a_malformed_rate_card_is_refused_with_the_field_named(merchant_a, client_a):
    service = make_service(make_account(merchant_a.merchant))
    with pytest.raises(ValidationError) as info:
        update_service(service=service, size_surcharges='[{"over_g": -1, "surcharge": 3}]')
    assert "size_surcharges" in info.value.message_dict
    response = client_a.post(
        f"/app/couriers/services/{service.pk}/edit/",
        {
            "level": "next_day", "code": "nd", "name": "Next", "transit_hours": "24",
            "pickup_cutoff": "17:00", "base_minor": "500", "per_km_minor": "0",
            "per_kg_minor": "0", "size_surcharges": "[{\"over_g\": 5000}]", "fuel_pct": "150",
            "minimum_minor": "0",
        },
    )  # fmt: skip
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "fuel_pct" in errors
    service.refresh_from_db()
    assert service.code != "nd"


def test_the_rule_form_saves_the_preferred_courier(merchant_a, client_a):
    account = make_account(merchant_a.merchant, name="Bikes")
    response = client_a.post(
        "/app/couriers/rule/", {"rule": "preferred", "preferred_account": "", "tolerance_pct": "5"}
    )
    assert "preferred_account" in response.context["form"].errors
    response = client_a.post(
        "/app/couriers/rule/",
        {"rule": "preferred", "preferred_account": account.pk, "tolerance_pct": "5"},
    )
    assert response.status_code == 302
    page = client_a.get("/app/couriers/").content.decode()
    assert "Bikes, up to 5% above the cheapest" in page


def test_the_couriers_page_has_an_empty_state_and_lists_services(merchant_a, client_a):
    assert "No courier accounts yet" in client_a.get("/app/couriers/").content.decode()
    make_service(make_account(merchant_a.merchant, name="Bikes"), name="Bike same day")
    page = client_a.get("/app/couriers/").content.decode()
    assert "Bike same day" in page and "50 km around" in page
    assert CourierService.objects.count() == 1


def test_the_demo_couriers_are_seeded_once(merchant_a):
    from demo.seeders.couriers import ensure_demo_couriers

    for _ in range(2):
        ensure_demo_couriers(merchant=merchant_a.merchant, sandbox_url="http://127.0.0.1:8765")
    accounts = CourierAccount.objects.for_merchant(merchant_a.merchant)
    assert sorted(a.courier for a in accounts) == ["manual", "sandbox"]
    assert CourierService.objects.filter(account__in=accounts).count() == 4
    assert credentials_for(accounts.get(courier="sandbox")) == {"api_key": "sandbox-key"}


def test_env_credentials_name_only_nearbox_courier_variables(merchant_a, monkeypatch):
    # A merchant writes env: references and sets the base URL: any other variable would let
    # them send the server's own secrets (SECRET_KEY, DATABASE_URL…) to a server of theirs.
    monkeypatch.setenv("NEARBOX_COURIER_DHL_KEY", "from-env")
    for name in ("SECRET_KEY", "DATABASE_URL", "NEARBOX_COURIER_", "nearbox_courier_x"):
        with pytest.raises(ValidationError) as refused:
            make_account(merchant_a.merchant, courier="dhl", credentials=f"api_key=env:{name}")
        assert "NEARBOX_COURIER_" in str(refused.value)
    account = make_account(
        merchant_a.merchant, courier="dhl", credentials="api_key=env:NEARBOX_COURIER_DHL_KEY"
    )
    assert credentials_for(account) == {"api_key": "from-env"}


def test_a_stored_env_reference_outside_the_prefix_resolves_to_nothing(merchant_a, monkeypatch):
    from fulfillment.couriers.services.accounts import encrypt_credentials

    monkeypatch.setenv("SECRET_KEY_COPY", "server secret")
    account = make_account(merchant_a.merchant, courier="dhl", credentials="api_key=abcdefgh")
    # As stored before the rule: the reference stays, the variable is never read.
    CourierAccount.objects.filter(pk=account.pk).update(
        credentials_encrypted=encrypt_credentials({"api_key": "env:SECRET_KEY_COPY"})
    )
    account.refresh_from_db()
    assert credentials_for(account) == {"api_key": ""}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.5",
        "http://[::1]:8000",
        "http://localhost:8765",
        "http://db.internal",
    ],
)
def test_a_base_url_into_nearboxs_own_network_is_refused_in_production(merchant_a, settings, url):
    # Nearbox sends the account's credentials to its base URL: never into its own network.
    settings.NEARBOX_COURIERS_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError) as refused:
        make_account(merchant_a.merchant, courier="dhl", base_url=url)
    assert "base_url" in refused.value.message_dict
    assert not CourierAccount.objects.filter(merchant=merchant_a.merchant).exists()


def test_a_public_base_url_is_kept_and_a_stored_local_one_survives_other_edits(
    merchant_a, settings
):
    from fulfillment.couriers.services.accounts import update_account

    local = make_account(merchant_a.merchant, courier="dhl", base_url="http://127.0.0.1:8765")
    settings.NEARBOX_COURIERS_ALLOW_PRIVATE = False
    public = make_account(merchant_a.merchant, courier="dhl", base_url="https://93.184.215.14")
    assert public.base_url == "https://93.184.215.14"
    # Renaming an account set up before the rule does not fail on its old address...
    assert update_account(account=local, name="Renamed").name == "Renamed"
    # ...but moving it to another local one does.
    with pytest.raises(ValidationError):
        update_account(account=local, base_url="http://127.0.0.1:9999")
