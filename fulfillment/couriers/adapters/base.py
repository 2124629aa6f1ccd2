"""The one interface every courier adapter implements, and the registry that builds them."""

from __future__ import annotations

import abc
import datetime as dt
import importlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fulfillment.couriers.adapters.errors import CourierNotSupported
from fulfillment.couriers.adapters.karrio_bridge.catalog import bridged_codes, display_name
from fulfillment.couriers.adapters.types import (
    ChangeBatch,
    CreatedShipment,
    Quote,
    ShipmentRequest,
    TrackingEvent,
    TrackingResult,
    WebhookUpdate,
)

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from fulfillment.couriers.adapters.http import CourierHttp
    from fulfillment.couriers.adapters.types import CourierError


@dataclass(frozen=True)
class Capabilities:
    track_batch_size: int  # tracking numbers per request; 0 = do not poll this courier
    has_webhooks: bool = False
    has_change_feed: bool = False
    can_quote: bool = False
    live_quotes: bool = False  # quote() asks the courier's API: rates_for_order prices by it
    can_create_shipment: bool = False
    can_cancel: bool = False
    can_redirect: bool = False  # redirect() and reschedule() reach the courier


@dataclass(frozen=True)
class CredentialField:
    """One credential an adapter needs; the account form asks for these by name."""

    name: str  # key in the stored credentials map
    label: str
    secret: bool = True  # never shown back; redacted from logs
    required: bool = True
    help: str = ""


class CourierAdapter(abc.ABC):
    """One courier. Methods raise CourierError subclasses only (see errors.py)."""

    code: str = ""
    name: str = ""
    capabilities: Capabilities = Capabilities(track_batch_size=0)
    credential_fields: tuple[CredentialField, ...] = ()
    default_base_url: str = ""

    def __init__(
        self,
        *,
        credentials: Mapping[str, str],
        base_url: str | None = None,
        http: CourierHttp | None = None,
    ) -> None:
        self.credentials = dict(credentials)
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self._http = http

    @property
    def http(self) -> CourierHttp:
        if self._http is None:
            raise ValueError(f"the {self.code} adapter needs a CourierHttp (http=...)")
        return self._http

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every credential value, so that the HTTP layer can redact them from logs and errors."""
        return tuple(v for v in self.credentials.values() if v)

    def quote(self, request: ShipmentRequest) -> list[Quote]:
        raise CourierNotSupported(f"{self.name} gives no quotes here", courier=self.code)

    def create_shipment(self, request: ShipmentRequest) -> CreatedShipment:
        raise CourierNotSupported(f"{self.name} cannot create shipments here", courier=self.code)

    @abc.abstractmethod
    def track(self, tracking_numbers: list[str]) -> dict[str, TrackingResult | CourierError]:
        """One entry per requested number: its result, or the error for it.

        Never raises a CourierError: a failed request (courier down, garbage) is the error of
        every number in that request, so one bad batch never hides the others.
        """

    def cancel(self, tracking_number: str) -> None:
        raise CourierNotSupported(f"{self.name} cannot cancel shipments here", courier=self.code)

    def redirect(self, tracking_number: str, to: Mapping[str, str]) -> None:
        """Send a parcel on its way to another address (a locker or shop: `to` holds name,
        street, city, postal_code, country). Optional: most couriers take it by phone only."""
        raise CourierNotSupported(f"{self.name} takes no redirects here", courier=self.code)

    def reschedule(self, tracking_number: str, day: dt.date) -> None:
        """Deliver on another day. Optional, like redirect()."""
        raise CourierNotSupported(f"{self.name} takes no new delivery days here", courier=self.code)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> list[TrackingEvent]:
        raise CourierNotSupported(f"{self.name} sends no webhooks here", courier=self.code)

    def parse_webhook_update(self, body: bytes, headers: Mapping[str, str]) -> WebhookUpdate:
        """A pushed webhook, verified as the courier documents, as events and courier positions
        (what tracking/webhooks.py stores). Raises WebhookRejected for a bad signature or a
        stale body, another CourierError for a malformed one. By default: parse_webhook's events."""
        return WebhookUpdate(events=tuple(self.parse_webhook(body, headers)))

    def fetch_changes(self, cursor: str | None) -> ChangeBatch:
        raise CourierNotSupported(f"{self.name} has no change feed", courier=self.code)

    def parse_document(self, body: bytes) -> dict[str, TrackingResult | CourierError]:
        """A saved tracking response or webhook body, exactly as the courier sent it (JSON or
        XML), parsed as track() or parse_webhook() would, without any HTTP or signature check:
        what `manage.py courier_replay` shows support staff. Raises a CourierError (the one the
        document maps to, or MalformedResponse) when it holds no result at all."""
        raise CourierNotSupported(f"{self.name} has no saved-document parser", courier=self.code)


