"""The address risk model: a logistic regression over fulfillment/risk/features.py, fitted and
evaluated honestly with scikit-learn (train on the earlier months, test on the latest ones, never
shuffled across time), scored in plain Python at checkout (no scikit-learn at request time).

A shop with too little history gets the prior: fixed coefficients of sensible size, its intercept
set so that the average score is the shop's own failure rate.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from fulfillment.risk.features import FEATURES, WORDS, AddressFacts, History, vector

# Log-odds a feature adds when present (roughly what delivery studies and our bench show).
PRIOR_COEFFICIENTS = {
    "zip_rate": 1.0,
    "no_unit": 1.2,
    "business_hours": 1.0,
    "po_box": 2.0,
    "centroid": 0.5,
    "new_customer": 0.4,
}
PRIOR_MEANS = {
    "zip_rate": 0.0,
    "no_unit": 0.05,
    "business_hours": 0.04,
    "po_box": 0.01,
    "centroid": 0.3,
    "new_customer": 0.5,
}
MIN_ROWS = 300  # labelled deliveries before a shop gets its own model
MIN_FAILURES = 20
MIN_MONTHS = 3
REASON_LOGIT = 0.3  # a feature is named as a reason when it adds at least this much


@dataclass(frozen=True)
class Model:
    intercept: float
    coefficients: Mapping[str, float]
    means: Mapping[str, float]

    def contributions(self, values: Mapping[str, float | None]) -> dict[str, float]:
        """{feature: log-odds it adds against an average destination}."""
        out = {}
        for name in FEATURES:
            x = values.get(name)
            mean = self.means.get(name, 0.0)
            out[name] = self.coefficients.get(name, 0.0) * ((mean if x is None else x) - mean)
        return out

    def score(self, values: Mapping[str, float | None]) -> float:
        z = self.intercept
        for name in FEATURES:
            x = values.get(name)
            z += self.coefficients.get(name, 0.0) * (self.means.get(name, 0.0) if x is None else x)
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))

    def reasons(self, values: Mapping[str, float | None]) -> list[dict]:
        """The features that raise this destination's risk most, in words: [{code, text,
        merchant_text}], largest first."""
        parts = sorted(self.contributions(values).items(), key=lambda kv: -kv[1])
        return [
            {"code": name, "text": WORDS[name][0], "merchant_text": WORDS[name][1]}
            for name, added in parts
            if added >= REASON_LOGIT and values.get(name) is not None
        ]


def prior_model(overall_rate: float) -> Model:
    rate = min(max(overall_rate, 1e-3), 0.999)
    base = math.log(rate / (1 - rate))
    intercept = base - sum(PRIOR_COEFFICIENTS[f] * PRIOR_MEANS[f] for f in FEATURES)
    return Model(intercept, dict(PRIOR_COEFFICIENTS), dict(PRIOR_MEANS))


@dataclass(frozen=True)
class Record:
    """One past home delivery: when it was ordered, where it went, whether it failed."""

    when: dt.date
    facts: AddressFacts
    failed: bool


@dataclass
class Trained:
    kind: str  # "trained" or "prior"
    model: Model
    history: History
    metrics: dict = field(default_factory=dict)


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def split_by_month(
    records: Sequence[Record], *, test_months: int | None = None
) -> tuple[list[Record], list[Record], list[str], list[str]]:
    """(train, test, train months, test months): the latest one or two calendar months are
    the test; everything before them is the train. Never shuffled across time."""
    months = sorted({month_of(r.when) for r in records})
    if test_months is None:
        test_months = 2 if len(months) >= 6 else 1
    held = set(months[-test_months:]) if len(months) > test_months else set()
    train = [r for r in records if month_of(r.when) not in held]
    test = [r for r in records if month_of(r.when) in held]
    return train, test, [m for m in months if m not in held], sorted(held)


def _rows(
    records: Sequence[Record], history: History, *, leave_out: bool
) -> list[dict[str, float | None]]:
    return [vector(r.facts, history, leave_out=r.failed if leave_out else None) for r in records]


def _matrix(rows: list[dict[str, float | None]], means: Mapping[str, float]) -> list[list[float]]:
    return [[means[f] if row[f] is None else row[f] for f in FEATURES] for row in rows]


def _means(rows: list[dict[str, float | None]]) -> dict[str, float]:
    means = {}
    for name in FEATURES:
        known = [row[name] for row in rows if row[name] is not None]
        means[name] = sum(known) / len(known) if known else 0.0
    return means


def fit(records: Sequence[Record]) -> tuple[Model, History]:
    """A logistic regression on `records`; the ZIP rate of each row leaves that row out."""
    from sklearn.linear_model import LogisticRegression

    history = History.build((r.facts, r.failed) for r in records)
    rows = _rows(records, history, leave_out=True)
    means = _means(rows)
    fitted = LogisticRegression(C=1.0, max_iter=500)
    fitted.fit(_matrix(rows, means), [int(r.failed) for r in records])
    coefficients = dict(zip(FEATURES, (float(c) for c in fitted.coef_[0]), strict=True))
    return Model(float(fitted.intercept_[0]), coefficients, means), history


def calibration_table(failed: Sequence[int], scores: Sequence[float], bins: int = 10) -> list:
    """Predicted against observed by decile of the score: [{predicted, observed, count}]."""
    import numpy as np
    from sklearn.calibration import calibration_curve

    y, p = np.asarray(failed), np.asarray(scores)
    observed, predicted = calibration_curve(y, p, n_bins=bins, strategy="quantile")
    # The same quantile bins calibration_curve uses, to say how many orders each point holds.
    edges = np.percentile(p, np.linspace(0, 100, bins + 1))
    counts = np.bincount(np.searchsorted(edges[1:-1], p, side="right"), minlength=bins)
    counts = counts[counts != 0]
    return [
        {"predicted": round(float(a), 4), "observed": round(float(b), 4), "count": int(n)}
        for a, b, n in zip(predicted, observed, counts, strict=False)
    ]


def evaluate(model: Model, history: History, test: Sequence[Record]) -> dict:
    """ROC AUC of the model and of the ZIP rate alone, and the calibration table, on `test`
    with features from the train period's history only."""
    from sklearn.metrics import roc_auc_score

    rows = _rows(test, history, leave_out=False)
    failed = [int(r.failed) for r in test]
    scores = [model.score(row) for row in rows]
    out: dict = {"test_rows": len(test), "test_failures": sum(failed)}
    if 0 < sum(failed) < len(failed):
        out["auc"] = round(float(roc_auc_score(failed, scores)), 4)
        zip_only = [row["zip_rate"] or 0.0 for row in rows]
        out["baseline_auc"] = round(float(roc_auc_score(failed, zip_only)), 4)
        out["calibration"] = calibration_table(failed, scores)
    return out


