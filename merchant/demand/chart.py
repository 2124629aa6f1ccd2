"""Geometry of the server-rendered demand chart: past days as a line, the forecast as a
dashed line inside its band, spikes as dots. The template only draws what this returns."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence


def nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k at or above ``value`` (at least 5)."""
    value = max(value, 5.0)
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def demand_chart(
    *,
    past_days: Sequence[dt.date],
    actual: Sequence[float],
    future_days: Sequence[dt.date],
    mean: Sequence[float],
    lower: Sequence[float],
    upper: Sequence[float],
    spikes: Sequence[int] = (),
    width: int = 760,
    height: int = 260,
) -> dict:
    left, right, top, bottom = 44, 12, 12, 30
    days = [*past_days, *future_days]
    count = max(len(days), 2)
    y_max = nice_max(max([*actual, *upper, 0]))
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(i: int) -> float:
        return round(left + plot_w * i / (count - 1), 1)

    def y(v: float) -> float:
        return round(top + plot_h * (1 - v / y_max), 1)

    offset = len(past_days)
    actual_points = " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(actual))
    # The forecast starts from the last real day so the two lines join.
    mean_pairs = [(offset - 1, actual[-1])] if actual else []
    mean_pairs += [(offset + i, v) for i, v in enumerate(mean)]
    mean_points = " ".join(f"{x(i)},{y(v)}" for i, v in mean_pairs)
    band = [f"{x(offset + i)},{y(v)}" for i, v in enumerate(upper)]
    band += [f"{x(offset + i)},{y(v)}" for i, v in reversed(list(enumerate(lower)))]
    y_ticks = [{"value": _label(y_max * k / 4), "y": y(y_max * k / 4)} for k in range(5)]
    mondays = [(i, day) for i, day in enumerate(days) if day.weekday() == 0]
    # Every other Monday: 16 weeks of labels would crowd a phone screen.
    x_ticks = [{"label": f"{day:%b} {day.day}", "x": x(i)} for i, day in mondays[::2]]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "top": top,
        "bottom": height - bottom,
        "label_y": height - 8,
        "actual_points": actual_points,
        "mean_points": mean_points,
        "band_points": " ".join(band),
        "today_x": x(offset) if future_days else None,
        "y_ticks": y_ticks,
        "x_ticks": x_ticks,
        "spikes": [
            {"x": x(i), "y": y(actual[i]), "day": past_days[i], "value": actual[i]} for i in spikes
        ],
    }


def _label(value: float) -> str:
    return f"{value:g}"
