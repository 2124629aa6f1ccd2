"""Daily demand forecast with weekly seasonality, a confidence band and spike flags.

The model is additive Holt-Winters with a damped trend (ETS(A,Ad,A)), its smoothing
parameters chosen by a grid search on one-step-ahead squared error that runs over all grid
points at once (numpy), so a year of history fits in a few milliseconds. Before fitting,
days far from their weekday neighbours (a sale, a closed day) are replaced by the median of
those neighbours: a past Black Friday should be flagged, not learned as the new normal.

Short histories fall back honestly: under one season the mean with a wide band ("mean"),
under two seasons the last season repeated with a wide band ("seasonal-naive").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

__all__ = [
    "Forecast",
    "clean_spikes",
    "flag_spikes",
    "forecast_daily",
    "history_band",
    "mase",
    "seasonal_naive",
    "split_forecast",
]

DEFAULT_LEVEL = 0.8
# Smoothing grid: level, trend, seasonality, damping. gamma > 1 - alpha is left out (unstable).
_ALPHAS = (0.03, 0.07, 0.15, 0.3, 0.5)
_BETAS = (0.0, 0.005, 0.02)
_GAMMAS = (0.02, 0.07, 0.15, 0.3)
_PHIS = (0.9, 0.98)
# Fit on at most two years: older demand says little about next month.
_MAX_HISTORY = 730
# A day whose residual from its weekday neighbours exceeds this many robust SDs is cleaned.
_SPIKE_SDS = 4.0


@dataclass(frozen=True)
class Forecast:
    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    method: str
    level: float = DEFAULT_LEVEL
    # One-step-ahead predictions for the history (NaN where the model has none) and the SD
    # of their errors: the "normal" band of past days, against which spikes are flagged.
    fitted: np.ndarray | None = None
    sigma: float = 0.0

    @property
    def z(self) -> float:
        return _z(self.level)

    def as_rows(self) -> list[dict[str, float]]:
        return [
            {"mean": float(m), "lower": float(lo), "upper": float(hi)}
            for m, lo, hi in zip(self.mean, self.lower, self.upper, strict=True)
        ]


def _z(level: float) -> float:
    return NormalDist().inv_cdf(0.5 + level / 2)


def _as_series(history) -> np.ndarray:
    y = np.asarray(history, dtype=float).ravel()
    y = np.where(np.isfinite(y), y, 0.0)
    return np.clip(y, 0.0, None)


def seasonal_naive(history, horizon: int, season: int = 7) -> np.ndarray:
    """Repeat the last season (or the last value, or zeros, when there is less)."""
    y = _as_series(history)
    if horizon <= 0:
        return np.zeros(0)
    if y.size == 0:
        return np.zeros(horizon)
    if y.size < season:
        return np.full(horizon, y[-1])
    last = y[-season:]
    return np.array([last[h % season] for h in range(horizon)], dtype=float)


def mase(actual, predicted, history, season: int = 7) -> float:
    """Mean absolute scaled error: MAE over the in-sample MAE of the seasonal-naive method.

    Below 1 beats the naive method on the history it was scaled by. With less than one
    season of history the lag-1 naive method scales it. A flat history (scale 0) gives 0 for
    a perfect forecast and infinity otherwise.
    """
    a = np.asarray(actual, dtype=float)
    p = np.asarray(predicted, dtype=float)
    y = np.asarray(history, dtype=float)
    lag = season if y.size > season else 1
    if y.size <= lag:
        raise ValueError("mase needs a history longer than one step")
    scale = float(np.mean(np.abs(y[lag:] - y[:-lag])))
    error = float(np.mean(np.abs(a - p)))
    if scale == 0:
        return 0.0 if error == 0 else math.inf
    return error / scale


def flag_spikes(actual, lower, upper, *, tolerance: float = 1.25, min_excess: float = 2.0):
    """Indexes of days well above the band: above ``upper`` by more than ``tolerance`` times
    the band's width (for an 80% band, about 4.5 SDs above the mean: ordinary busy days of a
    year of history stay below it) and by at least ``min_excess`` orders (one extra order on
    a quiet day is not a spike)."""
    a = np.asarray(actual, dtype=float)
    lo = np.asarray(lower, dtype=float)
    hi = np.asarray(upper, dtype=float)
    margin = np.maximum(tolerance * (hi - lo), min_excess)
    above = np.isfinite(hi) & (a - hi > margin)
    return [int(i) for i in np.flatnonzero(above)]


def clean_spikes(history, season: int = 7, *, sds: float = _SPIKE_SDS) -> np.ndarray:
    """A copy of the history where days far from the median of the same weekday in the three
    weeks either side are replaced by that median."""
    y = _as_series(history)
    n = y.size
    if n < 2 * season:
        return y.copy()
    neighbours = []
    for k in (-3, -2, -1, 1, 2, 3):
        shifted = np.full(n, np.nan)
        offset = k * season
        if offset > 0:
            shifted[:-offset] = y[offset:]
        else:
            shifted[-offset:] = y[:offset]
        neighbours.append(shifted)
    reference = np.nanmedian(np.vstack(neighbours), axis=0)
    residual = y - reference
    spread = 1.4826 * float(np.median(np.abs(residual - np.median(residual))))
    # Counts are at least Poisson-noisy: never call a day odd on less than that noise.
    spread = max(spread, math.sqrt(max(float(np.median(y)), 1.0)))
    odd = np.abs(residual) > sds * spread
    cleaned = y.copy()
    cleaned[odd] = reference[odd]
    return cleaned


def forecast_daily(
    history, horizon: int = 28, season: int = 7, *, level: float = DEFAULT_LEVEL
) -> Forecast:
    """Forecast the next ``horizon`` days of a daily count series that ends yesterday."""
    if horizon < 1:
        raise ValueError("horizon must be at least 1")
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    y = _as_series(history)[-_MAX_HISTORY:]
    z = _z(level)
    n = y.size
    if n == 0:
        zeros = np.zeros(horizon)
        return Forecast(zeros, zeros.copy(), zeros.copy(), "none", level, np.zeros(0), 0.0)
    if n < 2 * season:
        return _short_forecast(y, horizon, season, level, z)
    return _holt_winters(y, horizon, season, level, z)


def history_band(forecast: Forecast) -> tuple[np.ndarray, np.ndarray]:
    """The band of the past days (one-step predictions ± z·sigma); NaN where unknown."""
    fitted = forecast.fitted if forecast.fitted is not None else np.zeros(0)
    half = forecast.z * forecast.sigma
    return np.clip(fitted - half, 0, None), fitted + half


def split_forecast(total: Forecast, share: float) -> Forecast:
    """A part's forecast from the total's (top-down): its share of the mean, and a band that
    adds the binomial noise of which part an order falls in to the total's own uncertainty.

    Per-ZIP series are too sparse (a few orders a day) for their own seasonal model; the
    share of recent orders is the steadier estimate (see bench/forecast.py).
    """
    p = min(max(float(share), 0.0), 1.0)
    z = total.z
    mean = p * total.mean
    total_sd = (total.upper - total.mean) / z if z > 0 else np.zeros_like(total.mean)
    sd = np.sqrt((p * total_sd) ** 2 + p * (1 - p) * total.mean)
    return Forecast(
        mean=mean,
        lower=np.clip(mean - z * sd, 0, None),
        upper=mean + z * sd,
        method=f"{total.method} × share",
        level=total.level,
    )


def _short_forecast(y: np.ndarray, horizon: int, season: int, level: float, z: float):
    # Too little history to estimate noise: a band at least Poisson-wide, widened by half.
    spread = max(float(np.std(y)), math.sqrt(float(np.mean(y))), 1.0) * 1.5
    if y.size < season:
        mean = np.full(horizon, float(np.mean(y)))
        method = "mean"
        widen = np.ones(horizon)
    else:
        mean = seasonal_naive(y, horizon, season)
        method = "seasonal-naive"
        widen = np.sqrt(1 + np.arange(horizon) // season)
    half = z * spread * widen
    fitted = np.full(y.size, np.nan)
    return Forecast(mean, np.clip(mean - half, 0, None), mean + half, method, level, fitted, spread)


def _grid() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rows = [
        (a, b, g, p) for a in _ALPHAS for b in _BETAS for g in _GAMMAS for p in _PHIS if g <= 1 - a
    ]
    alpha, beta, gamma, phi = (np.array(col) for col in zip(*rows, strict=True))
    return alpha, beta, gamma, phi


def _initial_state(y: np.ndarray, season: int) -> tuple[float, float, np.ndarray]:
    cycles = min(4, y.size // season)
    block = y[: cycles * season].reshape(cycles, season)
    means = block.mean(axis=1)
    seasonal = (block - means[:, None]).mean(axis=0)
    trend = (means[-1] - means[0]) / ((cycles - 1) * season) if cycles > 1 else 0.0
    # The first cycle's mean is the level half a season in; step back to just before day 0.
    level = means[0] - trend * (season + 1) / 2
    return float(level), float(trend), seasonal


def _holt_winters(y: np.ndarray, horizon: int, season: int, level: float, z: float):
    cleaned = clean_spikes(y, season)
    alpha, beta, gamma, phi = _grid()
    grid_size = alpha.size
    level0, trend0, seasonal0 = _initial_state(cleaned, season)
    lev = np.full(grid_size, level0)
    trend = np.full(grid_size, trend0)
    seas = np.tile(seasonal0, (grid_size, 1))
    n = cleaned.size
    predictions = np.empty((grid_size, n))
    for t in range(n):
        j = t % season
        damped = phi * trend
        prediction = lev + damped + seas[:, j]
        error = cleaned[t] - prediction
        predictions[:, t] = prediction
        lev = lev + damped + alpha * error
        trend = damped + beta * error
        seas[:, j] += gamma * error

    # The first season fed the initial state: score the fit on the days after it.
    errors = cleaned[None, season:] - predictions[:, season:]
    sse = np.sum(errors**2, axis=1)
    best = int(np.argmin(sse))
    a, b, g, p = alpha[best], beta[best], gamma[best], phi[best]
    dof = max(errors.shape[1] - 4, 1)
    sigma = math.sqrt(sse[best] / dof)

    steps = np.arange(1, horizon + 1)
    damp_sum = np.cumsum(p**steps)
    positions = (n + steps - 1) % season
    mean = lev[best] + damp_sum * trend[best] + seas[best, positions]
    mean = np.clip(mean, 0, None)
    # ETS(A,Ad,A) forecast variance: sigma² (1 + Σ_{j<h} c_j²),
    # with c_j = α + βφ(1-φ^j)/(1-φ) + γ·[j ≡ 0 mod m].
    j = np.arange(1, horizon)
    c = a + b * p * (1 - p**j) / (1 - p) + g * (j % season == 0)
    variance = sigma**2 * (1 + np.concatenate(([0.0], np.cumsum(c**2))))
    half = z * np.sqrt(variance)
    fitted = predictions[best].copy()
    fitted[:season] = np.nan
    return Forecast(
        mean=mean,
        lower=np.clip(mean - half, 0, None),
        upper=mean + half,
        method="holt-winters",
        level=level,
        fitted=np.clip(fitted, 0, None),
        sigma=sigma,
    )
