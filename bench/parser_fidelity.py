"""Which tracking parser maps the couriers' documented samples more faithfully: karrio's (DHL
Universal, UPS, Royal Mail extensions) or ours (fulfillment/couriers/adapters)?

    python -m bench.parser_fidelity

Every sample in ../shared/data/courier_payloads (see its SOURCE.md) goes through both: karrio's
`parse_tracking_response` with a Settings object (no HTTP), and our adapter's `parse_document`
(what `manage.py courier_replay` and the adapters' track() use). Each is scored, field by field
from 0 to 1, against what the sample documents (EXPECTED below, one reason per value): the
tracking number, the events found, each event's status, the overall status, each event's time
with its zone, its location, the reason where the sample documents one, the estimated delivery,
and for error samples the kind of error. karrio's output is read the way a bridge must read it:
its status names through KARRIO_STATUS, its ISO timestamps as they are, its error messages by
their code and words (error_kind_of_messages). Prints a table; writes
bench/results/parser_fidelity.json. No database, no network.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT.parent / "shared" / "data" / "courier_payloads"
RESULTS = ROOT / "bench" / "results" / "parser_fidelity.json"

# karrio's normalised status names (karrio.core.units.TrackingStatus) → ours.
KARRIO_STATUS = {
    "pending": "pending",
    "picked_up": "in_transit",
    "in_transit": "in_transit",
    "on_hold": "exception",
    "delivery_delayed": "exception",
    "delivery_failed": "failed_attempt",
    "out_for_delivery": "out_for_delivery",
    "ready_for_pickup": "available_for_pickup",
    "return_to_sender": "returned",
    "delivered": "delivered",
    "cancelled": "exception",
    "unknown": "pending",
}

# What each sample documents. `time`: the instant (UTC) where the sample gives the zone, else
# `wall`: the local date and time (the sample gives no zone, so only the wall clock is scored).
EXPECTED: dict[str, dict[str, Any]] = {
    "dhl_universal_tracking_response.json": {
        "carrier": "dhl",
        "tracking_number": "7777777770",
        # statusCode is DHL's machine status (pre-transit | transit | delivered | failure |
        # unknown); `status` is free text, here "DELIVERED" beside pre-transit: trust the code.
        "status": "info_received",
        "events": [
            {
                "status": "info_received",
                # the event's timestamp has no offset; the same scan in `status` says Z
                "time": "2018-03-02T07:53:47+00:00",
                "location": ["Oderweg 2, AMSTERDAM", "1043 AG", "NL"],
            }
        ],
        "estimated": {
            "date": "2018-08-03",
            "window": ["2018-08-03T00:00:00+00:00", "2018-08-03T22:00:00+00:00"],
        },
    },
    "dhl_universal_tracking_error_404.json": {"carrier": "dhl", "error": "not_found"},
    "ups_track_v1_details_response.json": {
        "carrier": "ups",
        # the inquiry number; the package's trackingNumber is the OpenAPI placeholder "string"
        "tracking_number": "1Z023E2X0214323462",
        "status": "exception",  # status type X: "exception information" in UPS's docs
        "events": [
            {
                "status": "exception",
                "wall": "2021-02-10T07:13:56",  # local date+time, no GMT fields in the sample
                "location": ["Wayne", "NJ", "07470", "US"],
                "reason": "SR",  # the exception's status code
            }
        ],
        "estimated": None,  # deliveryDate is the placeholder {"date": "string"}
    },
    "ups_track_error_invalid_inquiry.json": {"carrier": "ups", "error": "rejected"},
    "ups_track_warning_not_found.json": {"carrier": "ups", "error": "not_found"},
    "royalmail_mailpieces_v2_events_response.json": {
        "carrier": "royalmail",
        "tracking_number": "090367574000000FE1E1B",
        "status": "in_transit",  # summary.statusCategory "IN TRANSIT"
        "events": [
            {
                "status": "in_transit",  # EVNMI forwarded after a mis-sort
                "time": "2016-10-20T09:04:00+00:00",  # 10:04+01:00
                "location": ["Stafford DO"],
                "reason": "mis-sort",  # the delay's cause: any reason kept scores
            }
        ],
        "estimated": {
            "date": "2017-02-20",
            "window": ["2017-02-20T07:00:00+00:00", "2017-02-20T10:00:00+00:00"],
        },
    },
    "royalmail_tracking_error_400.json": {"carrier": "royalmail", "error": "rejected"},
}

FIELDS = (
    "tracking_number", "events_found", "event_status", "overall_status", "time_with_zone",
    "location", "reason", "estimated_delivery", "error_kind",
)  # fmt: skip


# --- one normalised shape for both parsers -------------------------------------------------


def ours(carrier: str, body: bytes) -> dict[str, Any]:
    from fulfillment.couriers.adapters.base import get_adapter
    from fulfillment.couriers.adapters.errors import (
        CourierError,
        CourierRejected,
        TrackingNotFound,
    )
    from fulfillment.couriers.adapters.types import TrackingResult

    try:
        results = get_adapter(carrier, credentials={}).parse_document(body)
    except TrackingNotFound:
        return {"error": "not_found"}
    except CourierRejected as error:
        return {"error": "auth" if error.status_code in (401, 403) else "rejected"}
    except CourierError:
        return {"error": "malformed"}
    result = next(r for r in results.values() if isinstance(r, TrackingResult))
    window = result.estimated_delivery
    return {
        "tracking_number": result.tracking_number,
        "status": result.status.value,
        "events": [
            {
                "status": e.status.value,
                "time": e.occurred_at,
                "location": e.location,
                "reason": e.reason_code,
            }
            for e in result.events
        ],
        "estimated": (window.start, window.end) if window else None,
    }


def karrio(carrier: str, body: bytes) -> dict[str, Any]:
    import karrio.lib as lib

    payload = json.loads(body)
    parse, settings, wrapped = karrio_parser(carrier, payload)
    details, messages = parse(lib.Deserializable(wrapped, lambda v: v), settings)
    if not details:
        return {"error": error_kind_of_messages(messages)}
    detail = details[0]
    return {
        "tracking_number": detail.tracking_number,
        "status": KARRIO_STATUS.get(detail.status or "unknown", "pending"),
        "events": [
            {
                "status": KARRIO_STATUS.get(e.status) if e.status else None,
                "time": karrio_time(e),
                "location": e.location or "",
                "reason": e.reason,
            }
            for e in detail.events
        ],
        "estimated": detail.estimated_delivery,  # a date text: karrio keeps no window
    }


def karrio_parser(carrier: str, payload: Any) -> tuple[Callable, Any, Any]:
    if carrier == "dhl":
        from karrio.mappers.dhl_universal.settings import Settings
        from karrio.providers.dhl_universal.tracking import parse_tracking_response

        return parse_tracking_response, Settings(consumer_key="k", consumer_secret="s"), [payload]
    if carrier == "ups":
        from karrio.mappers.ups.settings import Settings
        from karrio.providers.ups.tracking import parse_tracking_response

        number = ""  # karrio's proxy pairs each answer with the number it asked for
        return (
            parse_tracking_response,
            Settings(client_id="i", client_secret="s"),
            [(number, payload)],
        )
    from karrio.mappers.royalmail.settings import Settings
    from karrio.providers.royalmail.tracking import parse_tracking_response

    return parse_tracking_response, Settings(client_id="i", client_secret="s"), [payload]


def karrio_time(event: Any) -> datetime | None:
    if event.timestamp:
        return datetime.fromisoformat(event.timestamp.replace("Z", "+00:00"))
    return None


def error_kind_of_messages(messages: list[Any]) -> str:
    """What a bridge can tell from karrio's messages alone: their code and words."""
    for message in messages:
        code, words = str(message.code or ""), str(message.message or "").lower()
        if code == "404" or "not found" in words:
            return "not_found"
        if code in ("401", "403") or "unauthori" in words or "credential" in words:
            return "auth"
    return "rejected" if messages else "malformed"


