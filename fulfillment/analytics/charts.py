"""Geometry of the Analytics page's server-rendered SVG charts: a daily trend line drawn over
the previous period's line, horizontal bars (by courier, service, point, reason) with the
previous period's value as a tick, and a histogram (delivery days). Plus the ZIP map's circles
at the gazetteer centroids. Pure functions of numbers; the templates only draw what these
return, and the same numbers go in the tables under the charts."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence

from merchant.demand.chart import nice_max
from merchant.services.postal_areas import gazetteer_entry

Label = Callable[[float], str]


def share_max(values: Sequence[float]) -> float:
    """The y-axis top for shares (0..1): a nice step at or above the largest, at most 100%."""
    return min(nice_max(max([*values, 0.0]) * 100) / 100, 1.0)


def whole_max(values: Sequence[float]) -> int:
    """The y-axis top for counts: four equal whole steps (0, 1, 2, 3, 4 or 0, 3, 6, 9, 12),
    never a 1.25 tick for a number of parcels."""
    quarter = max([*values, 0.0]) / 4
    power = 1
    while True:
        for step in (1, 2, 2.5, 3, 5):
            if step * power >= quarter and float(step * power).is_integer():
                return int(4 * step * power)
        power *= 10


def axis_max(values: Sequence[float], *, share: bool = False, whole: bool = False) -> float:
    if share:
        return share_max(values)
    if whole:
        return whole_max(values)
    return nice_max(max([*values, 0.0]))


def _plain(value: float) -> str:
    return f"{value:g}"


def trend_chart(
    *,
    days: Sequence[dt.date],
    current: Sequence[float | None],
    previous: Sequence[float | None] = (),
    share: bool = False,
    whole: bool = False,
    label: Label = _plain,
    width: int = 420,
    height: int = 180,
) -> dict:
    """A line per day of the period and, dashed under it, the previous period's line aligned
    day by day (day 1 over day 1). A day without a figure (None: a rate with nothing to
    divide) breaks the line instead of drawing it at zero."""
    left, right, top, bottom = 52, 10, 10, 24
    count = max(len(days), 2)
    known = [v for v in (*current, *previous) if v is not None]
    y_max = axis_max(known, share=share, whole=whole)
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(i: int) -> float:
        return round(left + plot_w * i / (count - 1), 1)

    def y(v: float) -> float:
        return round(top + plot_h * (1 - min(v, y_max) / y_max), 1)

    def segments(values: Sequence[float | None]) -> list[str]:
        lines, run = [], []
        for i, v in enumerate([*values[: len(days)], None]):
            if v is not None:
                run.append(f"{x(i)},{y(v)}")
                continue
            if len(run) > 1:  # a lone day is drawn as a dot (below)
                lines.append(" ".join(run))
            run = []
        return lines

    # At most 5 day labels, always the first day: 90 labels would overlap.
    step = max(1, math.ceil(len(days) / 5))
    x_ticks = [{"label": f"{day:%b} {day.day}", "x": x(i)} for i, day in enumerate(days)][::step]
    single = [  # a lone point in a segment draws nothing as a line: show it as a dot
        {"x": x(i), "y": y(v)}
        for i, v in enumerate(current[: len(days)])
        if v is not None
        and (i == 0 or current[i - 1] is None)
        and (i + 1 >= len(current) or current[i + 1] is None)
    ]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "top": top,
        "bottom": height - bottom,
        "label_y": height - 8,
        "tick_x": left - 6,
        "current": segments(current),
        "previous": segments(previous),
        "dots": single,
        "y_ticks": [{"value": label(y_max * k / 4), "y": y(y_max * k / 4)} for k in range(5)],
        "x_ticks": x_ticks,
    }


def bar_chart(
    *,
    rows: Sequence[tuple[str, float, float | None]],
    share: bool = False,
    label: Label = _plain,
    width: int = 640,
    bar_height: int = 18,
    gap: int = 8,
) -> dict:
    """Horizontal bars, one per (name, value, previous value) row, in the given order; the
    previous period's value is a tick across its bar's track, so a change reads at a glance."""
    name_w, value_w, top = 150, 90, 4
    track = width - name_w - value_w
    values = [v for _, v, p in rows for v in (v, p) if v is not None]
    v_max = axis_max(values, share=share)
    bars = []
    for i, (name, value, previous) in enumerate(rows):
        y = top + i * (bar_height + gap)
        bars.append(
            {
                "name": name,
                "y": y,
                "text_y": y + bar_height / 2,
                "width": round(track * min(value, v_max) / v_max, 1),
                "value": label(value),
                "previous_x": None
                if previous is None
                else round(name_w + track * min(previous, v_max) / v_max, 1),
            }
        )
    return {
        "width": width,
        "height": top * 2 + max(len(rows), 1) * (bar_height + gap) - gap,
        "bar_height": bar_height,
        "name_x": name_w - 8,
        "track_x": name_w,
        "track_w": track,
        "value_x": width - value_w + 6,
        "bars": bars,
    }


def histogram(
    *,
    buckets: Sequence[tuple[str, int]],
    width: int = 640,
    height: int = 150,
) -> dict:
    """Vertical bars for counts per bucket ("0 days", "1 day", …, "10+ days")."""
    left, right, top, bottom = 44, 8, 10, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    y_max = whole_max([c for _, c in buckets])
    slot = plot_w / max(len(buckets), 1)
    bars = []
    for i, (name, count) in enumerate(buckets):
        h = round(plot_h * count / y_max, 1)
        bars.append(
            {
                "name": name,
                "count": count,
                "x": round(left + i * slot + slot * 0.15, 1),
                "w": round(slot * 0.7, 1),
                "y": round(top + plot_h - h, 1),
                "h": h,
                "label_x": round(left + i * slot + slot / 2, 1),
            }
        )
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "bottom": height - bottom,
        "label_y": height - 8,
        "tick_x": left - 6,
        "y_ticks": [
            {"value": _plain(y_max * k / 4), "y": round(top + plot_h * (1 - k / 4), 1)}
            for k in range(5)
        ],
        "bars": bars,
    }


def zip_map_points(rows: Sequence[dict]) -> list[dict]:
    """The failed-attempt map's circles: each row ({zip, attempts, failed}) at its ZIP's
    centroid from the bundled gazetteer, the radius growing with attempts and the colour with
    the failure rate. A ZIP the gazetteer does not know stays in the table only."""
    points = []
    for row in rows:
        entry = gazetteer_entry(str(row["zip"])[:5])
        if entry is None or not row.get("attempts"):
            continue
        rate = row["failed"] / row["attempts"]
        points.append(
            {
                "zip": str(row["zip"]),
                "lat": float(entry["lat"]),
                "lon": float(entry["long"]),
                "attempts": int(row["attempts"]),
                "failed": int(row["failed"]),
                "rate": round(rate, 4),
                "radius": round(4 + 2 * math.sqrt(row["attempts"]), 1),
            }
        )
    return points
