"""Training and honest evaluation: the held-out months are the latest ones, and a model trained
on a simulated history with known causes ranks failures well above chance on them."""

from __future__ import annotations

import datetime as dt

from bench.address_risk import simulate
from fulfillment.risk.features import AddressFacts
from fulfillment.risk.model import Record, month_of, split_by_month, threshold_for_share, train


def test_the_split_is_by_time_the_latest_months_are_held_out():
    records = simulate(orders=3000, months=8, seed=3)
    train_rows, test_rows, train_months, test_months = split_by_month(records)
    assert train_months[-1] < test_months[0]
    assert test_months == ["2025-07", "2025-08"]
    assert max(r.when for r in train_rows) < min(r.when for r in test_rows)
    assert {month_of(r.when) for r in test_rows} == set(test_months)
    assert len(train_rows) + len(test_rows) == len(records)


def test_a_model_trained_on_early_months_ranks_failures_on_held_out_months():
    records = simulate(orders=12_000, months=12, seed=11)
    result = train(records)
    assert result.kind == "trained"
    metrics = result.metrics
    assert metrics["test_months"] == ["2025-11", "2025-12"]
    assert metrics["auc"] > 0.65, metrics
    assert metrics["auc"] > metrics["baseline_auc"] + 0.03  # better than the ZIP rate alone
    table = metrics["calibration"]
    assert 8 <= len(table) <= 10
    assert sum(row["count"] for row in table) == metrics["test_rows"]
    assert table[-1]["observed"] > 2 * table[0]["observed"]  # the top decile fails far more
    # The known causes come out with the right sign.
    for cause in ("po_box", "no_unit", "business_hours", "zip_rate"):
        assert result.model.coefficients[cause] > 0.3, result.model.coefficients


def test_a_shop_with_little_history_gets_the_prior_model():
    day = dt.date(2026, 1, 5)
    records = [
        Record(day + dt.timedelta(days=i), AddressFacts(zip5="60601"), i % 10 == 0)
        for i in range(50)
    ]
    result = train(records)
    assert result.kind == "prior"
    assert result.model.coefficients["po_box"] > 1.0
    assert abs(result.history.overall_rate - (5 + 1) / (50 + 20)) < 1e-9


def test_the_threshold_for_a_share_moves_at_most_that_share_even_with_ties():
    scores = [0.5] * 5 + [0.1] * 95
    threshold = threshold_for_share(scores, 0.10)
    assert sum(s >= threshold for s in scores) == 5
    tied = [0.3] * 20 + [0.1] * 80
    assert sum(s >= threshold_for_share(tied, 0.10) for s in tied) == 0
