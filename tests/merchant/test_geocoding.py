"""Geocoding service and the offline ZIP geocoder.

No database and no network: the offline geocoder is real, and the only fakes are geopy
geocoders standing in for an internet service.
"""

import math

import pytest
from geopy import exc as geopy_exc
from geopy.geocoders import SERVICE_TO_GEOCODER, Nominatim
from geopy.geocoders.base import DEFAULT_SENTINEL, Geocoder
from geopy.location import Location

from merchant.geocoders import OfflineZipGeocoder
from merchant.services import geocoding
from merchant.services.geocoding import (
    GeocodeResult,
    GeocoderUnavailable,
    MalformedPostalCode,
    UnknownAddress,
    distance_m,
    geocode,
    get_geocoder,
    normalize_postal_code,
)


@pytest.fixture(autouse=True)
def isolated_settings(settings):
    # A private in-memory cache, so answers cached by earlier runs cannot leak into these tests.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "nearbox-geocoding-tests",
        }
    }
    settings.NEARBOX_GEOCODER = "offline"
    settings.NEARBOX_GEOCODER_OPTIONS = {}
    settings.NEARBOX_GEOCODE_CACHE_SECONDS = 600
    from django.core.cache import cache

    cache.clear()
    yield settings
    cache.clear()


class CountingGeocoder(OfflineZipGeocoder):
    """The real offline geocoder, counting how often it is asked."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def geocode(self, query, *, exactly_one=True, timeout=DEFAULT_SENTINEL):
        self.calls += 1
        return super().geocode(query, exactly_one=exactly_one, timeout=timeout)


def failing_geocoder(error_class):
    class FailingGeocoder(Geocoder):
        """Stands in for an internet geocoding service that is failing."""

        def geocode(self, query, *, exactly_one=True, timeout=DEFAULT_SENTINEL):
            raise error_class("service said no")

    return FailingGeocoder


@pytest.fixture
def counting(monkeypatch):
    geocoder = CountingGeocoder()
    monkeypatch.setattr(geocoding, "get_geocoder", lambda: geocoder)
    return geocoder


def haversine_m(a, b):
    """Great-circle distance on a sphere of the mean Earth radius, independent of geopy."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


# --- known places ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zip_code", "centre", "city", "state"),
    [
        ("60601", (41.886, -87.618), "Chicago", "IL"),
        ("10001", (40.750, -73.997), "New York", "NY"),
        ("94103", (37.773, -122.411), "San Francisco", "CA"),
        ("60614", (41.922, -87.652), "Chicago", "IL"),
    ],
)
def test_a_known_zip_geocodes_to_within_2_km_of_its_true_centre(zip_code, centre, city, state):
    result = geocode(postal_code=zip_code)

    assert distance_m(result.point, centre) < 2_000
    assert (result.city, result.state, result.country) == (city, state, "US")
    assert result.postal_code == zip_code
    assert result.normalized_address == f"{city}, {state} {zip_code}, US"
    assert result.source == "offline"


def test_the_result_is_a_frozen_dataclass_with_float_coordinates():
    result = geocode(postal_code="60601")

    assert isinstance(result, GeocodeResult)
    assert isinstance(result.latitude, float)
    assert isinstance(result.longitude, float)
    with pytest.raises(AttributeError):
        result.city = "Elsewhere"


def test_zip_plus_4_and_surrounding_whitespace_are_normalised_to_five_digits():
    result = geocode(postal_code="  60601-1234\n", country=" us ")

    assert result.postal_code == "60601"
    assert result.country == "US"
    assert result.city == "Chicago"


def test_an_address_ending_in_a_zip_uses_that_zip():
    result = geocode(address="233 S Wacker Dr, Chicago, IL 60606")

    assert result.postal_code == "60606"
    assert result.city == "Chicago"
    assert distance_m(result.point, (41.8787, -87.6360)) < 2_000  # Willis Tower


def test_a_postal_code_wins_over_a_zip_inside_the_address():
    result = geocode(postal_code="10001", address="233 S Wacker Dr, Chicago, IL 60606")

    assert result.postal_code == "10001"
    assert result.city == "New York"


