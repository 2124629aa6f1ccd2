"""The karrio bridge: every installed karrio carrier registered and asking for its own
credentials, karrio's HTTP only through our CourierHttp, karrio's own models mapped to ours,
and the account form showing (and requiring) what the chosen courier needs."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from fulfillment.couriers.adapters import get_adapter
from fulfillment.couriers.adapters.base import ADAPTERS, adapter_class, courier_choices
from fulfillment.couriers.adapters.errors import CourierRejected, CourierUnavailable
from fulfillment.couriers.adapters.http import CourierHttp
from fulfillment.couriers.adapters.karrio_bridge import mapping
from fulfillment.couriers.adapters.karrio_bridge.adapter import KarrioAdapter
from fulfillment.couriers.adapters.karrio_bridge.seam import KarrioHttpOutsideBridge
from fulfillment.couriers.adapters.types import TrackingStatus
from fulfillment.couriers.services.accounts import credentials_for
from fulfillment.models import CourierAccount
from tests.support.couriers import FAST_RETRIES, REPO, payload, payload_bytes, replay_http

S = TrackingStatus


def test_every_installed_karrio_carrier_is_a_registered_adapter_and_ours_keep_their_codes():
    assert ADAPTERS["dpd"].endswith("karrio_bridge.adapter:dpd")
    # karrio speaks the same APIs as three of ours: theirs get a prefix, ours keep the code.
    for karrio_id, ours in (("dhl_universal", "dhl"), ("ups", "ups"), ("royalmail", "royalmail")):
        assert ADAPTERS[f"karrio_{karrio_id}"].endswith(f"karrio_bridge.adapter:karrio_{karrio_id}")
        assert "karrio" not in ADAPTERS[ours]
    choices = dict(courier_choices())
    assert choices["dpd"] == "DPD" and choices["karrio_ups"] == "UPS (via karrio)"
    assert all(
        len(code) <= CourierAccount._meta.get_field("courier").max_length for code in choices
    )
    for code in ("dpd", "karrio_ups", "karrio_dhl_universal", "karrio_royalmail"):
        adapter = adapter_class(code)
        assert issubclass(adapter, KarrioAdapter) and adapter.code == code
        assert adapter.capabilities.track_batch_size > 0


def test_credential_fields_come_from_karrios_settings():
    dpd = adapter_class("dpd")
    fields = {f.name: f for f in dpd.credential_fields}
    assert [f.name for f in dpd.credential_fields if f.required] == ["delis_id", "password"]
    assert fields["password"].secret and not fields["delis_id"].secret
    assert fields["delis_id"].label == "Delis ID"
    assert not fields["account_country_code"].required  # DPD BE or NL decides karrio's host
    ups = adapter_class("karrio_ups")
    assert [f.name for f in ups.credential_fields if f.required] == ["client_id", "client_secret"]
    assert "test_mode" not in {f.name for f in ups.credential_fields}


def test_a_missing_required_credential_is_named_and_nothing_is_sent():
    seen: list[httpx.Request] = []
    adapter = get_adapter("dpd", credentials={"delis_id": "KD1"}, http=replay_http({}, seen))
    error = adapter.track(["05308801410058"])["05308801410058"]
    assert isinstance(error, CourierRejected) and "password" in str(error)
    assert seen == []


def test_karrio_reaches_no_carrier_outside_a_bridge_call():
    import karrio.lib as lib

    with pytest.raises(KarrioHttpOutsideBridge):
        lib.request(url="https://wsshipper.dpd.be/soap/services/LoginService/V2_1", method="POST")


def test_the_accounts_base_url_replaces_karrios_host_and_our_layer_retries_a_get():
    """karrio's DHL Universal tracking is a GET: our layer retries its 503 (karrio would not),
    at the account's base URL, with the account's key, never showing the key in errors."""
    seen: list[httpx.Request] = []
    answers = iter([httpx.Response(503), httpx.Response(503)])

    def flaky(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return next(
            answers,
            httpx.Response(200, content=payload_bytes("dhl_universal_tracking_response.json")),
        )

    http = CourierHttp(account_id="t", transport=httpx.MockTransport(flaky), policy=FAST_RETRIES)
    key = "dhl-key-secret-77aa"
    adapter = get_adapter(
        "karrio_dhl_universal",
        credentials={"consumer_key": key, "consumer_secret": "unused-secret"},
        base_url="http://127.0.0.1:9/mirror",
        http=http,
    )
    number = str(payload("dhl_universal_tracking_response.json")["shipments"][0]["id"])
    result = adapter.track([number])[number]
    assert not isinstance(result, Exception), result
    assert {str(r.url).split("?")[0] for r in seen} == {"http://127.0.0.1:9/mirror/track/shipments"}
    assert len(seen) == 3 and seen[-1].headers["DHL-API-Key"] == key
    assert result.events and all(e.occurred_at.tzinfo for e in result.events)


def test_a_carrier_that_stays_down_is_unavailable_and_the_error_never_shows_the_key():
    http = CourierHttp(
        account_id="t",
        transport=httpx.MockTransport(lambda r: httpx.Response(503)),
        policy=FAST_RETRIES,
    )
    key = "dhl-key-secret-88bb"
    adapter = get_adapter(
        "karrio_dhl_universal",
        credentials={"consumer_key": key, "consumer_secret": "x"},
        base_url=f"http://127.0.0.1:9/{key}",
        http=http,
    )
    error = adapter.track(["123"])["123"]
    assert isinstance(error, CourierUnavailable) and key not in str(error)


def test_karrio_says_nothing_on_our_output():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='tests.settings'; django.setup();"
        "from fulfillment.couriers.adapters.base import adapter_class, courier_choices;"
        "courier_choices(); adapter_class('dpd'); import karrio.sdk; karrio.sdk.gateway['dpd']"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "Plugins loaded" not in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("karrio_status", "ours"),
    [
        ("pending", S.INFO_RECEIVED), ("picked_up", S.IN_TRANSIT),
        ("out_for_delivery", S.OUT_FOR_DELIVERY),
        ("delivery_failed", S.FAILED_ATTEMPT), ("ready_for_pickup", S.AVAILABLE_FOR_PICKUP),
        ("delivered", S.DELIVERED), ("return_to_sender", S.RETURNED), ("on_hold", S.EXCEPTION),
        (None, S.IN_TRANSIT), ("something_new", S.IN_TRANSIT),
    ],
)  # fmt: skip
def test_karrios_statuses_map_onto_ours(karrio_status, ours):
    assert mapping.map_status(karrio_status) is ours


def test_karrios_reasons_and_money_map_onto_ours():
    assert mapping.map_reason("consignee_not_home") == "not_home"
    assert mapping.map_reason("consignee_refused") == "refused"
    assert mapping.map_reason("consignee_incorrect_address") == "address_not_found"
    assert mapping.map_reason("customs_delay") == "customs_delay"  # kept in karrio's words
    assert mapping.map_reason("unknown") is None
    assert mapping.minor_units(12.345, "EUR", courier="x") == 1234  # half to even
    assert mapping.minor_units("1500", "JPY", courier="x") == 1500
    assert mapping.minor_units(1.5, "KWD", courier="x") == 1500
    for bad in ("NaN", "-1", "1e400", "abc", None):
        with pytest.raises(Exception) as info:
            mapping.minor_units(bad, "EUR", courier="x")
        assert type(info.value).__name__ == "MalformedResponse"


# --- the account form ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_account_form_shows_the_chosen_couriers_credentials(client_a):
    page = client_a.get("/app/couriers/new/?courier=dpd").content.decode()
    assert 'name="credential_delis_id"' in page and 'name="credential_password"' in page
    assert 'type="password" name="credential_password"' in page
    assert "What DPD needs" in page and "<code>delis_id</code>" in page
    plain = client_a.get("/app/couriers/new/?courier=<script>alert(1)</script>").content.decode()
    assert "<script>alert(1)</script>" not in plain and "credential_" not in plain


ACCOUNT = {"name": "DPD Belgium", "requests_per_second": "5", "currency": "EUR", "is_active": "on"}


@pytest.mark.django_db
def test_a_missing_required_credential_is_refused_with_its_name_and_nothing_is_stored(client_a):
    response = client_a.post(
        "/app/couriers/new/", {**ACCOUNT, "courier": "dpd", "credential_delis_id": "KD0001"}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "DPD needs: Password (password)." in form.non_field_errors()
    assert form.errors["credential_password"] == ["Required."]
    assert not CourierAccount.objects.filter(name="DPD Belgium").exists()


@pytest.mark.django_db
def test_dpd_credentials_from_the_inputs_are_stored_encrypted(client_a):
    secret = "dpd-pass-5566aa77"
    response = client_a.post(
        "/app/couriers/new/",
        {**ACCOUNT, "courier": "dpd", "credential_delis_id": "KD0001",
         "credential_password": secret, "credentials": "account_country_code=BE"},
    )  # fmt: skip
    assert response.status_code == 302
    account = CourierAccount.objects.get(name="DPD Belgium")
    assert secret not in account.credentials_encrypted
    assert credentials_for(account) == {
        "account_country_code": "BE", "delis_id": "KD0001", "password": secret,
    }  # fmt: skip
    edit = client_a.get(f"/app/couriers/{account.pk}/edit/").content.decode()
    assert secret not in edit and 'name="credential_password"' in edit
    # Editing without credentials keeps them; the textarea alone still works for ours.
    response = client_a.post(
        f"/app/couriers/{account.pk}/edit/", {**ACCOUNT, "courier": "dpd", "name": "DPD BE"}
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.name == "DPD BE" and credentials_for(account)["password"] == secret


@pytest.mark.django_db
def test_switching_an_account_to_a_courier_whose_credentials_are_not_stored_is_refused(client_a):
    response = client_a.post(
        "/app/couriers/new/",
        {**ACCOUNT, "courier": "dhl", "name": "Carrier", "credentials": "api_key=k-1"},
    )
    account = CourierAccount.objects.get(name="Carrier")
    response = client_a.post(
        f"/app/couriers/{account.pk}/edit/", {**ACCOUNT, "courier": "dpd", "name": "Carrier"}
    )
    assert response.status_code == 200
    assert (
        "DPD needs: Delis ID (delis_id), Password (password)."
        in response.context["form"].non_field_errors()
    )
    account.refresh_from_db()
    assert account.courier == "dhl"


@pytest.mark.django_db
def test_a_credential_input_refuses_a_second_line(client_a):
    response = client_a.post(
        "/app/couriers/new/",
        {
            **ACCOUNT,
            "courier": "dpd",
            "credential_delis_id": "KD1\nevil=1",
            "credential_password": "p",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["credential_delis_id"] == ["One line only."]


def test_karrios_model_builder_logs_no_recipient_data(caplog):
    caplog.set_level("DEBUG")
    adapter = get_adapter("karrio_dhl_universal", credentials={})
    (result,) = adapter.parse_document(
        payload_bytes("dhl_universal_tracking_response.json")
    ).values()
    assert result.status is S.DELIVERED
    assert "unknown arguments" not in caplog.text and "John Doe" not in caplog.text


def test_the_bridge_works_when_called_inside_a_running_event_loop():
    """karrio's DHL gateway fans out with asyncio.run(): an async caller must not break it."""
    import asyncio
    import threading

    seen: list[httpx.Request] = []
    body = payload_bytes("dhl_universal_tracking_response.json")
    adapter = get_adapter(
        "karrio_dhl_universal",
        credentials={"consumer_key": "k", "consumer_secret": "s"},
        http=replay_http({"/track/shipments": (200, body)}, seen),
    )

    async def caller():
        return adapter.track(["7777777770"])["7777777770"]

    outcome: list = []  # a thread of its own: this test's thread may hold a loop already
    thread = threading.Thread(target=lambda: outcome.append(asyncio.run(caller())))
    thread.start()
    thread.join(timeout=60)
    (result,) = outcome
    assert not isinstance(result, Exception), result
    assert result.status is S.DELIVERED and len(seen) == 1