# --- scoring -------------------------------------------------------------------------------


def score(expected: dict[str, Any], got: dict[str, Any]) -> dict[str, float]:
    if "error" in expected:
        return {"error_kind": float(got.get("error") == expected["error"])}
    if "error" in got:
        return dict.fromkeys(FIELDS[:-1], 0.0)
    wanted, found = expected["events"], got["events"]
    pairs = list(zip(wanted, found, strict=False))
    scores = {
        "tracking_number": float(got["tracking_number"] == expected["tracking_number"]),
        "events_found": 1 - abs(len(found) - len(wanted)) / max(len(found), len(wanted), 1),
        "event_status": sum(w["status"] == f["status"] for w, f in pairs) / len(wanted),
        "overall_status": float(got["status"] == expected["status"]),
        "time_with_zone": sum(time_score(w, f["time"]) for w, f in pairs) / len(wanted),
        "location": sum(
            sum(part in (f["location"] or "") for part in w["location"]) / len(w["location"])
            for w, f in pairs
        ) / len(wanted),
        "estimated_delivery": estimate_score(expected["estimated"], got["estimated"]),
    }  # fmt: skip
    reasoned = [(w, f) for w, f in pairs if w.get("reason")]
    if reasoned:
        scores["reason"] = sum(bool(f["reason"]) for _, f in reasoned) / len(reasoned)
    return scores


