"""Benchmark the demand forecast against the seasonal-naive baseline on the demo history.

python -m bench.forecast [--seed 7] [--seeds 20] [--today YYYY-MM-DD]

Builds the Chicago demo history in memory (no database), holds out 28 days and reports the
MASE of our forecast and of the seasonal-naive method, and their ratio (ours / baseline;
below 1 is better), on the total and on the ten busiest ZIPs. Two hold-outs: the last four
weeks (the sale falls in the last training week, which the naive method repeats) and four
weeks ending six weeks ago (no sale nearby). `--seeds N` repeats it on N histories and
reports the mean ratios. Prints one JSON object and writes bench/results/forecast.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from merchant.demand.forecast import forecast_daily, mase, seasonal_naive, split_forecast
from merchant.demand.simulate import simulate_orders

RESULTS = Path(__file__).resolve().parent / "results" / "forecast.json"
HORIZON = 28
SHARE_WINDOW = 56
SPLITS = {"last_4_weeks": 0, "ending_6_weeks_ago": 42}


def daily_series(orders, dates, postal_code: str | None = None) -> np.ndarray:
    index = {d: i for i, d in enumerate(dates)}
    series = np.zeros(len(dates))
    for order in orders:
        if postal_code is None or order.postal_code == postal_code:
            series[index[order.ordered_on]] += 1
    return series


def evaluate(seed: int, today: dt.date, days: int, orders_count: int) -> dict:
    orders = simulate_orders(days=days, orders=orders_count, seed=seed, today=today)
    dates = [today - dt.timedelta(days=days - i) for i in range(days)]
    total = daily_series(orders, dates)
    busiest = [code for code, _ in Counter(o.postal_code for o in orders).most_common(10)]
    areas = {code: daily_series(orders, dates, code) for code in busiest}
    result = {}
    for name, gap in SPLITS.items():
        cut = days - HORIZON - gap
        history, actual = total[:cut], total[cut : cut + HORIZON]
        started = time.perf_counter()
        ours = forecast_daily(history, HORIZON)
        seconds = time.perf_counter() - started
        naive = seasonal_naive(history, HORIZON)
        ours_mase, naive_mase = mase(actual, ours.mean, history), mase(actual, naive, history)
        covered = float(np.mean((actual >= ours.lower) & (actual <= ours.upper)))
        area_rows = []
        for code, series in areas.items():
            a_hist, a_actual = series[:cut], series[cut : cut + HORIZON]
            share = a_hist[-SHARE_WINDOW:].sum() / max(history[-SHARE_WINDOW:].sum(), 1)
            top_down = split_forecast(ours, share).mean
            direct = forecast_daily(a_hist, HORIZON).mean
            base = mase(a_actual, seasonal_naive(a_hist, HORIZON), a_hist)
            area_rows.append(
                {
                    "postal_code": code,
                    "mean_daily_orders": round(float(a_hist[-SHARE_WINDOW:].mean()), 2),
                    "mase_ours": round(mase(a_actual, top_down, a_hist), 3),
                    "mase_direct_holt_winters": round(mase(a_actual, direct, a_hist), 3),
                    "mase_seasonal_naive": round(base, 3),
                    "ratio": round(mase(a_actual, top_down, a_hist) / base, 3),
                    # Squared error: MAE rewards the median, which for a ZIP's 0-2 orders a
                    # day is often 0; the mean forecast is judged fairly by RMSE too.
                    "rmse_ratio": round(
                        _rmse(a_actual, top_down)
                        / _rmse(a_actual, seasonal_naive(a_hist, HORIZON)),
                        3,
                    ),
                }
            )
        result[name] = {
            "history_days": cut,
            "total": {
                "method": ours.method,
                "mase_ours": round(ours_mase, 3),
                "mase_seasonal_naive": round(naive_mase, 3),
                "ratio": round(ours_mase / naive_mase, 3),
                "band_level": ours.level,
                "band_coverage": round(covered, 3),
                "fit_seconds": round(seconds, 4),
            },
            "areas": area_rows,
            "areas_mean_ratio": round(float(np.mean([r["ratio"] for r in area_rows])), 3),
            "areas_mean_rmse_ratio": round(float(np.mean([r["rmse_ratio"] for r in area_rows])), 3),
            "areas_mean_ratio_direct": round(
                float(
                    np.mean(
                        [
                            r["mase_direct_holt_winters"] / r["mase_seasonal_naive"]
                            for r in area_rows
                        ]
                    )
                ),
                3,
            ),
        }
    return result


def _rmse(actual, predicted) -> float:
    return float(np.sqrt(np.mean((np.asarray(actual) - np.asarray(predicted)) ** 2)))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--seeds", type=int, default=20, help="histories for the mean ratios")
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date.today())
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--orders", type=int, default=4000)
    args = parser.parse_args(argv)

    main_run = evaluate(args.seed, args.today, args.days, args.orders)
    repeated = [
        evaluate(seed, args.today, args.days, args.orders) for seed in range(1, args.seeds + 1)
    ]
    summary = {
        name: {
            "total_ratio_mean": round(
                float(np.mean([r[name]["total"]["ratio"] for r in repeated])), 3
            ),
            "total_ratio_worst": round(
                float(np.max([r[name]["total"]["ratio"] for r in repeated])), 3
            ),
            "band_coverage_mean": round(
                float(np.mean([r[name]["total"]["band_coverage"] for r in repeated])), 3
            ),
            "areas_ratio_mean": round(
                float(np.mean([r[name]["areas_mean_ratio"] for r in repeated])), 3
            ),
            "areas_rmse_ratio_mean": round(
                float(np.mean([r[name]["areas_mean_rmse_ratio"] for r in repeated])), 3
            ),
            "areas_ratio_direct_mean": round(
                float(np.mean([r[name]["areas_mean_ratio_direct"] for r in repeated])), 3
            ),
        }
        for name in SPLITS
    }
    report = {
        "benchmark": "demand forecast vs seasonal naive (MASE, 28-day horizon)",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "today": args.today.isoformat(),
        "history": {"days": args.days, "orders": args.orders, "seed": args.seed},
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform()},
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "seed_run": main_run,
        f"over_{args.seeds}_seeds": summary,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
