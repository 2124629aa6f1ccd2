"""KarrioAdapter: one CourierAdapter that drives any installed karrio carrier.

The adapter class of a bridged carrier is made on first use from karrio's PluginMetadata
(`adapter_class_for("dpd")`, or this module's attribute of that name, which is what the
registry in base.py points at): its capabilities from the methods karrio's Proxy implements,
its credential fields from karrio's Settings. Each call builds karrio's request with the
carrier's Mapper, sends it with the carrier's Proxy inside `routed_through(...)` (seam.py: the
account's CourierHttp does the sending) and parses the answer with the Mapper; mapping.py and
the carrier's profile (profiles.py) turn karrio's models into ours. No karrio exception leaves
this module: karrio's messages become our CourierRejected/TrackingNotFound, what our HTTP
layer raised is re-raised as it was, anything else is MalformedResponse.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from fulfillment.couriers.adapters.base import Capabilities, CourierAdapter
from fulfillment.couriers.adapters.errors import (
    CourierError,
    CourierNotSupported,
    CourierRejected,
    CourierUnavailable,
    MalformedResponse,
    TrackingNotFound,
)
from fulfillment.couriers.adapters.karrio_bridge import mapping
from fulfillment.couriers.adapters.karrio_bridge.catalog import (
    PREFIX,
    credential_fields,
    display_name,
    installed_carriers,
    plugin_metadata,
)
from fulfillment.couriers.adapters.karrio_bridge.profiles import CarrierProfile, profile_for
from fulfillment.couriers.adapters.karrio_bridge.seam import Route, routed_through
from fulfillment.couriers.adapters.redaction import Redactor
from fulfillment.couriers.adapters.types import (
    CreatedShipment,
    Quote,
    ShipmentRequest,
    TrackingResult,
)

T = TypeVar("T")
# Numbers per bridge call (a polling batch); karrio's proxy splits them as its carrier needs
# (DHL Universal: one request each, all at once; DPD: one each, two at a time). 50 as the
# sandbox's: a batch's fixed cost (lock, commit, notifications) is shared by more parcels.
TRACK_BATCH = 50


class KarrioAdapter(CourierAdapter):
    """The bridge; use a subclass made by adapter_class_for (it knows its karrio carrier)."""

    karrio_id: str = ""
    default_base_url = ""  # "" = karrio's own server URL for the carrier

    def __init__(
        self,
        *,
        credentials: Mapping[str, str],
        base_url: str | None = None,
        http: Any = None,
        **options: object,
    ) -> None:
        super().__init__(credentials=credentials, base_url=base_url, http=http)
        self.profile: CarrierProfile = profile_for(self.karrio_id)
        self._gateway: Any = None

    # --- karrio plumbing ---------------------------------------------------------------

    @property
    def gateway(self) -> Any:
        """karrio's Gateway (Settings, Mapper, Proxy) for these credentials, made once: its
        connection cache keeps the carrier's login token between calls."""
        if self._gateway is None:
            fields = self.credential_fields
            missing = [f.name for f in fields if f.required and not self.credentials.get(f.name)]
            if missing:
                raise CourierRejected(
                    f"{self.code}: credential(s) missing: {', '.join(missing)}", courier=self.code
                )
            import karrio.sdk

            known = {f.name for f in self.credential_fields}
            settings = {k: v for k, v in self.credentials.items() if k in known and v}
            try:
                self._gateway = karrio.sdk.gateway[self.karrio_id].create(settings)
            except Exception as exc:  # karrio wraps what its Settings refuse in a generic error
                raise CourierRejected(
                    f"{self.code}: karrio refused these credentials ({type(exc).__name__})",
                    courier=self.code,
                ) from None
        return self._gateway

    def _route(self, *, replay: bytes | None = None) -> Route:
        settings = self.gateway.settings
        return Route(
            http=self._http,
            courier=self.code,
            secrets=self.secrets,
            server_url=str(getattr(settings, "server_url", "") or "").rstrip("/"),
            base_url=self.base_url,
            replay=replay,
        )

    def _run(self, what: str, call: Callable[[], T], *, replay: bytes | None = None) -> T:
        """Run one karrio operation through the seam; only CourierErrors come out."""
        route = self._route(replay=replay)
        if route.http is None and replay is None:
            raise ValueError(f"the {self.code} adapter needs a CourierHttp (http=...)")
        try:
            with routed_through(route):
                return _outside_event_loop(call)
        except CourierError:
            raise
        except Exception as exc:
            if route.errors:  # our HTTP layer failed inside karrio (maybe in a worker thread)
                raise route.errors[-1] from None
            messages = getattr(exc, "messages", None)
            if messages:  # karrio's ParsedMessagesError: the carrier's own codes and words
                raise self._error(messages) from None
            if route.server_errors:  # a 5xx without a fault karrio could read: the carrier is down
                raise CourierUnavailable(
                    Redactor(self.secrets)(f"{self.code}: {route.server_errors[-1]}"),
                    courier=self.code,
                ) from None
            raise MalformedResponse(
                f"{self.code}: karrio could not read the {what} answer ({type(exc).__name__})",
                courier=self.code,
            ) from None

    def _error(self, messages: Any) -> CourierError:
        codes = {str(getattr(m, "code", "") or "") for m in messages}
        if codes & self.profile.auth_codes:
            return CourierRejected(
                f"{self.code}: {mapping.message_text(messages)}",
                courier=self.code,
                status_code=401,
                courier_code=sorted(codes & self.profile.auth_codes)[0],
            )
        return mapping.error_for_messages(
            messages, courier=self.code, not_found_codes=self.profile.not_found_codes
        )

    def _check(self, operation: str) -> None:
        method = {"quote": "get_rates", "create": "create_shipment", "cancel": "cancel_shipment"}
        if method[operation] not in proxy_methods(self.karrio_id):
            raise CourierNotSupported(
                f"{self.name} cannot {operation} through karrio", courier=self.code
            )

    # --- tracking ------------------------------------------------------------------------

    def track(self, tracking_numbers: list[str]) -> dict[str, TrackingResult | CourierError]:
        results: dict[str, TrackingResult | CourierError] = {}
        for start in range(0, len(tracking_numbers), TRACK_BATCH):
            chunk = tracking_numbers[start : start + TRACK_BATCH]
            try:
                results.update(self._track_chunk(chunk))
            except CourierError as error:
                results.update(dict.fromkeys(chunk, error))
        return results

    def _track_chunk(self, chunk: list[str]) -> dict[str, TrackingResult | CourierError]:
        import karrio.core.models as karrio_models

        gateway = self.gateway

        def call() -> tuple[Any, Any, Any]:
            request = gateway.mapper.create_tracking_request(
                karrio_models.TrackingRequest(tracking_numbers=chunk)
            )
            response = gateway.proxy.get_tracking(request)
            details, messages = gateway.mapper.parse_tracking_response(response)
            raw = response.deserialize() if self.profile.reads_raw else None
            return details, messages, raw

        details, messages, raw = self._run("tracking", call)
        found = self._results(details, raw)
        return {number: found.get(number) or self._missing(number, messages) for number in chunk}

    def _results(self, details: Any, raw: Any) -> dict[str, TrackingResult]:
        times = self.profile.event_times(raw) if raw is not None else {}
        results: dict[str, TrackingResult] = {}
        for detail in details or []:
            number = str(detail.tracking_number)
            stamps = times.get(number, [])
            if len(stamps) != len(detail.events or []):
                stamps = []
            events = []
            for index, event in enumerate(detail.events or []):
                status = self.profile.status(event) or mapping.map_status(event.status)
                events.append(
                    mapping.tracking_event(
                        number,
                        event,
                        courier=self.code,
                        status=status,
                        reason=self.profile.reason(event, status),
                        occurred_at=stamps[index] if stamps else None,
                    )
                )
            # karrio lists events newest first; oldest first keeps events of the same second
            # (DPD's clock has seconds) in the carrier's order through from_events' stable sort.
            results[number] = mapping.tracking_result(
                detail, events[::-1], courier=self.code, raw={"karrio": self.karrio_id}
            )
        return results

    def _missing(self, number: str, messages: Any) -> CourierError:
        mine = [
            m for m in messages or []
            if str((getattr(m, "details", None) or {}).get("tracking_number") or number) == number
        ]  # fmt: skip
        if mine:
            return self._error(mine)
        return TrackingNotFound(
            f"{self.code}: no tracking data for {number}", courier=self.code, status_code=404
        )

    def parse_document(self, body: bytes) -> dict[str, TrackingResult | CourierError]:
        gateway = self.gateway_for_documents()
        profile = self.profile

        def from_profile() -> tuple[Any, Any, Any] | None:
            response = profile.document_response(body)
            if response is None:
                return None
            details, messages = gateway.mapper.parse_tracking_response(response)
            return details, messages, response.deserialize() if profile.reads_raw else None

        parsed = self._run("saved", from_profile, replay=body) if body else None
        details, messages, raw = parsed or self._replay_tracking(body)
        results: dict[str, TrackingResult | CourierError] = dict(self._results(details, raw))
        if not results:
            if messages:
                raise self._error(messages)
            raise MalformedResponse(
                f"{self.code}: the document holds no tracking result", courier=self.code
            )
        return results

    def _replay_tracking(self, body: bytes) -> tuple[Any, Any, Any]:
        """A document replayed through karrio's proxy: every request answered with it."""
        import karrio.core.models as karrio_models

        gateway = self.gateway_for_documents()

        def call() -> tuple[Any, Any, Any]:
            request = gateway.mapper.create_tracking_request(
                karrio_models.TrackingRequest(tracking_numbers=["document"])
            )
            response = gateway.proxy.get_tracking(request)
            details, messages = gateway.mapper.parse_tracking_response(response)
            return details, messages, response.deserialize() if self.profile.reads_raw else None

        return self._run("saved", call, replay=body)

    def gateway_for_documents(self) -> Any:
        """A gateway even without the account's credentials: documents need none."""
        if self._gateway is None and not self.credentials:
            self.credentials = {f.name: "replay" for f in self.credential_fields if f.required}
        return self.gateway

    # --- quotes, shipments, cancel -------------------------------------------------------

    def quote(self, request: ShipmentRequest) -> list[Quote]:
        self._check("quote")
        import karrio.core.models as karrio_models
        import karrio.lib as lib

        gateway = self.gateway
        payload = mapping.karrio_shipment_payload(request)
        payload.pop("label_type")
        payload["services"] = [request.service_code] if request.service_code else []
        payload.pop("service")

        def call() -> tuple[Any, Any]:
            rate_request = lib.to_object(karrio_models.RateRequest, payload)
            response = gateway.proxy.get_rates(gateway.mapper.create_rate_request(rate_request))
            return gateway.mapper.parse_rate_response(response)

        rates, messages = self._run("rating", call)
        if not rates and messages:
            raise self._error(messages)
        names = service_names(self.karrio_id)
        quotes = [mapping.quote(rate, courier=self.code, service_names=names) for rate in rates]
        priced = [q for q in quotes if q.price_minor > 0]
        if quotes and not priced:
            # karrio's universal rate sheet (DPD's rating) ships without prices: a 0 would win
            # every comparison; the merchant's rate card prices this courier instead.
            raise CourierNotSupported(
                f"{self.name}: karrio's rate sheet has no prices for this parcel; "
                "price it with the service's rate card",
                courier=self.code,
            )
        return priced

    def create_shipment(self, request: ShipmentRequest) -> CreatedShipment:
        self._check("create")
        import karrio.core.models as karrio_models
        import karrio.lib as lib

        gateway = self.gateway
        payload = mapping.karrio_shipment_payload(request)

        def call() -> tuple[Any, Any]:
            shipment = lib.to_object(karrio_models.ShipmentRequest, payload)
            response = gateway.proxy.create_shipment(
                gateway.mapper.create_shipment_request(shipment)
            )
            return gateway.mapper.parse_shipment_response(response)

        details, messages = self._run("shipment", call)
        if details is None:
            raise (
                self._error(messages)
                if messages
                else MalformedResponse(
                    f"{self.code}: karrio returned no shipment", courier=self.code
                )
            )
        return mapping.created_shipment(details, courier=self.code)

    def cancel(self, tracking_number: str) -> None:
        self._check("cancel")
        import karrio.core.models as karrio_models

        gateway = self.gateway

        def call() -> tuple[Any, Any]:
            request = gateway.mapper.create_cancel_shipment_request(
                karrio_models.ShipmentCancelRequest(shipment_identifier=tracking_number)
            )
            response = gateway.proxy.cancel_shipment(request)
            return gateway.mapper.parse_cancel_shipment_response(response)

        confirmation, messages = self._run("cancel", call)
        if confirmation is None or not confirmation.success:
            raise (
                self._error(messages)
                if messages
                else CourierRejected(
                    f"{self.code}: the carrier did not confirm the cancellation", courier=self.code
                )
            )


