"""merchant/units.py: what people type and read back, in kilograms or pounds."""

import pytest
from django.template import Context, Template
from hypothesis import given
from hypothesis import strategies as st

from merchant import units
from merchant.units import UnitError, format_length, format_weight, parse_length, parse_weight

# A little under the limit: the display's rounding may read back a gram or two over it.
grams = st.integers(min_value=1, max_value=units.MAX_WEIGHT_G - 10)
millimetres = st.integers(min_value=1, max_value=units.MAX_LENGTH_MM)
systems = st.sampled_from([units.METRIC, units.IMPERIAL])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2.4 lb", 1089),
        ("1 lb 6 oz", 624),
        ("1lb6oz", 624),
        ("22 oz", 624),
        ("1.2 kg", 1200),
        ("2,5 kg", 2500),
        ("850 g", 850),
        ("850g", 850),
        ("  3 LBS ", 1361),
        ("1 kg 200 g", 1200),
        (".5 kg", 500),
        ("1\u00a0kg", 1000),
    ],
)
def test_scale_readings_are_read_as_grams(text, expected):
    assert parse_weight(text) == expected


def test_a_bare_number_is_in_the_merchants_own_unit():
    assert parse_weight("2", default_unit="lb") == 907
    assert parse_weight("2", default_unit="kg") == 2000
    assert parse_length("10", default_unit="in") == 254
    assert parse_length("10", default_unit="cm") == 100


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Type a weight"),
        ("abc", "is not a weight"),
        ("2.4 stone", "“stone” is not a unit"),
        ("1 lb 6", "Give each number its unit"),
        ("1 lb 2 lb", "Each unit once"),
        ("0 kg", "more than zero"),
        ("-1 kg", "is not a weight"),
        ("1e9 g", "is not a unit"),
        ("nan", "is not a weight"),
        ("inf kg", "is not a weight"),
        ("2000 kg", "over a tonne"),
        ("1" * 100, "too long"),
        ("1\x00 kg", "is not a weight"),
        ("<script>1</script>", "is not a weight"),
        ("\ud800", "is not a weight"),
    ],
)
def test_garbage_is_refused_with_a_message_that_says_what_to_type(text, message):
    with pytest.raises(UnitError, match=message):
        parse_weight(text)


def test_a_weight_that_is_not_text_is_refused():
    with pytest.raises(UnitError):
        parse_weight(None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30 cm", 300), ("12.5 in", 318), ('12"', 305), ("300 mm", 300), ("1.2 m", 1200)],
)
def test_lengths_are_read_as_millimetres(text, expected):
    assert parse_length(text) == expected


@pytest.mark.parametrize(
    ("grams_", "metric", "imperial"),
    [
        (850, "850 g", "1 lb 14 oz"),
        (1000, "1 kg", "2 lb 3.3 oz"),
        (1250, "1.25 kg", "2 lb 12.1 oz"),
        (170, "170 g", "6 oz"),
        (454, "454 g", "1 lb"),
    ],
)
def test_weights_read_as_a_person_writes_them(grams_, metric, imperial):
    assert format_weight(grams_, units.METRIC) == metric
    assert format_weight(grams_, units.IMPERIAL) == imperial


def test_sizes_read_in_centimetres_or_inches():
    assert units.format_size(300, 200, 100, units.METRIC) == "30 × 20 × 10 cm"
    assert units.format_size(305, 229, 152, units.IMPERIAL) == "12 × 9 × 6 in"
    assert units.format_size(None, 1, 1, units.METRIC) == ""


@given(grams, systems)
def test_a_precise_weight_reads_back_to_the_same_grams(value, system):
    text = format_weight(value, system, precise=True)
    assert parse_weight(text) == value


@given(grams, systems)
def test_a_displayed_weight_is_off_by_at_most_half_its_last_digit(value, system):
    text = format_weight(value, system)
    assert abs(parse_weight(text) - value) <= units.weight_step_g(system) + 0.5


@given(millimetres, systems)
def test_a_precise_length_reads_back_to_the_same_millimetres(value, system):
    assert parse_length(format_length(value, system, precise=True)) == value


@given(st.text(max_size=30))
def test_any_text_is_a_weight_or_a_unit_error(text):
    try:
        value = parse_weight(text)
    except UnitError:
        return
    assert 1 <= value <= units.MAX_WEIGHT_G


def test_template_tags_use_the_unit_system_of_the_page():
    template = Template(
        "{% load units %}{% weight g %}|{% size 300 200 100 %}|{{ g|weight_in:'metric' }}"
    )
    assert template.render(Context({"g": 1089, "unit_system": "imperial"})) == (
        "2 lb 6.4 oz|11.8 × 7.9 × 3.9 in|1.089 kg"
    )
    assert template.render(Context({"g": 1089})) == "1.089 kg|30 × 20 × 10 cm|1.089 kg"