def test_a_five_digit_street_number_is_not_mistaken_for_a_zip():
    with pytest.raises(UnknownAddress) as caught:
        geocode(address="12345 Main St, Springfield")

    assert caught.value.field == "address"


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("zip_code", ["00000", "99999"])
def test_an_unknown_zip_raises_unknown_address_on_the_postal_code_field(zip_code):
    with pytest.raises(UnknownAddress) as caught:
        geocode(postal_code=zip_code)

    assert caught.value.field == "postal_code"
    assert zip_code in caught.value.message


@pytest.mark.parametrize("zip_code", ["6060", "ABCDE", "60601-12", "606011", "60 601", "", "   "])
def test_a_malformed_zip_raises_malformed_postal_code_without_guessing(zip_code, counting):
    with pytest.raises(MalformedPostalCode) as caught:
        geocode(postal_code=zip_code)

    assert caught.value.field == "postal_code"
    assert caught.value.message
    assert counting.calls == 0


def test_normalize_postal_code_returns_five_digits_or_raises():
    assert normalize_postal_code(" 60601-1234 ") == "60601"
    assert normalize_postal_code("02134") == "02134"
    assert normalize_postal_code(" sw1a  1aa ", country="GB") == "SW1A 1AA"
    with pytest.raises(MalformedPostalCode):
        normalize_postal_code("60601-12")
    with pytest.raises(MalformedPostalCode):
        normalize_postal_code("SW1A 1AA")


def test_a_non_us_postal_code_is_unknown_to_the_offline_geocoder():
    with pytest.raises(UnknownAddress):
        geocode(postal_code="SW1A 1AA", country="GB")


# --- caching --------------------------------------------------------------------------------


def test_a_second_identical_request_is_answered_from_the_cache(counting):
    first = geocode(postal_code="60601")
    second = geocode(postal_code=" 60601-9999 ")

    assert second == first
    assert counting.calls == 1


def test_an_unknown_zip_is_cached_too(counting):
    for _ in range(2):
        with pytest.raises(UnknownAddress):
            geocode(postal_code="99999")

    assert counting.calls == 1


def test_the_cache_is_keyed_by_geocoder_name(counting, settings):
    geocode(postal_code="60601")
    settings.NEARBOX_GEOCODER = "nominatim"
    from_other = geocode(postal_code="60601")
    settings.NEARBOX_GEOCODER = "offline"
    geocode(postal_code="60601")

    assert counting.calls == 2
    assert from_other.source == "nominatim"


def test_nothing_is_cached_when_cache_seconds_is_zero(counting, settings):
    settings.NEARBOX_GEOCODE_CACHE_SECONDS = 0
    geocode(postal_code="60601")
    geocode(postal_code="60601")

    assert counting.calls == 2


# --- choosing and failing geocoders ---------------------------------------------------------


def test_the_default_geocoder_is_the_offline_zip_geocoder():
    assert isinstance(get_geocoder(), OfflineZipGeocoder)


def test_setting_nominatim_selects_geopys_nominatim_with_the_configured_options(settings):
    settings.NEARBOX_GEOCODER = "nominatim"
    settings.NEARBOX_GEOCODER_OPTIONS = {"user_agent": "nearbox-test"}

    geocoder = get_geocoder()

    assert isinstance(geocoder, Nominatim)
    assert geocoder.headers["User-Agent"] == "nearbox-test"
    assert get_geocoder() is geocoder
    settings.NEARBOX_GEOCODER_OPTIONS = {"user_agent": "nearbox-other"}
    assert get_geocoder() is not geocoder


def test_an_unknown_geocoder_name_is_a_configuration_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.NEARBOX_GEOCODER = "no-such-geocoder"
    with pytest.raises(ImproperlyConfigured):
        get_geocoder()


