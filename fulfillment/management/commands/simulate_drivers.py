"""Drive today's dispatched routes without a phone (#16 item 8): each route is loaded and
started, its driver moves towards the next stop at the vehicle's speed (times --speed) and
posts positions through the same services the phone's requests reach (record_position:
ETAs, the shopper's map and "nearby" message), and at each stop delivers (a signature) or,
every --fail-every stops, fails (not at home; next wave). `make run` starts it.

    manage.py simulate_drivers [--merchant SLUG] [--speed 10] [--interval 2] [--once]
"""

from __future__ import annotations

import base64
import logging
import time
import zlib
from struct import pack

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from fulfillment.couriers.services.rates import haversine_m
from fulfillment.fleet.live import services as live
from fulfillment.fleet.planning.matrix import OfflineModel
from fulfillment.fleet.plans.services.planning import today_for
from fulfillment.models import Route, RoutePlan, RouteStop
from merchant.models import Merchant

logger = logging.getLogger(__name__)
ARRIVED_M = 25.0


def _png(width: int = 8, height: int = 4) -> str:
    """A small black-on-white PNG as a data URL: the simulated driver's signature."""
    rows = b"".join(b"\x00" + bytes([0 if (x + y) % 3 == 0 else 255 for x in range(width)])
                    for y in range(height))  # fmt: skip

    def chunk(kind: bytes, data: bytes) -> bytes:
        return pack(">I", len(data)) + kind + data + pack(">I", zlib.crc32(kind + data))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))  # fmt: skip
    return "data:image/png;base64," + base64.b64encode(png).decode()


SIGNATURE = _png()


def step_towards(
    lat: float, lon: float, to_lat: float, to_lon: float, metres: float
) -> tuple[float, float, bool]:
    """Move `metres` along the straight line; (lat, lon, arrived)."""
    left = haversine_m(lat, lon, to_lat, to_lon)
    if left <= max(metres, ARRIVED_M):
        return to_lat, to_lon, True
    f = metres / left
    return lat + (to_lat - lat) * f, lon + (to_lon - lon) * f, False


class Simulator:
    def __init__(self, *, speed: float, interval: float, fail_every: int) -> None:
        self.speed, self.interval, self.fail_every = speed, interval, max(0, fail_every)
        self.model = OfflineModel()
        self.done_count = 0

    def routes(self, merchants: list[Merchant]) -> list[Route]:
        out = []
        for merchant in merchants:
            out.extend(
                Route.objects.for_merchant(merchant)
                .filter(
                    plan__date=today_for(merchant),
                    plan__state=RoutePlan.State.DISPATCHED,
                    state__in=(Route.State.PLANNED, Route.State.STARTED),
                )
                .select_related("driver", "vehicle", "hub")
                .order_by("pk")
            )
        return out

    def start(self, route: Route) -> None:
        for stop in route.stops.select_related("shipment", "order").order_by("sequence"):
            code = (stop.shipment.tracking_number if stop.shipment else "") or stop.order.reference
            if stop.loaded_at is None and code:
                live.load_parcel(driver=route.driver, route=route, code=code)
        live.start_route(driver=route.driver, route=route)
        route.refresh_from_db()

    def tick(self, route: Route) -> None:
        if route.state == Route.State.PLANNED:
            self.start(route)
        stop = route.stops.filter(state=RouteStop.State.PENDING).order_by("sequence").first()
        if stop is None:
            return
        lat = route.latitude if route.latitude is not None else route.hub.latitude
        lon = route.longitude if route.longitude is not None else route.hub.longitude
        kmh = self.model.speed_kmh(route.vehicle.kind, timezone.now())
        metres = kmh / 3.6 * self.interval * self.speed / 1.3  # circuity: roads are longer
        lat, lon, arrived = step_towards(lat, lon, stop.latitude, stop.longitude, metres)
        now = timezone.now()
        live.record_position(
            driver=route.driver, route=route, latitude=lat, longitude=lon, recorded_at=now
        )
        if arrived:
            self.done_count += 1
            if self.fail_every and self.done_count % self.fail_every == 0:
                live.record_stop_outcome(
                    driver=route.driver, stop=stop, outcome="failed",
                    reason=RouteStop.FailureReason.NOT_HOME,
                    next_step=RouteStop.NextStep.NEXT_WAVE, at=now,
                )  # fmt: skip
            else:
                live.record_stop_outcome(
                    driver=route.driver, stop=stop, outcome="delivered",
                    recipient_name=stop.order.shopper_name.split()[0] if stop.order_id else "",
                    signature=SIGNATURE, at=now,
                )  # fmt: skip

    def run_once(self, merchants: list[Merchant]) -> int:
        routes = self.routes(merchants)
        for route in routes:
            try:
                self.tick(route)
            except ValidationError as error:  # a route changed under us: next tick
                logger.warning("route %s: %s", route.pk, " ".join(error.messages))
            except DatabaseError as error:  # SQLite busy under make run: try again next tick
                logger.warning("route %s: %s", route.pk, error)
        return len(routes)


class Command(BaseCommand):
    help = "Move today's dispatched drivers along their routes and deliver (the demo's drivers)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--merchant", action="append", help="Slug (repeatable); default all.")
        parser.add_argument("--speed", type=float, default=10.0, help="Simulated speed-up.")
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds per position.")
        parser.add_argument("--fail-every", type=int, default=5, help="Every Nth stop fails.")
        parser.add_argument("--once", action="store_true", help="One step of each route.")

    def handle(self, *args, **options) -> None:
        sim = Simulator(
            speed=options["speed"], interval=options["interval"], fail_every=options["fail_every"]
        )
        while True:
            merchants = Merchant.objects.all()
            if options["merchant"]:
                merchants = merchants.filter(slug__in=options["merchant"])
            try:
                count = sim.run_once(list(merchants))
            except Exception:
                logger.exception("simulate_drivers: this round failed; trying again")
                count = 0
            if options["once"]:
                self.stdout.write(f"{count} routes moved one step.")
                return
            close_old_connections()
            time.sleep(options["interval"] if count else max(options["interval"], 30))
