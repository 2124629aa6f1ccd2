"""Prometheus metrics at /metrics, for a bearer token (NEARBOX_METRICS_TOKEN) or a staff session.

Two kinds, named apart:
- `django_*` (django-prometheus: requests, responses, latency, database queries) are this web
  machine's: every gunicorn process of it when PROMETHEUS_MULTIPROC_DIR is set, else the one
  process that answered. Scrape each web machine.
- `nearbox_*` are the installation's, the same from every web process: Celery queue depth
  (broker) and tracking lag (database) read at scrape time; task wait and run time, labels
  rendered and webhooks rejected counted by whichever process saw them, in store.py.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import math
import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import prometheus_client
import redis
from celery.signals import before_task_publish, task_postrun, task_prerun
from django.conf import settings
from django.db.models.signals import post_save
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_prometheus import middleware as django_prometheus_middleware
from django_prometheus.utils import Time
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector

from config.observability import store

logger = logging.getLogger(__name__)

WAIT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, math.inf)
RUN_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, math.inf)
PUBLISHED_HEADER = "nearbox_published_at"
# Incoming webhooks by the path they arrive at (config/urls.py).
WEBHOOK_SOURCES = (("/webhooks/couriers/", "courier"), ("/webhooks/platforms/", "platform"))
# kombu's Redis transport keeps a queue's priorities 3, 6 and 9 in lists of their own.
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")

# --- counted as it happens (store.py) -----------------------------------------------------


def _stamp_message(headers: dict[str, Any] | None = None, **_: object) -> None:
    if headers is not None:
        headers[PUBLISHED_HEADER] = time.time()


_started: dict[str, tuple[float, float | None, float]] = {}
# Each outgoing webhook attempt is one run of this task (integrations/webhooks/tasks.py).
DELIVER_TASK = "integrations.tasks.deliver_webhook"


def _task_started(task_id: str = "", task: Any = None, **_: object) -> None:
    if task is None or getattr(task.request, "is_eager", False):
        return
    now = time.time()
    published = getattr(task.request, PUBLISHED_HEADER, None)
    wait = None
    if isinstance(published, int | float):
        due = published
        eta = task.request.eta
        if eta:  # a countdown or retry waits for its time first: measure from then
            with contextlib.suppress(ValueError):
                due = max(due, datetime.fromisoformat(str(eta)).timestamp())
        wait = max(0.0, now - due)
    _started[task_id] = (time.monotonic(), wait, now)


def _task_finished(
    task_id: str = "",
    task: Any = None,
    state: str | None = None,
    args: Any = None,
    kwargs: Any = None,
    **_: Any,
) -> None:
    started = _started.pop(task_id, None)
    if started is None or task is None:
        return
    began, wait, wall = started
    queue = str((task.request.delivery_info or {}).get("routing_key") or "")
    increments = {
        "task_runtime": store.histogram_fields(
            (task.name, queue, state or ""), time.monotonic() - began, RUN_BUCKETS
        )
    }
    if wait is not None:
        increments["task_wait"] = store.histogram_fields((task.name, queue), wait, WAIT_BUCKETS)
    if task.name == DELIVER_TASK:
        outcome = _delivery_outcome((kwargs or {}).get("delivery_id", (args or [None])[0]), wall)
        if outcome:
            increments["webhooks_outgoing_failed"] = {store.field(outcome): 1}
    store.add(increments)


def _delivery_outcome(delivery_id: Any, since: float) -> str:
    """ "retry" or "given_up" when this run attempted the delivery and it failed, else ""."""
    from integrations.models import WebhookDelivery

    try:
        row = (
            WebhookDelivery.objects.filter(pk=int(delivery_id))
            .values("state", "last_attempt_at")
            .first()
        )
    except Exception:  # a metric never fails the task (a database gone, an odd argument)
        return ""
    if row is None or row["last_attempt_at"] is None:
        return ""
    if row["last_attempt_at"].timestamp() < since or row["state"] == "delivered":
        return ""  # an earlier run's attempt (this one found nothing due), or it worked
    return "given_up" if row["state"] == "failed" else "retry"


def _batch_saved(instance: Any, update_fields: Any = None, **_: object) -> None:
    if update_fields and "finished_at" in update_fields and instance.finished_at:
        store.add({"labels_rendered": {store.field("batch"): len(instance.shipment_ids or [])}})


def _shipment_saved(instance: Any, update_fields: Any = None, **_: object) -> None:
    # labels.services.labels stores each PDF it renders with exactly these fields.
    fields = set(update_fields or ())
    if {"label", "label_source"} <= fields and instance.label_source == "nearbox":
        store.add({"labels_rendered": {store.field("single"): 1}})


class PrometheusAfterMiddleware(django_prometheus_middleware.PrometheusAfterMiddleware):
    """django-prometheus reads Content-Length with int(): a header of letters or non-ASCII digits
    ("²") raised a 500 before the view, which answers such a request 400. Its size is not
    measured; the request goes on to that answer."""

    def process_request(self, request: HttpRequest) -> None:
        try:
            super().process_request(request)
        except ValueError:
            request.prometheus_after_middleware_event = Time()


class IncomingWebhookMetricsMiddleware:
    """Counts incoming webhooks refused (any 4xx or 5xx answer), by source and status."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code >= 400:
            for prefix, source in WEBHOOK_SOURCES:
                if request.path.startswith(prefix):
                    status = str(response.status_code)
                    store.add({"webhooks_rejected": {store.field(source, status): 1}})
                    break
        return response