def threshold_effect(scores: Sequence[float], failed: Sequence[bool], threshold: float) -> dict:
    """Orders at or over `threshold` (moved to a locker) and the failures among them."""
    moved = [f for s, f in zip(scores, failed, strict=True) if s >= threshold]
    return {
        "threshold": threshold,
        "orders": len(scores),
        "moved": len(moved),
        "failures": sum(failed),
        "failures_avoided": sum(moved),
    }


def threshold_for_share(scores: Sequence[float], share: float) -> float:
    """The lowest threshold that moves at most `share` of the orders."""
    ordered = sorted(scores, reverse=True)
    allowed = int(len(ordered) * share)
    if allowed >= len(ordered):
        return ordered[-1] if ordered else 1.0
    # Ties at the cut would move more than allowed: go just above the first excluded score.
    cut = ordered[allowed]
    return math.nextafter(cut, 1.0)


def train(records: Sequence[Record], *, now: dt.datetime | None = None) -> Trained:
    """Evaluate on held-out months, then refit on every month for use; the prior when the shop
    has too little history (its metrics still measured on the held-out months)."""
    records = sorted(records, key=lambda r: r.when)
    failures = sum(r.failed for r in records)
    train_rows, test_rows, train_months, test_months = split_by_month(records)
    metrics: dict = {
        "rows": len(records),
        "failures": failures,
        "train_months": train_months,
        "test_months": test_months,
        "train_rows": len(train_rows),
    }
    enough = (
        len(records) >= MIN_ROWS
        and failures >= MIN_FAILURES
        and len(train_months) >= MIN_MONTHS - 1
        and 0 < sum(r.failed for r in train_rows) < len(train_rows)
    )
    if not enough:
        history = History.build((r.facts, r.failed) for r in records)
        model = prior_model(history.overall_rate)
        if train_rows and test_rows:
            early = History.build((r.facts, r.failed) for r in train_rows)
            metrics |= evaluate(prior_model(early.overall_rate), early, test_rows)
        return Trained("prior", model, history, metrics)
    held_model, held_history = fit(train_rows)
    if test_rows:
        metrics |= evaluate(held_model, held_history, test_rows)
    model, history = fit(records)
    return Trained("trained", model, history, metrics)
