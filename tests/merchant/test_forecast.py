"""The pure forecasting functions on synthetic series whose truth we know."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from merchant.demand.forecast import (
    clean_spikes,
    flag_spikes,
    forecast_daily,
    history_band,
    mase,
    seasonal_naive,
)
from merchant.demand.simulate import SPIKE_DAYS_AGO, simulate_daily_counts

WEEK = np.array([10, 8, 9, 10, 11, 14, 12], dtype=float)


def weekly_series(weeks: int, *, seed: int, noise: str = "poisson", trend: float = 0.0):
    rng = np.random.default_rng(seed)
    rate = np.tile(WEEK, weeks) * (1 + trend * np.arange(weeks * 7) / (weeks * 7))
    return rng.poisson(rate).astype(float) if noise == "poisson" else rate


def test_seasonal_naive_repeats_the_last_week():
    history = np.arange(14, dtype=float)
    assert list(seasonal_naive(history, 9)) == [7, 8, 9, 10, 11, 12, 13, 7, 8]


def test_mase_is_one_for_the_naive_method_on_a_repeating_trend_free_series():
    history = np.tile(WEEK, 4) + np.r_[np.zeros(7), np.ones(7), np.zeros(7), np.ones(7)]
    actual = WEEK + 1
    assert mase(actual, actual, history) == 0
    assert mase(actual, WEEK, history) == pytest.approx(1.0)


def test_forecast_on_clean_weekly_data_reproduces_the_weekly_pattern():
    history = weekly_series(20, seed=0, noise="none")
    forecast = forecast_daily(history, 14)
    assert forecast.method == "holt-winters"
    assert np.allclose(forecast.mean, np.tile(WEEK, 2), atol=0.5)


def test_forecast_beats_or_matches_seasonal_naive_on_noisy_weekly_data():
    ours, naive = [], []
    for seed in range(10):
        series = weekly_series(30, seed=seed, trend=0.2)
        history, actual = series[:-28], series[-28:]
        ours.append(mase(actual, forecast_daily(history, 28).mean, history))
        naive.append(mase(actual, seasonal_naive(history, 28), history))
    assert np.mean(ours) < 0.85 * np.mean(naive)


def test_band_covers_about_eighty_percent_of_held_out_days():
    covered = []
    for seed in range(20):
        series = weekly_series(30, seed=100 + seed)
        history, actual = series[:-28], series[-28:]
        forecast = forecast_daily(history, 28, level=0.8)
        covered.extend((actual >= forecast.lower) & (actual <= forecast.upper))
    assert 0.7 <= np.mean(covered) <= 0.92


def test_injected_spike_is_flagged_and_not_learned():
    series = weekly_series(20, seed=3)
    series[120:123] += 30  # a three-day sale at about four times a normal day
    forecast = forecast_daily(series, 7)
    lower, upper = history_band(forecast)
    assert flag_spikes(series, lower, upper) == [120, 121, 122]
    # The forecast after a sale stays at the normal level.
    assert forecast.mean.sum() == pytest.approx(WEEK.sum(), rel=0.2)


def test_cleaning_replaces_a_spike_by_its_weekday_neighbours():
    series = np.tile(WEEK, 6)
    series[17] = 60
    cleaned = clean_spikes(series)
    assert cleaned[17] == WEEK[17 % 7]
    assert np.array_equal(np.delete(cleaned, 17), np.delete(series, 17))


def test_short_history_falls_back_to_the_mean_with_a_wide_band():
    forecast = forecast_daily([4, 6, 5], 5)
    assert forecast.method == "mean"
    assert np.allclose(forecast.mean, 5)
    assert (forecast.upper - forecast.lower >= 4).all()


def test_one_to_two_weeks_of_history_repeat_the_last_week():
    history = [1, 2, 3, 4, 5, 6, 7, 2, 3, 4]
    forecast = forecast_daily(history, 7)
    assert forecast.method == "seasonal-naive"
    assert list(forecast.mean) == [4, 5, 6, 7, 2, 3, 4]


def test_zeros_give_zeros_and_never_negative_bounds():
    assert forecast_daily([], 3).mean.tolist() == [0, 0, 0]
    forecast = forecast_daily(np.zeros(60), 10)
    assert forecast.mean.tolist() == [0] * 10
    assert (forecast.lower >= 0).all()
    sparse = forecast_daily(np.r_[np.zeros(50), [1, 0, 0, 2, 0, 0, 1]], 10)
    assert (sparse.lower >= 0).all() and (sparse.mean >= 0).all()


def test_simulated_history_has_weekly_seasonality_and_one_sale():
    today = dt.date(2025, 6, 1)
    days, counts = simulate_daily_counts(today=today)
    saturdays = [c for d, c in zip(days, counts, strict=True) if d.weekday() == 5]
    tuesdays = [c for d, c in zip(days, counts, strict=True) if d.weekday() == 1]
    assert np.mean(saturdays) > 1.3 * np.mean(tuesdays)
    forecast = forecast_daily(counts, 7)
    lower, upper = history_band(forecast)
    flagged = {(today - days[i]).days for i in flag_spikes(counts, lower, upper)}
    assert flagged == set(SPIKE_DAYS_AGO)