def test_a_karrio_rate_becomes_a_quote_in_minor_units_of_its_currency():
    import karrio.core.models as karrio_models

    rate = karrio_models.RateDetails(
        carrier_name="ups", carrier_id="ups", service="ups_standard", currency="EUR",
        total_charge=12.5, estimated_delivery="2026-12-08",
    )  # fmt: skip
    quote = mapping.quote(
        rate, courier="karrio_ups", service_names={"ups_standard": "UPS Standard"}
    )
    assert (quote.price_minor, quote.currency, quote.service_name) == (1250, "EUR", "UPS Standard")
    assert quote.estimated_delivery.start.isoformat() == "2026-12-08T00:00:00+00:00"


@pytest.mark.django_db
def test_hostile_credential_inputs_are_refused_and_nothing_is_stored(client_a):
    for value, expected in [
        ("KD\x00001", "Null characters are not allowed."),
        ("x" * 4001, "Ensure this value has at most 4000 characters"),
    ]:
        response = client_a.post(
            "/app/couriers/new/",
            {**ACCOUNT, "courier": "dpd", "credential_delis_id": value, "credential_password": "p"},
        )
        assert response.status_code == 200
        assert expected in str(response.context["form"].errors["credential_delis_id"])
    markup = client_a.post(
        "/app/couriers/new/",
        {**ACCOUNT, "courier": "dpd", "name": "<img src=x onerror=alert(1)>"},
    ).content.decode()
    assert "<img src=x onerror=alert(1)>" not in markup
    assert not CourierAccount.objects.exists()


def test_a_broken_karrio_plugin_leaves_the_form_and_rate_shopping_working(monkeypatch, caplog):
    from fulfillment.couriers.adapters import base
    from fulfillment.couriers.adapters.karrio_bridge import catalog

    monkeypatch.setitem(base.BRIDGED, "broken", "broken")
    monkeypatch.setitem(base.ADAPTERS, "broken", f"{base.BRIDGE_PATH}:broken")
    carriers = {**catalog.installed_carriers(), "broken": "no_such_module_for_nearbox:METADATA"}
    monkeypatch.setattr(catalog, "installed_carriers", lambda: carriers)
    catalog.plugin_metadata.cache_clear()
    try:
        assert dict(base.courier_choices())["broken"] == "broken"
        live = base.live_quote_couriers()
    finally:
        catalog.plugin_metadata.cache_clear()
    assert "broken" not in live and "karrio_ups" in live and "sandbox" in live
    assert "karrio plugin 'broken' cannot be loaded" in caplog.text
