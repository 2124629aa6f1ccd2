"""What a label or a packing slip prints, independent of where the data comes from.

The renderers (pdf.py, zpl.py) take only these frozen dataclasses, so the Shipment model,
the batch job and the API wire into labels with one small adapter function each.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field, replace

from merchant.units import METRIC, format_weight

COUNTRY_NAMES = {
    "US": "UNITED STATES",
    "PL": "POLAND",
    "TR": "TÜRKIYE",
    "CN": "CHINA",
    "DE": "GERMANY",
    "GB": "UNITED KINGDOM",
    "FR": "FRANCE",
    "CA": "CANADA",
}


class LabelError(ValueError):
    """Data that cannot be printed; `field` names the input that is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class LabelAddress:
    name: str
    lines: tuple[str, ...]
    city: str
    postal_code: str
    country: str  # ISO 3166-1 alpha-2
    state: str = ""
    phone: str = ""

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise LabelError("name", "an address needs a name")
        if isinstance(self.lines, list):
            object.__setattr__(self, "lines", tuple(self.lines))

    @property
    def country_name(self) -> str:
        """Destination country in capitals, as postal services ask for it."""
        return COUNTRY_NAMES.get(self.country.upper(), self.country.upper())

    @property
    def city_line(self) -> str:
        """'60614 Chicago IL' style line: postcode, city, state, as sorters read it."""
        return " ".join(part for part in (self.postal_code, self.city, self.state) if part)


@dataclass(frozen=True)
class LabelData:
    tracking_number: str
    courier_name: str
    service_name: str
    sender: LabelAddress  # the storage point the parcel leaves from
    recipient: LabelAddress
    weight_g: int
    reference: str  # the order reference the merchant and the shopper know
    date: dt.datetime  # aware; printed as a date
    qr_payload: str  # pickup code (locker/shop orders) or the tracking page URL
    qr_caption: str  # what the QR is, in words ("Pickup code 4821-7730", "Track parcel")
    sort_code: str = ""
    parcel_index: int = 1
    parcel_count: int = 1
    is_return: bool = False  # prints a RETURN banner and ships recipient -> sender
    unit_system: str = METRIC  # the merchant's: the weight prints in kg or lb/oz

    def __post_init__(self) -> None:
        tracking = self.tracking_number.strip()
        if not tracking:
            raise LabelError(
                "tracking_number",
                "the shipment has no tracking number yet, so there is no barcode to print; "
                "book it with the courier first",
            )
        if not all(" " <= ch <= "~" for ch in tracking):
            raise LabelError(
                "tracking_number", "Code128 prints printable ASCII only (letters, digits, -)"
            )
        if len(tracking) > 40:
            raise LabelError("tracking_number", "longer than 40 characters does not fit")
        if self.date.tzinfo is None:
            raise LabelError("date", "must be an aware datetime")
        if self.weight_g < 0:
            raise LabelError("weight_g", "cannot be negative")
        if not 1 <= self.parcel_index <= self.parcel_count:
            raise LabelError(
                "parcel_index", f"parcel {self.parcel_index} of {self.parcel_count} is impossible"
            )
        if not self.qr_payload:
            raise LabelError("qr_payload", "needs a pickup code or a tracking link")

    @property
    def ship_from(self) -> LabelAddress:
        return self.recipient if self.is_return else self.sender

    @property
    def ship_to(self) -> LabelAddress:
        return self.sender if self.is_return else self.recipient

    @property
    def weight_text(self) -> str:
        return format_weight(self.weight_g, self.unit_system)

    def as_return(
        self, *, tracking_number: str, qr_payload: str, qr_caption: str, date: dt.datetime
    ) -> LabelData:
        """The return label of this parcel: its own tracking number, same addresses swapped."""
        return replace(
            self,
            tracking_number=tracking_number,
            qr_payload=qr_payload,
            qr_caption=qr_caption,
            date=date,
            is_return=True,
            sort_code=sort_code(self.sender.postal_code, "RET"),
        )


@dataclass(frozen=True)
class PackingSlipLine:
    sku: str
    name: str
    quantity: int

    def __post_init__(self) -> None:
        if self.quantity < 1:
            raise LabelError(f"lines[{self.sku}].quantity", "must be at least 1")


@dataclass(frozen=True)
class PackingSlipData:
    reference: str
    date: dt.datetime
    sender: LabelAddress
    recipient: LabelAddress
    lines: tuple[PackingSlipLine, ...]
    note: str = ""
    parcel_index: int = 1
    parcel_count: int = 1
    extra: dict[str, str] = field(default_factory=dict)  # e.g. {"Courier": "DHL Express"}

    def __post_init__(self) -> None:
        if isinstance(self.lines, list):
            object.__setattr__(self, "lines", tuple(self.lines))
        if not self.lines:
            raise LabelError("lines", "a packing slip needs at least one line")
        if self.date.tzinfo is None:
            raise LabelError("date", "must be an aware datetime")

    @property
    def total_quantity(self) -> int:
        return sum(line.quantity for line in self.lines)


# --- Sort codes for couriers that do not return their own routing code (sandbox, manual) ---

_FOLD = str.maketrans({"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "ß": "s"})


def _ascii_upper(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(ch for ch in folded if ch.isascii()).upper()


def point_code(point_name: str) -> str:
    """Three letters for a storage point: word initials, topped up with the first word's
    consonants ('Wola Warehouse' -> 'WLW', 'Brooklyn' -> 'BRK', 'Chicago West Loop' -> 'CWL')."""
    words = re.findall(r"[A-Z0-9]+", _ascii_upper(point_name))
    if not words:
        raise LabelError("point_name", "needs at least one letter or digit")
    initials = [word[0] for word in words]
    if len(initials) >= 3:
        return "".join(initials[:3])
    extra = [ch for ch in words[0][1:] if ch not in "AEIOU"] or list(words[0][1:])
    code = [initials[0], *extra[: 3 - len(initials)], *initials[1:]]
    return "".join(code)


def sort_code(dest_zip: str, point_code: str) -> str:
    """Routing code for the sandbox and manual couriers: "RRR-AA / PPP".

    RRR is the first three characters of the destination postcode (the US sectional centre,
    the Polish and German sorting region, the UK outward area), AA the next two (the delivery
    area), PPP the storage point the parcel leaves from: '60614', 'WLW' -> '606-14 / WLW';
    '90-001' -> '900-01'. A sorter reads where it goes, the hub reads where it came from.
    """
    zip_chars = re.sub(r"[^A-Z0-9]", "", _ascii_upper(dest_zip))
    if not zip_chars:
        raise LabelError("dest_zip", "a sort code needs the destination postcode")
    point = re.sub(r"[^A-Z0-9]", "", _ascii_upper(point_code))[:4]
    if not point:
        raise LabelError("point_code", "a sort code needs the storage point's code")
    region, area = zip_chars[:3], zip_chars[3:5]
    return f"{region}-{area} / {point}" if area else f"{region} / {point}"
