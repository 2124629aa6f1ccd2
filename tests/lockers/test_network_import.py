"""Importing the pickup network from CSV and GeoJSON: all or nothing, errors by line."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lockers.models import Compartment, LockerBank, PickupShop
from lockers.services.network_import import ImportFailed, import_network

HEADER = (
    "kind,ref,name,address_line,city,postal_code,latitude,longitude,compartments,"
    "opening_hours,holding_capacity\n"
)
GOOD = (
    HEADER
    + 'locker,L-1,Loop Locker,1 A St,Chicago,60601,41.8858,-87.6181,"S:3,M:2,L:1",24/7,\n'
    + 'shop,S-1,Corner Store,2 B St,Chicago,60614,,,,"{""mon"": [[""09:00"", ""18:00""]]}",40\n'
)


@pytest.mark.django_db
def test_a_good_csv_creates_banks_compartments_and_shops_and_reimport_updates(merchant_a):
    m = merchant_a.merchant
    report = import_network(merchant=m, filename="network.csv", data=GOOD.encode())
    assert (report.lockers_created, report.shops_created, report.compartments_created) == (1, 1, 6)
    bank = LockerBank.objects.get(merchant=m, ref="L-1")
    assert bank.is_24_7
    assert sorted(Compartment.objects.filter(bank=bank).values_list("label", flat=True)) == [
        "L01",
        "M01",
        "M02",
        "S01",
        "S02",
        "S03",
    ]
    shop = PickupShop.objects.get(merchant=m, ref="S-1")
    assert shop.latitude == pytest.approx(41.92, abs=0.02)  # placed at its ZIP centroid
    assert shop.opening_hours == {"mon": [["09:00", "18:00"]]}
    again = import_network(
        merchant=m, filename="n.csv", data=GOOD.replace("Loop Locker", "Loop Lockers").encode()
    )
    assert (again.lockers_updated, again.compartments_created) == (1, 0)
    assert LockerBank.objects.get(pk=bank.pk).name == "Loop Lockers"


@pytest.mark.django_db
def test_a_csv_with_bad_lines_writes_nothing_and_names_each_line_and_column(merchant_a):
    bad = (
        GOOD
        + "depot,X-1,Nope,3 C St,Chicago,60601,,,,,\n"
        + 'locker,L-2,Bad,4 D St,Chicago,60601,91,-87.6,"S:x",,\n'
        + "shop,S-1,Twice,5 E St,Chicago,60614,,,,,\n"
        + "shop,S-3,Nowhere,6 F St,Chicago,00000,,,,,\n"
    )
    with pytest.raises(ImportFailed) as info:
        import_network(merchant=merchant_a.merchant, filename="n.csv", data=bad.encode())
    errors = [str(e) for e in info.value.report.errors]
    assert any(e.startswith("line 4, kind: expected “locker” or “shop”") for e in errors)
    assert any(e.startswith("line 5, latitude: coordinates 91.0") for e in errors)
    assert any(e.startswith("line 5, compartments:") for e in errors)
    assert any(e.startswith("line 6, ref: shop S-1 already appears on line 3") for e in errors)
    assert any(e.startswith("line 7, postal_code:") for e in errors)
    assert not LockerBank.objects.exists() and not PickupShop.objects.exists()


@pytest.mark.django_db
def test_geojson_features_import_and_a_bad_feature_is_named(merchant_a):
    def feature(ref, coords, **props):
        return {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": coords},
            "properties": {
                "kind": "locker",
                "ref": ref,
                "name": ref,
                "address_line": "1 St",
                "city": "Chicago",
                "postal_code": "60601",
                "compartments": "S:2",
                **props,
            },
        }

    doc = {
        "type": "FeatureCollection",
        "features": [feature("G-1", [-87.62, 41.88]), feature("G-2", [-87.63, 41.89])],
    }
    report = import_network(
        merchant=merchant_a.merchant, filename="n.geojson", data=json.dumps(doc).encode()
    )
    assert report.lockers_created == 2
    assert LockerBank.objects.get(ref="G-1").longitude == -87.62
    doc["features"].append(feature("G-3", [-87.6], name=""))
    doc["features"][0]["properties"]["ref"] = "G-9"
    with pytest.raises(ImportFailed) as info:
        import_network(
            merchant=merchant_a.merchant, filename="n.geojson", data=json.dumps(doc).encode()
        )
    assert [str(e) for e in info.value.report.errors] == [
        "feature 3, geometry: expected a Point with [longitude, latitude]"
    ]
    assert not LockerBank.objects.filter(ref="G-9").exists()


@pytest.mark.django_db
def test_the_import_page_shows_line_errors_and_the_list_then_the_places(client_a):
    bad = SimpleUploadedFile(
        "n.csv", (HEADER + "locker,L-1,,1 St,Chicago,60601,,,S:1,,\n").encode()
    )
    page = client_a.post("/app/pickup/import/", {"file": bad})
    assert page.status_code == 200
    assert "line 2, name: expected a value, found nothing" in page.content.decode()
    good = SimpleUploadedFile("n.csv", GOOD.encode())
    done = client_a.post("/app/pickup/import/", {"file": good}, follow=True)
    assert "1 locker banks created" in done.content.decode()
    assert "Loop Locker" in done.content.decode()
    shops = client_a.get("/app/pickup/?kind=shop&active=yes")
    assert "Corner Store" in shops.content.decode()
    assert "Loop Locker" not in shops.content.decode()
    assert client_a.get("/app/pickup/map/").status_code == 200


@pytest.mark.django_db
def test_the_list_has_an_empty_state_that_says_what_to_do(client_a):
    page = client_a.get("/app/pickup/").content.decode()
    assert "No locker banks yet" in page
    assert "/app/pickup/import/" in page


@pytest.mark.django_db
def test_seed_demo_pickup_fills_chicago_once(make_merchant):
    from django.core.management import call_command

    from merchant.models import Merchant

    new = make_merchant("Windy City Goods")
    Merchant.objects.filter(pk=new.merchant.pk).update(slug="windy-city-goods")
    call_command("seed_demo", "--only", "pickup")
    banks = LockerBank.objects.filter(merchant=new.merchant).count()
    assert banks >= 200
    assert PickupShop.objects.filter(merchant=new.merchant).count() >= 80
    assert Compartment.objects.filter(merchant=new.merchant).count() == banks * 24
    call_command("seed_demo", "--only", "pickup")
    assert LockerBank.objects.filter(merchant=new.merchant).count() == banks
