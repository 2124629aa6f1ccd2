"""Hostile input to /api/v1/returns: every case is a 4xx JSON problem and changes nothing."""

from __future__ import annotations

import pytest

from fulfillment.models.returns import ReturnRequest
from tests.fulfillment.returns.factories import make_return

pytestmark = pytest.mark.django_db

API = "/api/v1/returns"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", f"{API}/{2**63}", 422),
        ("get", f"{API}/0", 422),
        ("get", f"{API}/-1", 422),
        ("get", f"{API}/1%00", 422),
        ("post", f"{API}/{2**64}/approve", 422),
        ("post", f"{API}/999999999/receive", 404),
        ("get", f"{API}?state=lost", 422),
        ("get", f"{API}?state=received%00", 422),
        ("get", f"{API}?limit=100000", 422),
        ("get", f"{API}?offset=-5", 422),
    ],
)
def test_ids_and_filters_out_of_range_are_problems(api_client_a, method, path, status):
    answer = getattr(api_client_a, method)(path)
    assert answer.status_code == status, answer.content
    body = answer.json()
    assert body["status"] == status and body["code"] and body["detail"]


@pytest.mark.parametrize("note", ["%00", "a%00b", "x" * 501])
def test_a_note_no_column_can_hold_is_refused_and_nothing_changes(api_client_a, merchant_a, note):
    request = make_return(merchant_a.merchant)
    ReturnRequest.objects.filter(pk=request.pk).update(state="requested")
    answer = api_client_a.post(f"{API}/{request.pk}/reject?note={note}")
    assert answer.status_code == 422, answer.content
    assert answer.json()["field"] == "note"
    request.refresh_from_db()
    assert (request.state, request.note) == ("requested", "Approved by the shop's settings")


def test_another_merchants_return_is_not_found_and_untouched(api_client_a, merchant_b):
    theirs = make_return(merchant_b.merchant)
    for action in ("approve", "reject", "receive"):
        answer = api_client_a.post(f"{API}/{theirs.pk}/{action}")
        assert answer.status_code == 404 and answer.json()["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.state == "approved" and theirs.received_at is None