def connect() -> None:
    from django.apps import apps

    before_task_publish.connect(_stamp_message, weak=False, dispatch_uid="nearbox-m-pub")
    task_prerun.connect(_task_started, weak=False, dispatch_uid="nearbox-m-prerun")
    task_postrun.connect(_task_finished, weak=False, dispatch_uid="nearbox-m-postrun")
    post_save.connect(
        _batch_saved,
        sender=apps.get_model("fulfillment", "LabelBatch"),
        weak=False,
        dispatch_uid="nearbox-m-batch",
    )
    post_save.connect(
        _shipment_saved,
        sender=apps.get_model("fulfillment", "Shipment"),
        weak=False,
        dispatch_uid="nearbox-m-label",
    )


# --- read at scrape time --------------------------------------------------------------------


def queue_names() -> list[str]:
    """Every queue the settings name: the default, the routes' and the declared ones."""
    names = {settings.CELERY_TASK_DEFAULT_QUEUE}
    if getattr(settings, "NEARBOX_TRACKING_QUEUE", ""):
        names.add(settings.NEARBOX_TRACKING_QUEUE)
    routes = getattr(settings, "CELERY_TASK_ROUTES", None) or {}
    for table in routes if isinstance(routes, list | tuple) else [routes]:
        for target in table.values() if isinstance(table, dict) else []:
            queue = target.get("queue") if isinstance(target, dict) else target
            if isinstance(queue, str) and queue:
                names.add(queue)
    for queue in getattr(settings, "CELERY_TASK_QUEUES", None) or []:
        name = getattr(queue, "name", queue)
        if isinstance(name, str) and name:
            names.add(name)
    return sorted(names)


def _broker_redis() -> redis.Redis | None:
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    return store._redis(url)


def _queue_metrics() -> Iterator[Metric]:
    depth = GaugeMetricFamily(
        "nearbox_celery_queue_length", "Tasks waiting in a Celery queue.", labels=["queue"]
    )
    names = queue_names()
    client = _broker_redis()
    if client is not None:
        pipe = client.pipeline(transaction=False)
        for name in names:
            for suffix in _PRIORITY_SUFFIXES:
                pipe.llen(name + suffix)
        pipe.hlen("unacked")
        lengths = pipe.execute()
        for i, name in enumerate(names):
            depth.add_metric([name], sum(lengths[i * 4 : i * 4 + 4]))
        yield depth
        yield GaugeMetricFamily(
            "nearbox_celery_unacked_tasks",
            "Tasks taken by a worker and not yet acknowledged (running or reserved).",
            value=lengths[-1],
        )
        return
    from config.celery import app

    with app.connection_for_read() as conn:
        for name in names:
            try:
                size = conn.default_channel.queue_declare(queue=name, passive=True).message_count
            except Exception:  # never declared yet: nothing waits in it
                size = 0
            depth.add_metric([name], size)
    yield depth


def _tracking_metrics() -> Iterator[Metric]:
    from fulfillment.models import Shipment, ShipmentEvent

    now = timezone.now()
    # Both are one row from an index: the partial poll-due index and the primary key.
    oldest_due = (
        Shipment.objects.filter(next_poll_at__lte=now)
        .order_by("next_poll_at")
        .values_list("next_poll_at", flat=True)
        .first()
    )
    yield GaugeMetricFamily(
        "nearbox_tracking_oldest_due_poll_seconds",
        "How long the longest-waiting due tracking poll is overdue (0: none is due).",
        value=(now - oldest_due).total_seconds() if oldest_due else 0.0,
    )
    newest = ShipmentEvent.objects.order_by("-pk").values_list("created_at", flat=True).first()
    yield GaugeMetricFamily(
        "nearbox_tracking_newest_event_age_seconds",
        "Seconds since the newest tracking event was stored (NaN: none yet).",
        value=(now - newest).total_seconds() if newest else math.nan,
    )


