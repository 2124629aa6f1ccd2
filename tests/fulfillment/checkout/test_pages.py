"""Settings → Checkout rules and Couriers → Rules as a person uses them without JavaScript and
with htmx: add with clear errors, edit, order up and down, remove, preview."""

from __future__ import annotations

import pytest

from fulfillment.models import CheckoutRule, CourierRule
from tests.fulfillment.checkout.conftest import SMALL

pytestmark = pytest.mark.sqlite


def add_rule(client, **fields):
    data = {"name": "Rule", "action": "hide", "is_active": "on", "rounding": "none", **fields}
    return client.post("/app/settings/checkout-rules/new/", data)


@pytest.mark.django_db
def test_the_list_says_what_to_do_when_there_is_no_rule(client_a):
    page = client_a.get("/app/settings/checkout-rules/")
    assert page.status_code == 200
    assert b"No checkout rules yet" in page.content
    assert b'aria-current="page">Checkout rules' in page.content


@pytest.mark.django_db
def test_a_rule_form_shows_errors_on_the_fields_and_saves_nothing(client_a):
    page = add_rule(client_a, action="free", min_order="")
    assert page.status_code == 200
    assert b"Give the order value free shipping starts at." in page.content
    page = add_rule(client_a, action="set_price", amount="-1.00")
    assert b"A price cannot be negative." in page.content
    page = add_rule(client_a, name="<script>alert(1)</script>", action="markup_pct", percent="")
    assert b"Give the markup in percent" in page.content
    assert b"<script>alert(1)</script>" not in page.content
    assert not CheckoutRule.objects.exists()


@pytest.mark.django_db
def test_rules_are_added_last_moved_up_and_down_edited_and_removed(client_a, merchant_a):
    assert add_rule(client_a, name="First", action="free", min_order="50.00").status_code == 302
    assert add_rule(client_a, name="Second", action="round", rounding="99").status_code == 302
    rules = list(CheckoutRule.objects.order_by("position"))
    assert [r.name for r in rules] == ["First", "Second"]
    assert rules[0].min_order_minor == 5000
    second = rules[1]
    listed = client_a.get("/app/settings/checkout-rules/").content.decode()
    for rule in rules:  # each row's own buttons; the first cannot go up, the last not down
        assert f'action="/app/settings/checkout-rules/{rule.pk}/move"' in listed
        assert f'action="/app/settings/checkout-rules/{rule.pk}/delete"' in listed
    assert 'value="up" class="btn" disabled>Up<span class="visually-hidden"> First' in listed
    assert 'value="down" class="btn" disabled>Down<span class="visually-hidden"> Second' in listed
    client_a.post(f"/app/settings/checkout-rules/{second.pk}/move", {"direction": "up"})
    assert [r.name for r in CheckoutRule.objects.order_by("position")] == ["Second", "First"]
    client_a.post(f"/app/settings/checkout-rules/{second.pk}/move", {"direction": "down"})
    assert [r.name for r in CheckoutRule.objects.order_by("position")] == ["First", "Second"]
    edit = client_a.get(f"/app/settings/checkout-rules/{rules[0].pk}/")
    assert b'value="50.00"' in edit.content
    client_a.post(
        f"/app/settings/checkout-rules/{rules[0].pk}/",
        {"name": "First", "action": "free", "min_order": "75", "rounding": "none"},
    )
    rules[0].refresh_from_db()
    assert rules[0].min_order_minor == 7500 and not rules[0].is_active
    client_a.post(f"/app/settings/checkout-rules/{second.pk}/delete")
    assert list(CheckoutRule.objects.values_list("name", flat=True)) == ["First"]


@pytest.mark.django_db
def test_the_preview_fragment_shows_each_option_with_its_price_and_rule(client_a, shop):
    add_rule(client_a, name="Free over $50", action="free", min_order="50")
    data = {"postal_code": "60614", "country": "US", "value": "60.00", "tags": "", **SMALL}
    fragment = client_a.post("/app/settings/checkout-rules/preview", data, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert "<html" not in html
    assert f'data-option="svc-{shop["next_day"].pk}"' in html
    assert "Free over $50" in html and "$0.00" in html
    bad = client_a.post(
        "/app/settings/checkout-rules/preview",
        {**data, "postal_code": "00000"},
        HTTP_HX_REQUEST="true",
    )
    assert bad.status_code == 200 and 'role="alert"' in bad.content.decode()
    whole = client_a.post("/app/settings/checkout-rules/preview", data)  # without htmx
    assert b"<html" in whole.content and b"Free over $50" in whole.content


@pytest.mark.django_db
def test_courier_rules_page_adds_a_rule_for_a_point_and_zip_range(client_a, shop):
    page = client_a.get("/app/couriers/rules/")
    assert b"No courier rules yet" in page.content
    bad = client_a.post(
        "/app/couriers/rules/new/",
        {"name": "Bikes", "destinations": "60614-60601", "rule": "cheapest", "tolerance_pct": 10},
    )
    assert b"a range needs two ZIPs of one length, low first" in bad.content
    missing = client_a.post(
        "/app/couriers/rules/new/",
        {"name": "Bikes", "destinations": "60601-60614", "rule": "service", "tolerance_pct": 10},
    )
    assert b"Choose the service this rule books." in missing.content
    done = client_a.post(
        "/app/couriers/rules/new/",
        {
            "name": "Bikes downtown",
            "is_active": "on",
            "point": shop["point"].pk,
            "destinations": "60601-60614, 607*",
            "rule": "service",
            "preferred_service": shop["same_day"].pk,
            "tolerance_pct": 10,
        },
    )
    assert done.status_code == 302
    rule = CourierRule.objects.get()
    assert rule.destinations == ["60601-60614", "607*"] and rule.point == shop["point"]
    listed = client_a.get("/app/couriers/rules/").content.decode()
    assert "Bikes downtown" in listed and "Loop Warehouse" in listed
    assert f'action="/app/couriers/rules/{rule.pk}/move"' in listed
    assert f'action="/app/couriers/rules/{rule.pk}/delete"' in listed


@pytest.mark.sqlite
@pytest.mark.django_db
def test_moving_a_rule_another_request_just_removed_changes_nothing(merchant_a):
    """The page read the rule, then another tab removed it (or added one) before the move: the
    move reads the order under the lock and leaves the rest as it is, never a 500."""
    from fulfillment.checkout.services import rules as service

    merchant = merchant_a.merchant
    _first, second, third = (
        CheckoutRule.objects.create(merchant=merchant, name=name, action="hide", position=n)
        for n, name in enumerate(("First", "Second", "Third"))
    )
    gone = CheckoutRule.objects.get(pk=second.pk)
    CheckoutRule.objects.filter(pk=second.pk).delete()
    service.move(merchant=merchant, rule=gone, by=-1)
    assert [r.name for r in CheckoutRule.objects.order_by("position")] == ["First", "Third"]
    service.move(merchant=merchant, rule=third, by=-1)
    assert [r.name for r in CheckoutRule.objects.order_by("position")] == ["Third", "First"]
