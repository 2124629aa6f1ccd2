"""`manage.py courier_replay CARRIER FILE` run as support staff run it, on the couriers'
documented samples: our normalised result as JSON and exit 0, or one line and exit 1."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from tests.support.couriers import PAYLOADS, REPO


def replay(*args: str, stdin: str | None = None) -> dict | list:
    out = io.StringIO()
    if stdin is not None:
        stream = io.TextIOWrapper(io.BytesIO(stdin.encode()), encoding="utf-8")
        original, sys.stdin = sys.stdin, stream
        try:
            call_command("courier_replay", *args, stdout=out)
        finally:
            sys.stdin = original
    else:
        call_command("courier_replay", *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.parametrize(
    "carrier, sample, number, status, first_event",
    [
        ("dhl", "dhl_universal_tracking_response.json", "7777777770", "info_received",
         {"status": "info_received", "time": "2018-03-02T07:53:47+00:00",
          "description": "DELIVERED / JESSICA", "location": "Oderweg 2, AMSTERDAM, 1043 AG, NL"}),
        ("sandbox", "dhl_universal_tracking_response.json", "7777777770", "info_received",
         {"status": "info_received", "time": "2018-03-02T07:53:47+00:00"}),
        ("ups", "ups_track_v1_details_response.json", "1Z023E2X0214323462", "exception",
         {"status": "exception", "time": "2021-02-10T07:13:56+00:00", "reason": "SR",
          "location": "Wayne, NJ, 07470, US"}),
        ("ups", "ups_track_alert_event_delivered.json", "1Z204W4R0308071865", "delivered",
         {"status": "delivered", "time": "2024-04-23T13:50:04+00:00", "description": "Delivered",
          "location": "CHARLOTTE, NC, 28209, US"}),
        ("royalmail", "royalmail_mailpieces_v2_events_response.json", "090367574000000FE1E1B",
         "in_transit", {"status": "in_transit", "time": "2016-10-20T09:04:00+00:00",
                        "description": "Forwarded - Mis-sort", "location": "Stafford DO"}),
    ],
)  # fmt: skip
def test_a_documented_answer_prints_our_normalised_result(
    carrier, sample, number, status, first_event
):
    shown = replay(carrier, str(PAYLOADS / sample))
    assert shown["tracking_number"] == number
    assert shown["status"] == status
    assert shown["events"][0].items() >= first_event.items()


def test_the_estimated_window_is_shown_with_its_zone():
    shown = replay("royalmail", str(PAYLOADS / "royalmail_mailpieces_v2_events_response.json"))
    assert shown["estimated_delivery"] == {
        "from": "2017-02-20T08:00:00+01:00",
        "until": "2017-02-20T11:00:00+01:00",
    }


def test_a_dash_reads_the_document_from_standard_input():
    body = (PAYLOADS / "ups_track_alert_event_manifest.json").read_text()
    shown = replay("ups", "-", stdin=body)
    assert shown["tracking_number"] == "1ZABCXYZ0112346789"  # UPS's sample pads it with a space
    assert shown["status"] == "info_received"


@pytest.mark.parametrize(
    "carrier, sample, says",
    [
        ("dhl", "dhl_universal_tracking_error_404.json", "dhl: TrackingNotFound: dhl answered 404"),
        ("ups", "ups_track_warning_not_found.json", "ups: TrackingNotFound:"),
        ("ups", "ups_track_error_invalid_inquiry.json", "ups: CourierRejected:"),
        ("royalmail", "royalmail_tracking_error_400.json", "royalmail: CourierRejected:"),
        ("royalmail", "dhl_universal_tracking_response.json", "royalmail: MalformedResponse: "),
        ("ups", "royalmail_mailpieces_v2_events_response.json", "ups: MalformedResponse: "),
    ],
)
def test_an_error_or_foreign_document_is_one_line_naming_the_error(carrier, sample, says):
    with pytest.raises(CommandError) as refused:
        replay(carrier, str(PAYLOADS / sample))
    assert str(refused.value).startswith(says)
    assert "\n" not in str(refused.value)


def test_an_unknown_carrier_lists_the_known_ones():
    with pytest.raises(CommandError, match=r"unknown carrier 'fedex'; known carriers: .*dhl.*ups"):
        replay("fedex", str(PAYLOADS / "dhl_universal_tracking_response.json"))


@pytest.mark.parametrize(
    "content, says",
    [(None, "cannot read"), (b"", "is empty"), (b"\xff\xfe{", "not JSON"),
     (b"[" * 100_000, "not JSON"), (b'{"shipments": "x"}', "shipments is not a list")],
)  # fmt: skip
def test_unreadable_files_are_refused_in_one_line(tmp_path, content, says):
    path = tmp_path / "saved.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CommandError, match=says):
        replay("dhl", str(path))


def test_a_carrier_without_a_document_parser_says_so():
    with pytest.raises(CommandError, match="manual: CourierNotSupported"):
        replay("manual", str(PAYLOADS / "dhl_universal_tracking_response.json"))


def test_run_as_a_command_it_exits_0_with_json_and_1_with_a_message():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get(
        "DJANGO_SETTINGS_MODULE", "tests.settings")}  # fmt: skip
    command = [sys.executable, "manage.py", "courier_replay"]
    good = subprocess.run(
        [*command, "ups", str(PAYLOADS / "ups_track_alert_event_out_for_delivery.json")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["status"] == "out_for_delivery"
    bad = subprocess.run(
        [*command, "dhl", str(PAYLOADS / "dhl_universal_tracking_error_404.json")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert bad.returncode == 1
    assert bad.stdout == ""
    assert bad.stderr.strip().splitlines()[-1].startswith("CommandError: dhl: TrackingNotFound")
