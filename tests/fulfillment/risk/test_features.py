"""The address risk features on crafted addresses (pure: no database)."""

from __future__ import annotations

import datetime as dt

from fulfillment.risk.features import AddressFacts, History, street_key, vector
from fulfillment.risk.model import prior_model

WEEKDAY = dt.date(2026, 3, 4)  # a Wednesday
SATURDAY = dt.date(2026, 3, 7)


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))


def test_a_zip_with_many_failures_scores_above_the_shops_average_and_a_new_zip_at_it():
    history = History({"60601": (30, 100), "60614": (2, 100)}, overall_rate=0.05)
    bad = vector(AddressFacts(zip5="60601"), history)["zip_rate"]
    good = vector(AddressFacts(zip5="60614"), history)["zip_rate"]
    unseen = vector(AddressFacts(zip5="99999"), history)["zip_rate"]
    assert bad > 1.0 > 0 > good
    assert unseen == 0.0


def test_a_training_row_does_not_see_its_own_outcome_in_its_zips_rate():
    history = History({"60601": (1, 1)}, overall_rate=0.05)
    with_itself = vector(AddressFacts(zip5="60601"), history)["zip_rate"]
    left_out = vector(AddressFacts(zip5="60601"), history, leave_out=True)["zip_rate"]
    assert with_itself > 0 and left_out == 0.0


def test_a_multi_unit_building_without_an_apartment_is_flagged_from_history_or_its_name():
    seen = AddressFacts(zip5="60601", line1="100 N State Street", line2="Apt 4B")
    history = History.build([(seen, False)])
    assert street_key(seen) == "100 n state st|60601"
    missing = AddressFacts(zip5="60601", line1="100 North State St.")
    given = AddressFacts(zip5="60601", line1="100 North State St", line2="Apt 9")
    inline = AddressFacts(zip5="60601", line1="100 North State St #12")
    named = AddressFacts(zip5="60614", line1="55 Lakeview Apartments")
    house = AddressFacts(zip5="60614", line1="12 Oak Ln")
    assert vector(missing, history)["no_unit"] == 1.0
    assert vector(given, history)["no_unit"] == 0.0
    assert vector(inline, history)["no_unit"] == 0.0
    assert vector(named, history)["no_unit"] == 1.0
    assert vector(house, history)["no_unit"] == 0.0


def test_a_business_is_flagged_only_outside_weekday_business_hours():
    history = History()

    def business(start: dt.datetime, end: dt.datetime, **kw) -> float | None:
        facts = AddressFacts(zip5="60601", window_from=start, window_until=end, **kw)
        return vector(facts, history)["business_hours"]

    office = {"line1": "200 W Adams St", "line2": "Suite 300"}
    assert business(at(WEEKDAY, 10), at(WEEKDAY, 14), **office) == 0.0
    assert business(at(WEEKDAY, 17), at(WEEKDAY, 21), **office) == 1.0
    assert business(at(SATURDAY, 10), at(SATURDAY, 14), **office) == 1.0
    company = {"line1": "200 W Adams St", "company": "Acme Widgets LLC"}
    assert business(at(WEEKDAY, 7), at(WEEKDAY, 11), **company) == 1.0
    home = {"line1": "12 Oak Ln"}
    assert business(at(WEEKDAY, 18), at(WEEKDAY, 22), **home) == 0.0
    # A business whose delivery time is not known yet (checkout) counts half.
    assert (
        vector(AddressFacts(line1="1 Main St", company="Acme Inc"), history)["business_hours"]
        == 0.5
    )


def test_po_boxes_are_recognised_in_their_usual_spellings():
    for line in ("PO Box 123", "P.O. Box 9", "p o box 77", "Post Office Box 5", "POBOX 1"):
        assert vector(AddressFacts(line1=line), History())["po_box"] == 1.0, line
    assert vector(AddressFacts(line1="12 Box Elder Rd"), History())["po_box"] == 0.0


def test_unknown_facts_are_none_and_score_at_the_feature_mean():
    values = vector(AddressFacts(zip5="60601"), History())
    assert values["no_unit"] is None and values["centroid"] is None
    model = prior_model(0.05)
    assert abs(model.score(values) - 0.05) < 1e-9  # an average destination: the shop's rate
    risky = vector(
        AddressFacts(zip5="60601", line1="PO Box 1", centroid=True, new_customer=True), History()
    )
    assert model.score(risky) > 0.2
    assert model.reasons(risky)[0]["code"] == "po_box"
    assert all(r["text"] and r["merchant_text"] for r in model.reasons(risky))
