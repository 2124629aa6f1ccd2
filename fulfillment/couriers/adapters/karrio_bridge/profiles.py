"""What the bridge knows about one karrio carrier beyond karrio's unified models.

A profile refines karrio's mapping where the carrier's own answer says more (or karrio reads
it wrongly), and tells parse_document how to hand a saved response to karrio's parser (each
karrio proxy wraps its answers in its own shape). Carriers without a profile get the default:
karrio's mapping as is, and a saved document replayed through karrio's proxy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from fulfillment.couriers.adapters.types import TrackingStatus

S = TrackingStatus


class CarrierProfile:
    """The default: karrio's own mapping; documents replayed through the proxy."""

    not_found_codes: frozenset[str] = frozenset()
    auth_codes: frozenset[str] = frozenset()
    reads_raw = False  # event_times needs the carrier's answer as karrio's proxy read it

    def status(self, event: Any) -> TrackingStatus | None:
        """Our status for a karrio event, or None to keep karrio's."""
        return None

    def reason(self, event: Any, status: TrackingStatus) -> str | None:
        """Our reason code for a karrio event, or None to keep karrio's."""
        return None

    def event_times(self, raw: Any) -> dict[str, list[datetime]]:
        """Per tracking number, event times in karrio's event order, when karrio's are wrong."""
        return {}

    def document_response(self, body: bytes) -> Any | None:
        """A saved tracking answer as the Deserializable karrio's parser expects, or None to
        replay it through the proxy (every request answered with the body)."""
        return None


def _text(node: Any) -> str:
    return (node.text or "").strip() if node is not None else ""


class DpdProfile(CarrierProfile):
    """DPD ParcelLifeCycleService 2.0 (SOAP), as karrio-dpd reads it, with three corrections:

    - statuses by DPD's own status names (karrio leaves PickedUp, Depot, BetweenDepots without
      one, and calls ReturningFromDelivery "out for delivery": DPD's text says the delivery
      attempt failed and the parcel is back at the depot);
    - times: karrio parses DPD's "8/17/2021 7:11:26 PM" with %H and %p, which drops the PM
      (19:11 becomes 07:11) and so misorders a day's events; re-read with %I;
    - reasons: DPD gives why a delivery failed only in the description text ("not at home",
      "refused", "address"), which karrio does not read; mapped to our reason codes.
    """

    STATUSES = {
        "Accepted": S.INFO_RECEIVED,
        "PickedUp": S.IN_TRANSIT,
        "BetweenDepots": S.IN_TRANSIT,
        "Depot": S.IN_TRANSIT,
        "OnTheRoad": S.IN_TRANSIT,
        "Courier": S.OUT_FOR_DELIVERY,
        "DeliveryFailure": S.FAILED_ATTEMPT,
        "ReturningFromDelivery": S.FAILED_ATTEMPT,
        "NotDelivered": S.FAILED_ATTEMPT,
        "ParcelShop": S.AVAILABLE_FOR_PICKUP,
        "PickupByConsignee": S.DELIVERED,
        "Delivered": S.DELIVERED,
        "ReturnToSender": S.RETURNED,
        "Returned": S.RETURNED,
    }
    # First match wins; matched in DPD's description (lowercased).
    REASONS = (
        ("not at home", "not_home"),
        ("not home", "not_home"),
        ("absent", "not_home"),
        ("nobody", "not_home"),
        ("refus", "refused"),
        ("address", "address_not_found"),
        ("no access", "no_access"),
        ("closed", "no_access"),
        ("damage", "damaged"),
    )
    auth_codes = frozenset(
        {"DELICOM_ERR_AUTHENTICATION", "ERR_DELICOM_TOKEN_EXPIRED", "ERR_DELICOM_TOKEN_INCORRECT"}
    )
    TIME_FORMAT = "%m/%d/%Y %I:%M:%S %p"
    reads_raw = True

    def status(self, event: Any) -> TrackingStatus | None:
        return self.STATUSES.get(str(getattr(event, "code", "") or ""))

    def reason(self, event: Any, status: TrackingStatus) -> str | None:
        if status not in (S.FAILED_ATTEMPT, S.EXCEPTION, S.RETURNED):
            return None
        text = str(getattr(event, "description", "") or "").lower()
        return next((code for keyword, code in self.REASONS if keyword in text), "other")

    def event_times(self, raw: Any) -> dict[str, list[datetime]]:
        times: dict[str, list[datetime]] = {}
        for tracking_number, element in raw or []:
            stamps = []
            # karrio lists events newest first: DPD's statusInfo order, reversed.
            for info in reversed(_elements(element, "statusInfo")):
                date = next(iter(_elements(info, "date")), None)
                content = next(iter(_elements(date, "content")), None) if date is not None else None
                try:
                    stamp = datetime.strptime(_text(content), self.TIME_FORMAT)
                except ValueError:
                    stamps = []  # unreadable: keep karrio's times for this parcel
                    break
                stamps.append(stamp.replace(tzinfo=UTC))
            if stamps:
                times[str(tracking_number)] = stamps
        return times

    def document_response(self, body: bytes) -> Any:
        import karrio.lib as lib

        element = lib.to_element(body.decode("utf-8"))
        number = _parcel_number(body)
        return lib.Deserializable([(number, element)], lambda results: results)


def _elements(node: Any, local_name: str) -> Sequence[Any]:
    if node is None:
        return []
    return [
        child
        for child in node.iter()
        if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == local_name
    ]


def _parcel_number(body: bytes) -> str:
    """DPD's tracking answer does not repeat the parcel number; a saved request, or a
    document with parcelLabelNumber, does."""
    match = re.search(rb"<(?:\w+:)?parcelLabelNumber>\s*([^<\s]+)\s*<", body)
    return match.group(1).decode() if match else ""


class UpsProfile(CarrierProfile):
    def document_response(self, body: bytes) -> Any:
        import karrio.lib as lib

        text = body.decode("utf-8")
        data = lib.to_dict(text)
        shipments = ((data or {}).get("trackResponse") or {}).get("shipment") or [{}]
        number = str((shipments[0] or {}).get("inquiryNumber") or "")
        return lib.Deserializable(
            [(number, text)], lambda answers: [(n, lib.to_dict(d)) for n, d in answers]
        )


PROFILES: dict[str, CarrierProfile] = {"dpd": DpdProfile(), "ups": UpsProfile()}


def profile_for(karrio_id: str) -> CarrierProfile:
    return PROFILES.get(karrio_id) or CarrierProfile()
