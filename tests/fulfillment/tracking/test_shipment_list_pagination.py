"""The one pager (templates/_pagination.html) keeps the list's filters on every page link."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from fulfillment.tracking.views import shipments as shipment_views
from tests.support.tracking import add_shipment, sandbox_account


def page_links(body: str) -> dict[str, dict[str, list[str]]]:
    links = re.findall(r'<a class="btn btn-small" href="([^"]*)" rel="(prev|next)"', body)
    return {rel: parse_qs(urlsplit(html.unescape(href)).query) for href, rel in links}


@pytest.mark.django_db
def test_page_two_of_a_filtered_shipments_list_keeps_the_filter(client_a, merchant_a, monkeypatch):
    monkeypatch.setattr(shipment_views, "PER_PAGE", 1)
    account, service = sandbox_account(merchant_a.merchant)
    for _ in range(3):
        add_shipment(account, service, status="in_transit")
    add_shipment(account, service, status="delivered")

    first = client_a.get("/app/shipments/?status=in_transit&courier=" + str(account.pk))
    assert "Page 1 of 3" in first.content.decode()
    assert page_links(first.content.decode())["next"] == {
        "status": ["in_transit"],
        "courier": [str(account.pk)],
        "page": ["2"],
    }
    second = client_a.get(
        "/app/shipments/?status=in_transit&courier=" + str(account.pk) + "&page=2"
    )
    links = page_links(second.content.decode())
    assert "Page 2 of 3" in second.content.decode()
    assert links["prev"]["status"] == links["next"]["status"] == ["in_transit"]
    assert links["prev"]["page"] == ["1"] and links["next"]["page"] == ["3"]