def _outside_event_loop(call: Callable[[], T]) -> T:
    """Some karrio proxies fan out with asyncio.run(), which refuses to start inside a running
    event loop (an async caller, a browser-driving test): then the call runs in a thread of its
    own, with our context (the route) copied in."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call()
    context = contextvars.copy_context()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(context.run, call).result()


@functools.cache
def proxy_methods(karrio_id: str) -> frozenset[str]:
    """The operations karrio's Proxy for this carrier implements."""
    import karrio.references

    return frozenset(karrio.references.detect_proxy_methods(plugin_metadata(karrio_id).Proxy))


@functools.cache
def service_names(karrio_id: str) -> dict[str, str]:
    services = plugin_metadata(karrio_id).services
    names: dict[str, str] = {}
    for member in list(services or []):
        label = member.name.replace("_", " ").title().replace("Dpd", "DPD")
        names.setdefault(member.name, label)
    return names


def karrio_id_for(code: str) -> str | None:
    carriers = installed_carriers()
    if code.startswith(PREFIX) and code[len(PREFIX) :] in carriers:
        return code[len(PREFIX) :]
    return code if code in carriers else None


@functools.cache
def adapter_class_for(code: str) -> type[KarrioAdapter]:
    """The adapter class of the bridged carrier registered as `code` ("dpd", "karrio_ups")."""
    karrio_id = karrio_id_for(code)
    if karrio_id is None:
        raise ValueError(f"no installed karrio carrier is registered as {code!r}")
    methods = proxy_methods(karrio_id)
    metadata = plugin_metadata(karrio_id)
    rates_from_sheet = any(
        "RatingMixinProxy" in klass.__name__ for klass in metadata.Proxy.__mro__
    )  # karrio's universal rate sheet prices it locally: no live quotes from the carrier
    capabilities = Capabilities(
        track_batch_size=TRACK_BATCH if "get_tracking" in methods else 0,
        can_quote="get_rates" in methods,
        live_quotes="get_rates" in methods and not rates_from_sheet,
        can_create_shipment="create_shipment" in methods,
        can_cancel="cancel_shipment" in methods,
    )
    attributes = {
        "code": code,
        "name": display_name(karrio_id, code),
        "karrio_id": karrio_id,
        "capabilities": capabilities,
        "credential_fields": credential_fields(karrio_id),
        "__module__": __name__,
        "__doc__": f"{metadata.label} through the karrio bridge (karrio carrier {karrio_id!r}).",
    }
    class_name = "Karrio" + "".join(p.title() for p in karrio_id.split("_")) + "Adapter"
    return type(class_name, (KarrioAdapter,), attributes)


def __getattr__(name: str) -> type[KarrioAdapter]:
    """`adapter:dpd` in the registry (base.ADAPTERS) resolves to the DPD adapter class."""
    if karrio_id_for(name) is not None:
        return adapter_class_for(name)
    raise AttributeError(name)
