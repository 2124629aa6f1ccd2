"""The matrix sources: the offline model, and OSRM / Valhalla read from their documented answers
(tests/fixtures/routing) and from the fake servers over real HTTP, faults included."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from devtools.fake_routing import running, travel
from fulfillment.fleet.planning.matrix import (
    MatrixError,
    OfflineModel,
    OsrmSource,
    ValhallaSource,
    matrix_source,
    matrix_with_fallback,
)
from fulfillment.fleet.planning.types import Place

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "routing"
NOON = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)  # noon in Chicago
PLACES = [Place(41.9088, -87.6776), Place(41.9031, -87.6661), Place(41.9003, -87.6317)]


def replay(name: str, status: int = 200, seen: list | None = None) -> httpx.Client:
    body = (FIXTURES / name).read_bytes()

    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(status, content=body, headers={"Content-Type": "application/json"})

    return httpx.Client(transport=httpx.MockTransport(handler))


@pytest.fixture
def fake():
    with running() as (url, server):
        yield url, server


def test_offline_model_is_great_circle_times_circuity_at_the_kind_speed(settings):
    settings.TIME_ZONE = "America/Chicago"
    settings.NEARBOX_FLEET_SPEEDS = {
        "cargo_bike": {"kmh": 15, "hours": {}},
        "car": {"kmh": 30, "hours": {"17": 0.5}},
    }
    one_km_north = [Place(41.9, -87.65), Place(41.9 + 1 / 111.195, -87.65)]
    model = OfflineModel(circuity=1.3)
    seconds, metres = model.matrix(one_km_north, vehicle_kind="car", depart_at=NOON)
    assert metres[0][0] == 0 and seconds[1][1] == 0
    assert metres[0][1] == metres[1][0] == pytest.approx(1300, abs=2)
    assert seconds[0][1] == pytest.approx(1300 / (30 / 3.6), abs=1)  # 156 s
    bike, _ = model.matrix(one_km_north, vehicle_kind="cargo_bike", depart_at=NOON)
    assert bike[0][1] == pytest.approx(1300 / (15 / 3.6), abs=1)
    rush = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)  # 17:30 in Chicago: half speed
    slow, _ = model.matrix(one_km_north, vehicle_kind="car", depart_at=rush)
    assert slow[0][1] == pytest.approx(2 * seconds[0][1], abs=1)


def test_osrm_documented_table_is_read_in_seconds_and_metres():
    seen: list[httpx.Request] = []
    source = OsrmSource("http://osrm.test/", client=replay("osrm_table.json", seen=seen))
    seconds, metres = source.matrix(PLACES, vehicle_kind="car", depart_at=NOON)
    assert seconds[0] == [0, 412, 655] and seconds[2][1] == 310
    assert metres[1] == [3390, 0, 2489]
    url = seen[0].url
    assert (
        url.path == "/table/v1/car/-87.677600,41.908800;-87.666100,41.903100;-87.631700,41.900300"
    )
    assert url.params["annotations"] == "duration,distance"


@pytest.mark.parametrize(
    ("name", "status", "message"),
    [
        ("osrm_error.json", 400, "OSRM refused the table: Query string malformed"),
        ("osrm_table_no_route.json", 200, "OSRM found no route from place 1 to place 2"),
    ],
)
def test_osrm_errors_are_sentences(name, status, message):
    source = OsrmSource("http://osrm.test", client=replay(name, status))
    with pytest.raises(MatrixError, match=message):
        source.matrix(PLACES[:2], vehicle_kind="car", depart_at=NOON)


@pytest.mark.parametrize("name", ["valhalla_matrix_verbose.json", "valhalla_matrix_concise.json"])
def test_valhalla_documented_matrix_is_read(name, settings):
    settings.TIME_ZONE = "America/Chicago"
    seen: list[httpx.Request] = []
    source = ValhallaSource("http://valhalla.test", client=replay(name, seen=seen))
    seconds, metres = source.matrix(PLACES, vehicle_kind="cargo_bike", depart_at=NOON)
    assert seconds[0] == [0, 412, 655] and seconds[1][2] == 302
    assert metres[0][1] == 3412 and metres[2][0] == 5302
    sent = json.loads(seen[0].content)
    assert seen[0].url.path == "/sources_to_targets"
    assert sent["costing"] == "bicycle" and sent["sources"][0] == {"lat": 41.9088, "lon": -87.6776}
    assert sent["date_time"] == {"type": 1, "value": "2026-12-07T12:00"}  # local time (Chicago)


def test_valhalla_error_is_a_sentence():
    source = ValhallaSource("http://valhalla.test", client=replay("valhalla_error.json", 400))
    with pytest.raises(MatrixError, match="Valhalla refused the matrix: No suitable edges"):
        source.matrix(PLACES, vehicle_kind="car", depart_at=NOON)


@pytest.mark.parametrize("kind", ["osrm", "valhalla"])
def test_fake_servers_over_http_match_their_model(fake, kind):
    url, server = fake
    source = OsrmSource(url) if kind == "osrm" else ValhallaSource(url)
    seconds, metres = source.matrix(PLACES, vehicle_kind="car", depart_at=NOON)
    expected_s, expected_m = travel((41.9088, -87.6776), (41.9003, -87.6317), "car")
    assert seconds[0][2] == pytest.approx(expected_s, abs=1)
    assert metres[0][2] == pytest.approx(expected_m, abs=2)
    assert seconds[1][1] == 0
    assert server.stats[kind] == 1


@pytest.mark.parametrize("kind", ["osrm", "valhalla"])
def test_big_problems_are_asked_in_blocks(fake, kind):
    url, server = fake
    places = [Place(41.8 + i * 0.001, -87.7 + (i % 7) * 0.002) for i in range(130)]
    source = OsrmSource(url) if kind == "osrm" else ValhallaSource(url)
    seconds, metres = source.matrix(places, vehicle_kind="car", depart_at=NOON)
    assert len(seconds) == 130 and all(len(row) == 130 for row in seconds)
    assert server.stats[kind] == 4  # 2 x 2 blocks of at most 100
    expected = travel((places[129].latitude, places[129].longitude), (41.8, -87.7), "car")[1]
    assert metres[129][0] == pytest.approx(expected, abs=2)


@pytest.mark.parametrize("kind", ["osrm", "valhalla"])
@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("error", "refused"),
        ("garbage", "not JSON"),
        ("null", "found no route from place 1 to place 3"),
        ("wrong_size", "wrong size"),
        ("down", "did not answer"),
        ("slow", "did not answer"),
    ],
)
def test_fake_faults_become_clear_errors_and_the_planner_falls_back(fake, kind, mode, message):
    url, server = fake
    server.mode = mode
    server.slow_seconds = 1.0
    cls = OsrmSource if kind == "osrm" else ValhallaSource
    source = cls(url, timeout=0.3)
    with pytest.raises(MatrixError, match=message):
        source.matrix(PLACES, vehicle_kind="car", depart_at=NOON)
    seconds, _metres, used, note = matrix_with_fallback(
        source, PLACES, vehicle_kind="car", depart_at=NOON
    )
    assert used == "offline" and message in note and "offline model was used" in note
    assert seconds == OfflineModel().matrix(PLACES, vehicle_kind="car", depart_at=NOON)[0]


def test_matrix_source_follows_the_settings(settings):
    settings.NEARBOX_FLEET_OSRM_URL = ""
    settings.NEARBOX_FLEET_VALHALLA_URL = ""
    assert matrix_source().name == "offline"
    settings.NEARBOX_FLEET_VALHALLA_URL = "http://valhalla.test:8002"
    assert matrix_source().name == "valhalla"
    settings.NEARBOX_FLEET_OSRM_URL = "http://osrm.test:5000"
    assert matrix_source().name == "osrm"
