"""Geometry of the capacity bar chart: per day a bar of expected parcels (coloured by the day's
advice), a whisker up to the band's top, and a tick at the day's capacity. The template only
draws what this returns."""

from __future__ import annotations

from collections.abc import Sequence

from fulfillment.capacity.advice import DayCapacity
from merchant.demand.chart import nice_max

STATUS_FILL = {"short": "#b91c1c", "tight": "#b45309", "ok": "#0f766e", "idle": "#9ca3af"}


def capacity_chart(days: Sequence[DayCapacity], *, width: int = 760, height: int = 240) -> dict:
    left, right, top, bottom = 44, 12, 12, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    y_max = nice_max(max([0, *(d.upper for d in days), *(d.capacity for d in days)]))
    slot = plot_w / max(len(days), 1)
    bar_w = round(slot * 0.55, 1)

    def y(value: float) -> float:
        return round(top + plot_h * (1 - value / y_max), 1)

    bars = []
    for i, day in enumerate(days):
        x = round(left + slot * i + (slot - bar_w) / 2, 1)
        centre = round(x + bar_w / 2, 1)
        bars.append(
            {
                "day": day,
                "x": x,
                "y": y(day.expected),
                "width": bar_w,
                "height": round(y(0) - y(day.expected), 1),
                "fill": STATUS_FILL.get(day.status, "#6b7280"),
                "centre": centre,
                "upper_y": y(day.upper),
                "capacity_y": y(day.capacity),
                "tick_x1": round(x - 3, 1),
                "tick_x2": round(x + bar_w + 3, 1),
                "label": f"{day.day:%a}"[:2] + f" {day.day.day}",
                "label_y": height - 8,
            }
        )
    y_ticks = [{"value": f"{y_max * k / 4:g}", "y": y(y_max * k / 4)} for k in range(5)]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "bottom": y(0),
        "bars": bars,
        "y_ticks": y_ticks,
    }
