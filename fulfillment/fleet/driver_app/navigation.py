"""Navigate links for a stop: the geo: URI (any map app on Android), Google Maps and Apple Maps."""

from __future__ import annotations

from urllib.parse import urlencode

from fulfillment.models import RouteStop


def links(stop: RouteStop) -> dict[str, str]:
    at = f"{stop.latitude:.6f},{stop.longitude:.6f}"
    return {
        "geo": f"geo:{at}?q={at}",
        "google": "https://www.google.com/maps/dir/?" + urlencode({"api": "1", "destination": at}),
        "apple": "https://maps.apple.com/?" + urlencode({"daddr": at, "dirflg": "d"}),
    }