@pytest.mark.parametrize(
    "error_class",
    [
        geopy_exc.GeocoderServiceError,
        geopy_exc.GeocoderTimedOut,
        geopy_exc.GeocoderUnavailable,
        geopy_exc.GeocoderRateLimited,
    ],
)
def test_a_failing_geopy_service_becomes_geocoder_unavailable(error_class, settings, monkeypatch):
    # A name per error class, because get_geocoder() keeps one instance per configured name.
    name = f"failing-{error_class.__name__.lower()}"
    monkeypatch.setitem(SERVICE_TO_GEOCODER, name, failing_geocoder(error_class))
    settings.NEARBOX_GEOCODER = name

    with pytest.raises(GeocoderUnavailable) as caught:
        geocode(postal_code="60601")

    assert caught.value.field == "postal_code"
    assert isinstance(caught.value.__cause__, error_class)


def test_a_failure_is_not_cached(settings, monkeypatch):
    failing = failing_geocoder(geopy_exc.GeocoderTimedOut)()
    monkeypatch.setattr(geocoding, "get_geocoder", lambda: failing)
    with pytest.raises(GeocoderUnavailable):
        geocode(postal_code="60601")

    monkeypatch.setattr(geocoding, "get_geocoder", CountingGeocoder)
    assert geocode(postal_code="60601").city == "Chicago"


def test_an_online_geocoder_gets_a_free_text_query_and_its_answer_is_mapped(monkeypatch):
    seen = []

    class FakeOnline(Geocoder):
        def geocode(self, query, *, exactly_one=True, timeout=DEFAULT_SENTINEL):
            seen.append(query)
            raw = {"address": {"city": "Chicago", "state": "Illinois", "postcode": "60606-6306"}}
            raw["address"]["country_code"] = "us"
            return Location("233 South Wacker Drive, Chicago", (41.8789, -87.6359), raw)

    monkeypatch.setattr(geocoding, "get_geocoder", FakeOnline)

    result = geocode(address=" 233 S  Wacker Dr ", city="Chicago", postal_code="60606")

    assert seen == ["233 S Wacker Dr, Chicago, 60606, US"]
    assert (result.postal_code, result.city, result.state, result.country) == (
        "60606",
        "Chicago",
        "Illinois",
        "US",
    )
    assert result.normalized_address == "233 South Wacker Drive, Chicago"


# --- the offline geocoder on its own --------------------------------------------------------


def test_the_offline_geocoder_takes_a_structured_query_and_returns_a_geopy_location():
    location = OfflineZipGeocoder().geocode({"postalcode": "60601", "country": "US"})

    assert isinstance(location, Location)
    assert location.address == "Chicago, IL 60601, US"
    assert location.raw["zip_code"] == "60601"
    assert location.raw["county"] == "Cook County"
    assert location.raw["timezone"] == "America/Chicago"
    assert {"city", "state"} <= location.raw.keys()


@pytest.mark.parametrize(
    "query",
    ["", "ABCDE", "6060", "60601-12", "00000", "Chicago", {"postalcode": "60601", "country": "CA"}],
)
def test_the_offline_geocoder_returns_none_for_anything_it_cannot_resolve(query):
    assert OfflineZipGeocoder().geocode(query) is None


def test_the_offline_geocoder_returns_a_list_when_not_exactly_one():
    locations = OfflineZipGeocoder().geocode("60601", exactly_one=False)

    assert [location.address for location in locations] == ["Chicago, IL 60601, US"]


# --- distance -------------------------------------------------------------------------------


def test_distance_matches_a_published_geodesic_reference():
    # geopy's documented example: Newport, RI to Cleveland, OH is 538.39 miles (866.455 km).
    newport, cleveland = (41.49008, -71.312796), (41.499498, -81.695391)

    assert distance_m(newport, cleveland) == pytest.approx(866_455, rel=0.001)


def test_distance_between_two_chicago_zip_centroids_is_plausible():
    loop = geocode(postal_code="60601").point
    lincoln_park = geocode(postal_code="60614").point

    metres = distance_m(loop, lincoln_park)

    assert metres == pytest.approx(haversine_m(loop, lincoln_park), rel=0.01)
    assert metres == pytest.approx(4_900, rel=0.05)  # the two neighbourhoods are ~3 miles apart
    assert distance_m(loop, loop) == 0