def time_score(wanted: dict[str, Any], found: datetime | None) -> float:
    if found is None:
        return 0.0
    if "time" in wanted:
        return float(found == datetime.fromisoformat(wanted["time"]))
    return float(found.replace(tzinfo=None).isoformat() == wanted["wall"])


def estimate_score(wanted: dict[str, Any] | None, found: Any) -> float:
    if wanted is None:
        return float(found is None)
    if found is None:
        return 0.0
    if isinstance(found, str):  # a date only
        return 0.5 * (found == wanted["date"])
    start, end = (datetime.fromisoformat(t) for t in wanted["window"])
    day_right = found[0].astimezone(UTC).date().isoformat() == wanted["date"]
    return 0.5 * day_right + 0.5 * (found[0] == start and found[1] == end)


def run() -> dict[str, Any]:
    logging.disable(logging.WARNING)  # karrio logs "unknown arguments" for DHL's @type keys
    samples = []
    for name, expected in EXPECTED.items():
        body = (SAMPLES / name).read_bytes()
        carrier = expected["carrier"]
        row: dict[str, Any] = {"sample": name, "carrier": carrier, "parsers": {}}
        for parser, parse in (("ours", ours), ("karrio", karrio)):
            try:
                got = parse(carrier, body)
            except Exception as error:  # a parser that crashes on a documented sample scores 0
                got = {"error": f"crashed: {type(error).__name__}"}
            row["parsers"][parser] = {"scores": score(expected, got), "output": printable(got)}
        samples.append(row)
    carriers: dict[str, dict[str, Any]] = {}
    for carrier in ("dhl", "ups", "royalmail"):
        rows = [s for s in samples if s["carrier"] == carrier]
        summary: dict[str, Any] = {}
        for parser in ("ours", "karrio"):
            fields: dict[str, list[float]] = {}
            for row in rows:
                for field, value in row["parsers"][parser]["scores"].items():
                    fields.setdefault(field, []).append(value)
            means = {f: round(sum(v) / len(v), 3) for f, v in fields.items()}
            summary[parser] = {"fields": means, "total": round(sum(means.values()), 3),
                               "of": len(means)}  # fmt: skip
        summary["winner"] = (
            "karrio" if summary["karrio"]["total"] > summary["ours"]["total"] else "ours"
        )
        carriers[carrier] = summary
    return {"samples_dir": str(SAMPLES), "carriers": carriers, "samples": samples}


def printable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: printable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [printable(v) for v in value]
    return value


def table(report: dict[str, Any]) -> str:
    lines = [f"{'carrier':<10} {'field':<20} {'ours':>6} {'karrio':>7}"]
    for carrier, summary in report["carriers"].items():
        for field in FIELDS:
            if field in summary["ours"]["fields"]:
                o, k = summary["ours"]["fields"][field], summary["karrio"]["fields"][field]
                lines.append(f"{carrier:<10} {field:<20} {o:>6.2f} {k:>7.2f}")
        o, k = summary["ours"], summary["karrio"]
        lines.append(
            f"{carrier:<10} {'TOTAL':<20} {o['total']:>6.2f} {k['total']:>7.2f}"
            f"  (of {o['of']}; winner: {summary['winner']})"
        )
    return "\n".join(lines)


def main() -> None:
    sys.path.insert(0, str(ROOT))
    report = run()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))
    print(f"written: {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
