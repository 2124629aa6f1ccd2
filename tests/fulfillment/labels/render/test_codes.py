"""Code sizes a 203 dpi thermal head can print exactly."""

import re

import pytest

from fulfillment.labels.render import point_code
from fulfillment.labels.render.codes import DOT_MM, code128_modules, code128_svg, qr_svg


def test_code128_modules_are_whole_printer_dots_with_ten_module_quiet_zones():
    symbol = code128_svg("NB4820193746K", max_width_mm=94)

    modules = len(code128_modules("NB4820193746K")) + 20
    assert symbol.module_dots == 3
    assert symbol.width_mm == pytest.approx(modules * 3 * DOT_MM)
    assert symbol.height_mm >= 15
    bars = [float(x) for x in re.findall(r"M([\d.]+) 0v", symbol.svg)]
    assert min(bars) > 10 and max(bars) < modules - 10  # nothing inside the quiet zones


def test_long_tracking_number_falls_back_to_two_dot_modules_then_refuses():
    long_number = "1Z999AA10123456784XYZ0123"

    assert code128_svg(long_number, max_width_mm=94).module_dots == 2
    with pytest.raises(ValueError, match="mm"):
        code128_svg(long_number, max_width_mm=40)


def test_qr_has_a_four_module_quiet_zone_and_whole_dot_modules():
    symbol = qr_svg("https://nearbox.example/t/NB4820193746K", max_size_mm=24)

    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', symbol.svg).group(1))
    assert size == 29 + 8  # version 3 plus 4 modules each side
    assert 3 <= symbol.module_dots <= 8
    assert symbol.width_mm <= 24
    assert re.search(r'd="M4 4\.5', symbol.svg)  # first dark module after the quiet zone


def test_point_code_uses_initials_then_consonants():
    assert point_code("Wola Warehouse") == "WLW"
    assert point_code("Brooklyn") == "BRK"
    assert point_code("Chicago West Loop") == "CWL"