def _webhook_metrics() -> Iterator[Metric]:
    from integrations.models import WebhookDelivery, WebhookEndpoint

    retrying = WebhookDelivery.objects.filter(
        state=WebhookDelivery.State.PENDING, attempts__gt=0
    ).count()  # open deliveries only: the partial index webhook_delivery_due
    yield GaugeMetricFamily(
        "nearbox_webhooks_outgoing_retrying",
        "Outgoing webhook deliveries whose last attempt failed, waiting for a retry.",
        value=retrying,
    )
    endpoints = GaugeMetricFamily(
        "nearbox_webhooks_outgoing_endpoints",
        "Merchants' webhook endpoints by health: failing (last attempts failed) or disabled.",
        labels=["state"],
    )
    endpoints.add_metric(
        ["failing"],
        WebhookEndpoint.objects.filter(is_active=True, consecutive_failures__gt=0).count(),
    )
    endpoints.add_metric(["disabled"], WebhookEndpoint.objects.filter(is_active=False).count())
    yield endpoints


def _histogram(
    name: str, doc: str, labels: list[str], values: dict[str, float]
) -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, doc, labels=labels)
    series: dict[tuple[str, ...], dict[str, float]] = {}
    for key, amount in values.items():
        *label_values, part = store.labels_of(key)
        series.setdefault(tuple(label_values), {})[part] = amount
    for label_values, parts in sorted(series.items()):
        buckets, running = [], 0.0
        edges = sorted(
            (float(p) for p in parts if p not in ("count", "sum", "+Inf")),
        )
        for edge in edges:
            running += parts[store.bucket_name(edge)]
            buckets.append((store.bucket_name(edge), running))
        buckets.append(("+Inf", parts.get("count", running + parts.get("+Inf", 0))))
        family.add_metric(list(label_values), buckets, parts.get("sum", 0.0))
    return family


def _counted_metrics() -> Iterator[Metric]:
    counted = store.read(
        [
            "task_wait",
            "task_runtime",
            "labels_rendered",
            "webhooks_rejected",
            "webhooks_outgoing_failed",
        ]
    )
    yield _histogram(
        "nearbox_celery_task_wait_seconds",
        "From a task's publication (or its ETA) to a worker starting it.",
        ["task", "queue"],
        counted["task_wait"],
    )
    yield _histogram(
        "nearbox_celery_task_runtime_seconds",
        "A task's run time in the worker, by final state.",
        ["task", "queue", "state"],
        counted["task_runtime"],
    )
    rendered = CounterMetricFamily(
        "nearbox_labels_rendered", "Shipping labels rendered (batch or single PDF).", labels=["how"]
    )
    for key, amount in sorted(counted["labels_rendered"].items()):
        rendered.add_metric(store.labels_of(key), amount)
    yield rendered
    rejected = CounterMetricFamily(
        "nearbox_webhooks_incoming_rejected",
        "Incoming courier and platform webhooks answered with an error.",
        labels=["source", "status"],
    )
    for key, amount in sorted(counted["webhooks_rejected"].items()):
        rejected.add_metric(store.labels_of(key), amount)
    yield rejected
    failed = CounterMetricFamily(
        "nearbox_webhooks_outgoing_failed",
        "Outgoing webhook attempts that failed: retried later, or the last one (given up).",
        labels=["outcome"],
    )
    for key, amount in sorted(counted["webhooks_outgoing_failed"].items()):
        failed.add_metric(store.labels_of(key), amount)
    yield failed


class NearboxCollector:
    """The nearbox_* families; a part that fails is reported, the others still answer."""

    parts = {
        "queues": _queue_metrics,
        "tracking": _tracking_metrics,
        "webhooks": _webhook_metrics,
        "counted": _counted_metrics,
    }

    def collect(self) -> Iterator[Metric]:
        ok = GaugeMetricFamily(
            "nearbox_metrics_part_up", "1 when this part of the scrape answered.", labels=["part"]
        )
        for part, read in self.parts.items():
            try:
                metrics = list(read())
            except Exception as exc:
                logger.warning("metrics part %s failed: %s", part, exc)
                ok.add_metric([part], 0)
                continue
            ok.add_metric([part], 1)
            yield from metrics
        yield ok


class _ThisProcess:
    def collect(self) -> Iterator[Metric]:
        return prometheus_client.REGISTRY.collect()


def render() -> bytes:
    registry = prometheus_client.CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # every process of this machine that writes there
    else:
        registry.register(_ThisProcess())
    registry.register(NearboxCollector())
    return prometheus_client.generate_latest(registry)


def _authorised(request: HttpRequest) -> bool | None:
    """True: let in; False: a token is set and this is not it (401); None: hide (404)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        return True
    token = getattr(settings, "NEARBOX_METRICS_TOKEN", "")
    if not token:
        return None
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode("utf-8", "surrogatepass"), token.encode()
    )


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    allowed = _authorised(request)
    if allowed is None:
        return HttpResponse("Not found", status=404, content_type="text/plain")
    if not allowed:
        response = HttpResponse("Unauthorized", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(render(), content_type=prometheus_client.CONTENT_TYPE_LATEST)
