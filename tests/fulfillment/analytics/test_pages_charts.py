"""The Analytics page's chart geometry: lines, bars and histogram bars land where their
numbers say, days without a figure break a line instead of drawing zero, and the ZIP map puts
a failure rate at the gazetteer's centroid."""

from __future__ import annotations

import datetime as dt

from fulfillment.analytics.charts import (
    bar_chart,
    histogram,
    trend_chart,
    whole_max,
    zip_map_points,
)

DAYS = [dt.date(2026, 11, 1) + dt.timedelta(days=i) for i in range(7)]


def _ys(segment: str) -> list[float]:
    return [float(pair.split(",")[1]) for pair in segment.split()]


def test_trend_line_puts_the_larger_value_higher_and_the_previous_period_under_it():
    chart = trend_chart(days=DAYS, current=[1, 2, 3, 4, 5, 6, 8], previous=[8, 0, 0, 0, 0, 0, 0])
    (current,) = chart["current"]
    (previous,) = chart["previous"]
    ys = _ys(current)
    assert ys == sorted(ys, reverse=True)  # rising values: smaller y on screen
    assert _ys(previous)[0] == ys[-1]  # same value, same height
    assert chart["y_ticks"][-1]["value"] == "10"  # nice_max of 8
    assert chart["x_ticks"][0]["label"] == "Nov 1"


def test_a_day_without_a_rate_breaks_the_line_and_a_lone_day_is_a_dot():
    chart = trend_chart(
        days=DAYS, current=[0.5, 0.6, None, 0.7, None, None, None], share=True, label=str
    )
    assert len(chart["current"]) == 1 and len(chart["current"][0].split()) == 2
    assert len(chart["dots"]) == 1
    assert chart["y_ticks"][-1]["value"] == "1.0"  # shares stop at 100%


def test_share_axis_uses_a_nice_step_below_one_hundred_percent():
    chart = trend_chart(days=DAYS, current=[0.02, 0.03, 0.04, 0, 0, 0, 0], share=True, label=str)
    assert chart["y_ticks"][-1]["value"] == "0.05"


def test_bars_scale_to_the_largest_value_and_mark_the_previous_period():
    chart = bar_chart(rows=[("DPD", 50, 25), ("UPS", 100, None)], label=lambda v: f"{v:g}")
    dpd, ups = chart["bars"]
    assert ups["width"] == chart["track_w"]
    assert dpd["width"] == chart["track_w"] / 2
    assert dpd["previous_x"] == chart["track_x"] + chart["track_w"] / 4
    assert ups["previous_x"] is None
    assert ups["y"] > dpd["y"]


def test_histogram_bar_heights_follow_the_counts():
    chart = histogram(buckets=[("0", 0), ("1", 10), ("2", 5)])
    empty, full, half = chart["bars"]
    assert empty["h"] == 0
    assert full["h"] == 2 * half["h"]
    assert full["y"] + full["h"] == chart["bottom"]


def test_zip_map_puts_known_zips_at_their_centroid_and_leaves_unknown_ones_to_the_table():
    points = zip_map_points(
        [
            {"zip": "60614", "attempts": 10, "failed": 3},
            {"zip": "00000", "attempts": 5, "failed": 5},
            {"zip": "60601", "attempts": 0, "failed": 0},
        ]
    )
    assert [p["zip"] for p in points] == ["60614"]
    assert points[0]["rate"] == 0.3
    assert 41.9 < points[0]["lat"] < 42.0 and -87.7 < points[0]["lon"] < -87.6


def test_count_axes_step_in_whole_numbers():
    assert [whole_max([v]) for v in (0, 1, 4, 5, 10, 13, 95, 1001)] == [
        4,
        4,
        4,
        8,
        12,
        20,
        100,
        1200,
    ]
    chart = trend_chart(days=DAYS, current=[1, 0, 0, 0, 0, 0, 2], whole=True)
    assert [t["value"] for t in chart["y_ticks"]] == ["0", "1", "2", "3", "4"]
