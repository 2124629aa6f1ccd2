"""The locker bank and pickup shop pages: every link on them can be followed, and no empty state
borrows an action_url from the page around it."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from tests.factories.lockers import make_bank, make_shop

pytestmark = pytest.mark.django_db

LINK = re.compile(r'<a\b[^>]*\bhref="(/[^"]*)"')


def links_answer_get(client: Client, url: str) -> dict[str, int]:
    html = client.get(url).content.decode()
    return {href: client.get(href).status_code for href in set(LINK.findall(html))}


def test_every_link_on_an_empty_locker_bank_page_opens(merchant_a, client_a) -> None:
    bank = make_bank(merchant_a.merchant, compartments={})
    url = reverse("pickup_bank_detail", args=[bank.pk])
    statuses = links_answer_get(client_a, url)
    action = reverse("pickup_bank_action", args=[bank.pk])
    assert action not in statuses, "a link to the POST-only action (answers 405)"
    assert all(code < 400 for code in statuses.values()), statuses


def test_every_link_on_an_empty_pickup_shop_page_opens(merchant_a, client_a) -> None:
    shop = make_shop(merchant_a.merchant)
    url = reverse("pickup_shop_detail", args=[shop.pk])
    statuses = links_answer_get(client_a, url)
    assert reverse("pickup_shop_action", args=[shop.pk]) not in statuses
    assert all(code < 400 for code in statuses.values()), statuses


def test_the_place_actions_form_still_posts_to_the_place_action(merchant_a, client_a) -> None:
    bank = make_bank(merchant_a.merchant, compartments={})
    html = client_a.get(reverse("pickup_bank_detail", args=[bank.pk])).content.decode()
    action = reverse("pickup_bank_action", args=[bank.pk])
    assert f'<form method="post" action="{action}"' in html
    response = client_a.post(action, {"action": "deactivate"})
    assert response.status_code == 302
    bank.refresh_from_db()
    assert bank.is_active is False


EMPTY_STATE_INCLUDE = re.compile(r'\{%\s*include\s+"_empty_state\.html".*?%\}', re.S)


@pytest.mark.parametrize(
    ("template", "context"),
    [
        ("lockers/_parcels.html", {"parcels": [], "empty_text": "Nothing yet."}),
        ("lockers/_network_table.html", {"page_obj": None, "filtered": True}),
        ("lockers/_reservation_table.html", {"page_obj": None, "has_banks": True}),
    ],
)
def test_an_empty_state_shows_no_action_the_surrounding_page_defines(template, context) -> None:
    html = render_to_string(template, {**context, "action_url": "/post-only/"})
    assert "empty-state" in html
    assert "/post-only/" not in html and "Get started" not in html


def test_every_empty_state_include_takes_only_what_it_is_given() -> None:
    root = Path(settings.BASE_DIR) / "templates"
    leaky = [
        f"{path.relative_to(root)}: {tag}"
        for path in root.rglob("*.html")
        for tag in EMPTY_STATE_INCLUDE.findall(path.read_text())
        if not tag.rstrip("%}").rstrip().endswith(" only")
    ]
    assert leaky == []
