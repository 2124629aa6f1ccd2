"""API keys: stored hashed, checked as bearer tokens, issued and revoked by owners only."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.test import Client

from merchant.models import ApiKey, Membership, User
from merchant.services.api_keys import issue_api_key, revoke_api_key

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {raw}"})


def assert_unauthenticated(response) -> None:
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "unauthenticated"


@pytest.fixture
def staff_client_a(merchant_a) -> Client:
    staff = User.objects.create_user("staff-a@example.com", "staff-password-123")
    Membership.objects.create(merchant=merchant_a.merchant, user=staff, role=Membership.Role.STAFF)
    client = Client()
    client.force_login(staff)
    return client


def test_keys_are_stored_as_a_digest_and_the_raw_key_is_nowhere_in_the_row(merchant_a):
    for issued in (merchant_a.secret_key, merchant_a.publishable_key):
        row = ApiKey.objects.get(pk=issued.api_key.pk)
        stored = json.dumps(model_to_dict(row), default=str)
        assert issued.raw not in stored
        assert issued.raw[12:] not in stored  # not even the random part beyond the prefix
        assert len(row.digest) == 64
        assert issued.raw.startswith(row.prefix)


def test_secret_key_as_bearer_returns_the_merchant(api_client_a, merchant_a):
    response = api_client_a.get("/api/v1/merchant")

    assert response.status_code == 200
    body = response.json()
    assert body["slug"] == merchant_a.merchant.slug
    assert body["id"] == merchant_a.merchant.pk


def test_secret_key_of_another_merchant_returns_that_merchant_only(merchant_a, merchant_b):
    response = bearer(merchant_b.secret_key.raw).get("/api/v1/merchant")

    assert response.json()["slug"] == merchant_b.merchant.slug
    assert response.json()["slug"] != merchant_a.merchant.slug


def test_api_without_a_key_is_unauthenticated(client, merchant_a):
    assert_unauthenticated(client.get("/api/v1/merchant"))


def test_api_with_a_wrong_key_is_unauthenticated(merchant_a):
    wrong = merchant_a.secret_key.raw[:-4] + "AAAA"
    assert wrong != merchant_a.secret_key.raw

    assert_unauthenticated(bearer(wrong).get("/api/v1/merchant"))
    assert_unauthenticated(bearer("nbx_sk_not-a-key").get("/api/v1/merchant"))


def test_publishable_key_used_as_bearer_is_unauthenticated(merchant_a):
    assert_unauthenticated(bearer(merchant_a.publishable_key.raw).get("/api/v1/merchant"))


def test_revoked_key_is_unauthenticated(merchant_a):
    revoke_api_key(api_key=merchant_a.secret_key.api_key)

    assert_unauthenticated(bearer(merchant_a.secret_key.raw).get("/api/v1/merchant"))


def test_owner_revokes_a_key_from_the_dashboard_and_the_api_then_refuses_it(client_a, merchant_a):
    api_key = merchant_a.secret_key.api_key
    assert bearer(merchant_a.secret_key.raw).get("/api/v1/merchant").status_code == 200

    response = client_a.post(f"/app/settings/api-keys/{api_key.pk}/revoke", follow=True)

    assert response.status_code == 200
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert "is revoked" in response.content.decode()
    assert_unauthenticated(bearer(merchant_a.secret_key.raw).get("/api/v1/merchant"))
    # The other key of the merchant is untouched.
    merchant_a.publishable_key.api_key.refresh_from_db()
    assert merchant_a.publishable_key.api_key.revoked_at is None


def test_staff_member_cannot_revoke_a_key(staff_client_a, merchant_a):
    api_key = merchant_a.secret_key.api_key

    response = staff_client_a.post(f"/app/settings/api-keys/{api_key.pk}/revoke")

    assert response.status_code == 403
    api_key.refresh_from_db()
    assert api_key.revoked_at is None
    assert bearer(merchant_a.secret_key.raw).get("/api/v1/merchant").status_code == 200


def test_owner_cannot_revoke_another_merchants_key(client_a, merchant_b):
    api_key = merchant_b.secret_key.api_key

    response = client_a.post(f"/app/settings/api-keys/{api_key.pk}/revoke")

    assert response.status_code == 404
    api_key.refresh_from_db()
    assert api_key.revoked_at is None


def test_staff_member_gets_forbidden_on_the_api_keys_page(staff_client_a):
    response = staff_client_a.get("/app/settings/api-keys/")

    assert response.status_code == 403


def test_anonymous_visitor_is_sent_to_sign_in_from_the_api_keys_page(client):
    response = client.get("/app/settings/api-keys/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_owner_creates_a_secret_key_and_sees_it_once(client_a, merchant_a):
    before = ApiKey.objects.filter(merchant=merchant_a.merchant).count()

    posted = client_a.post("/app/settings/api-keys/", {"name": "Shop backend", "kind": "secret"})

    # Post/redirect/get: reloading the page must not issue a second key.
    assert posted.status_code == 302
    assert posted["Location"] == "/app/settings/api-keys/"
    response = client_a.get(posted["Location"])
    issued = response.context["issued"]
    assert issued is not None
    assert issued.api_key.name == "Shop backend"
    assert issued.raw in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert ApiKey.objects.filter(merchant=merchant_a.merchant).count() == before + 1
    assert bearer(issued.raw).get("/api/v1/merchant").json()["slug"] == merchant_a.merchant.slug
    # The page afterwards shows the prefix, never the whole key.
    listing = client_a.get("/app/settings/api-keys/")
    assert listing.context["issued"] is None
    assert issued.api_key.prefix in listing.content.decode()
    assert issued.raw not in listing.content.decode()
    assert ApiKey.objects.filter(merchant=merchant_a.merchant).count() == before + 1


def test_publishable_key_without_origins_is_refused_with_the_field_named(client_a, merchant_a):
    before = ApiKey.objects.filter(merchant=merchant_a.merchant).count()

    response = client_a.post(
        "/app/settings/api-keys/",
        {"name": "Checkout", "kind": "publishable", "allowed_origins": ""},
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert "allowed_origins" in form.errors
    assert "at least one origin" in " ".join(form.errors["allowed_origins"])
    assert response.context["issued"] is None
    assert ApiKey.objects.filter(merchant=merchant_a.merchant).count() == before


def test_origins_are_normalised_when_a_publishable_key_is_created(client_a, merchant_a):
    response = client_a.post(
        "/app/settings/api-keys/",
        {
            "name": "Checkout",
            "kind": "publishable",
            "allowed_origins": "https://Shop.Example.com/\r\nhttp://localhost:8000",
        },
        follow=True,
    )

    issued = response.context["issued"]
    assert issued is not None
    issued.api_key.refresh_from_db()
    assert issued.api_key.allowed_origins == ["http://localhost:8000", "https://shop.example.com"]


def test_an_origin_with_a_path_is_refused(client_a, merchant_a):
    before = ApiKey.objects.filter(merchant=merchant_a.merchant).count()

    response = client_a.post(
        "/app/settings/api-keys/",
        {
            "name": "Checkout",
            "kind": "publishable",
            "allowed_origins": "https://shop.example.com/checkout",
        },
    )

    form = response.context["form"]
    assert "allowed_origins" in form.errors
    assert "has a path" in " ".join(form.errors["allowed_origins"])
    assert ApiKey.objects.filter(merchant=merchant_a.merchant).count() == before


def test_issuing_a_publishable_key_without_origins_is_refused_by_the_service(merchant_a):
    with pytest.raises(ValidationError):
        issue_api_key(merchant=merchant_a.merchant, kind="publishable", name="x")


def test_openapi_schema_is_valid_json_with_the_paths(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/merchant" in schema["paths"]
    assert "/api/v1/jobs" in schema["paths"]
    assert "/api/v1/jobs/{job_id}" in schema["paths"]


def test_unknown_job_is_a_json_not_found_problem(api_client_a):
    response = api_client_a.get("/api/v1/jobs/999999")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "not_found"
    assert body["status"] == 404
    assert body["detail"]
