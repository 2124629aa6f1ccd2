"""Celery's autodiscovery imports `<app>.tasks`: this module loads each domain's tasks
(fulfillment/<domain>/tasks.py) so the worker registers them. Task code lives with its domain."""

from fulfillment.analytics.tasks import fold_analytics_days, rebuild_analytics
from fulfillment.fleet.dispatch.tasks import insert_booked_order
from fulfillment.housekeeping.tasks import enforce_retention
from fulfillment.messaging.tasks import send_return_message
from fulfillment.risk.tasks import train_address_risk, train_address_risk_models
from fulfillment.shipments.tasks import book_shipment_task
from fulfillment.tracking.tasks import (
    plan_tracking_polls,
    poll_tracking_batch,
    poll_tracking_changes,
    refresh_eta_table,
    refresh_eta_tables,
    send_tracking_notifications,
)

__all__ = [
    "book_shipment_task",
    "enforce_retention",
    "fold_analytics_days",
    "insert_booked_order",
    "plan_tracking_polls",
    "poll_tracking_batch",
    "poll_tracking_changes",
    "rebuild_analytics",
    "refresh_eta_table",
    "refresh_eta_tables",
    "send_return_message",
    "send_tracking_notifications",
    "train_address_risk",
    "train_address_risk_models",
]