ADAPTERS: dict[str, str] = {
    "dhl": "fulfillment.couriers.adapters.dhl:DhlAdapter",
    "ups": "fulfillment.couriers.adapters.ups:UpsAdapter",
    "royalmail": "fulfillment.couriers.adapters.royalmail:RoyalMailAdapter",
    "sandbox": "fulfillment.couriers.adapters.sandbox:SandboxAdapter",
    "manual": "fulfillment.couriers.adapters.manual:ManualAdapter",
    "stuart": "fulfillment.couriers.adapters.stuart:StuartAdapter",
    "uber_direct": "fulfillment.couriers.adapters.uber_direct:UberDirectAdapter",
    "own_fleet": "fulfillment.couriers.adapters.own_fleet:OwnFleetAdapter",
}


# Display names, kept beside ADAPTERS so that choices never import an adapter module.
ADAPTER_NAMES: dict[str, str] = {
    "sandbox": "Sandbox courier",
    "dhl": "DHL",
    "ups": "UPS",
    "royalmail": "Royal Mail",
    "manual": "Local courier (no API)",
    "stuart": "Stuart (on-demand)",
    "uber_direct": "Uber Direct (on-demand)",
    "own_fleet": "Own drivers",
}


# Every installed karrio carrier (pip install karrio-<carrier>), through the bridge; the codes
# of carriers that one of ours already speaks get a "karrio_" prefix (karrio_bridge/catalog.py).
# Their display names come from karrio's plugin metadata, read when first shown.
BRIDGE_PATH = "fulfillment.couriers.adapters.karrio_bridge.adapter"
BRIDGED: dict[str, str] = bridged_codes(ADAPTERS)  # our code → karrio carrier id
ADAPTERS.update({code: f"{BRIDGE_PATH}:{code}" for code in BRIDGED})


def adapter_name(code: str) -> str:
    if code in ADAPTER_NAMES:
        return ADAPTER_NAMES[code]
    if code in BRIDGED:
        try:
            return display_name(BRIDGED[code], code)
        except Exception:  # a broken or non-carrier karrio plugin must not take the form down
            logger.warning("karrio plugin %r cannot be loaded", BRIDGED[code], exc_info=True)
            return code
    return code


def adapter_class(code: str) -> type[CourierAdapter]:
    try:
        module_name, class_name = ADAPTERS[code].split(":")
    except KeyError:
        raise ValueError(f"unknown courier adapter {code!r}; known: {sorted(ADAPTERS)}") from None
    return getattr(importlib.import_module(module_name), class_name)


def courier_choices() -> list[tuple[str, str]]:
    """(code, name) of every registered adapter, for CourierAccount.courier and its form.

    A callable so that registering a courier (an installed karrio extension, say) needs no
    migration; it imports no adapter module: the names come from ADAPTER_NAMES, and for a
    bridged karrio carrier from karrio's plugin metadata (loaded once, on first call).
    """
    return [(code, adapter_name(code)) for code in ADAPTERS]


def live_quote_couriers() -> list[str]:
    """Codes of the couriers whose adapters give live quotes (capabilities.live_quotes)."""
    codes = []
    for code in ADAPTERS:
        try:
            live = adapter_class(code).capabilities.live_quotes
        except Exception:
            if code not in BRIDGED:
                raise
            # An installed karrio plugin that does not load prices nothing; ours must.
            logger.warning("karrio plugin %r cannot be loaded", BRIDGED[code], exc_info=True)
            continue
        if live:
            codes.append(code)
    return codes


def get_adapter(
    code: str,
    *,
    credentials: Mapping[str, str],
    base_url: str | None = None,
    http: CourierHttp | None = None,
    **options: object,
) -> CourierAdapter:
    """The adapter for `code`; options go to that adapter (e.g. manual's quote_source)."""
    return adapter_class(code)(credentials=credentials, base_url=base_url, http=http, **options)
