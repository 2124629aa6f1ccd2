"""/metrics: who may read it, django-prometheus's families, and Nearbox's own read from the
real broker (Redis), the database, and the counts workers and web processes keep in Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta

import httpx
import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from merchant.services import jobs
from tests.factories.couriers import make_shipment
from tests.support import jobs as test_jobs  # noqa: F401 (registers tests.count)
from tests.support.helpers import ROOT, wait_for

TOKEN = "scrape-" + "x" * 32


def samples(text: str) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def scrape() -> dict:
    response = Client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.content
    return samples(response.content.decode())


@pytest.fixture
def token(settings):
    settings.NEARBOX_METRICS_TOKEN = TOKEN


# --- who may read it ----------------------------------------------------------------------


@pytest.mark.django_db
def test_without_a_token_configured_metrics_are_hidden_from_everyone_but_staff(
    settings, client_a, django_user_model
):
    settings.NEARBOX_METRICS_TOKEN = ""
    assert Client().get("/metrics").status_code == 404
    assert Client().get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404
    assert client_a.get("/metrics").status_code == 404  # a merchant is not an operator
    staff = django_user_model.objects.create_user(
        email="ops@example.com", password="x-very-long-password", is_staff=True
    )
    client = Client()
    client.force_login(staff)
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer wrong",
        f"Basic {TOKEN}",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        "Bearer \x00" + TOKEN,
        "Bearer é" + TOKEN,
        "Bearer " + "A" * 10_000,
    ],
)
def test_a_missing_or_wrong_token_is_401(token, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    response = Client().get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"nearbox_" not in response.content


@pytest.mark.django_db
def test_the_right_token_reads_django_and_nearbox_families(token):
    Client().get("/healthz/live")
    found = scrape()
    names = {name for name, _ in found}
    assert any(n.startswith("django_http_requests_total_by_method") for n in names)
    assert any(n.startswith("django_db_execute_total") for n in names)  # the database wrapper
    for part in ("queues", "tracking", "webhooks", "counted"):
        assert value(found, "nearbox_metrics_part_up", part=part) == 1.0


@pytest.mark.django_db
def test_metrics_answer_only_get(token):
    headers = {"Authorization": f"Bearer {TOKEN}"}
    assert Client().post("/metrics", headers=headers).status_code == 405


# --- read at scrape time ------------------------------------------------------------------


@pytest.mark.django_db
def test_queue_length_is_read_from_the_broker(token, broker_redis):
    # The autouse fixture gave this test a tracking queue of its own that no worker consumes.
    queue = settings.NEARBOX_TRACKING_QUEUE
    broker_redis.rpush(queue, b"{}", b"{}", b"{}")
    broker_redis.rpush(queue + "\x06\x166", b"{}")  # kombu's list for priority 6
    assert value(scrape(), "nearbox_celery_queue_length", queue=queue) == 4.0
    assert (
        value(scrape(), "nearbox_celery_queue_length", queue=settings.CELERY_TASK_DEFAULT_QUEUE)
        >= 0
    )
    broker_redis.delete(queue + "\x06\x166")


@pytest.mark.django_db
def test_tracking_lag_is_the_oldest_due_poll_and_the_newest_event_age(token, merchant_a):
    from fulfillment.models import ShipmentEvent

    now = timezone.now()
    shipment = make_shipment(merchant_a.merchant, next_poll_at=now - timedelta(minutes=10))
    make_shipment(merchant_a.merchant, next_poll_at=now + timedelta(minutes=5))  # not due
    ShipmentEvent.objects.create(
        merchant=merchant_a.merchant,
        shipment=shipment,
        event_id="e1",
        status="in_transit",
        occurred_at=now,
        source="courier",
        created_at=now - timedelta(minutes=3),
    )
    found = scrape()
    assert 600 <= value(found, "nearbox_tracking_oldest_due_poll_seconds") < 900
    assert 180 <= value(found, "nearbox_tracking_newest_event_age_seconds") < 480


@pytest.mark.django_db
def test_outgoing_webhook_failures_are_counted_from_the_deliveries(token, merchant_a):
    from integrations.models import WebhookDelivery
    from tests.factories.integrations import make_delivery, make_endpoint

    endpoint = make_endpoint(merchant_a.merchant)
    delivery = make_delivery(merchant_a.merchant, endpoint=endpoint)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=WebhookDelivery.State.PENDING, attempts=2, last_status_code=500
    )
    endpoint.consecutive_failures = 2
    endpoint.save(update_fields=["consecutive_failures"])
    found = scrape()
    assert value(found, "nearbox_webhooks_outgoing_retrying") == 1.0
    assert value(found, "nearbox_webhooks_outgoing_endpoints", state="failing") == 1.0
    assert value(found, "nearbox_webhooks_outgoing_endpoints", state="disabled") == 0.0


@pytest.mark.django_db
def test_a_part_that_fails_is_reported_and_the_rest_still_answers(token, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    found = scrape()
    assert value(found, "nearbox_metrics_part_up", part="queues") == 0.0
    assert value(found, "nearbox_metrics_part_up", part="tracking") == 1.0


# --- counted as it happens ----------------------------------------------------------------


@pytest.mark.django_db
def test_rejected_incoming_webhooks_are_counted_by_source_and_status(token):
    name = "nearbox_webhooks_incoming_rejected_total"
    before = value(scrape(), name, source="courier", status="404")
    for _ in range(2):
        Client().post("/webhooks/couriers/no-such-token", b"{}", content_type="application/json")
    assert value(scrape(), name, source="courier", status="404") == before + 2


@pytest.mark.django_db
def test_a_rendered_label_is_counted(token, merchant_a):
    from fulfillment.labels.services.labels import label_for

    name = "nearbox_labels_rendered_total"
    before = value(scrape(), name, how="single")
    label_for(make_shipment(merchant_a.merchant), size="4x6", fmt="pdf", source="nearbox")
    assert value(scrape(), name, how="single") == before + 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_task_wait_and_run_time_come_from_the_worker(token, celery_worker, merchant_a):
    task = "merchant.tasks.run_job_task"

    def total(found: dict, name: str, **wanted: str) -> float:
        return sum(
            v
            for (n, labels), v in found.items()
            if n == name
            and dict(labels).get("task") == task
            and all(dict(labels).get(k) == w for k, w in wanted.items())
        )

    # The session's worker may have run jobs for earlier tests: count from here on.
    before = scrape()
    job = jobs.start_job(merchant=merchant_a.merchant, kind="tests.count", params={"steps": 2})

    def counted() -> dict | None:
        found = scrape()
        runs = total(found, "nearbox_celery_task_runtime_seconds_count", state="SUCCESS")
        done = runs - total(before, "nearbox_celery_task_runtime_seconds_count", state="SUCCESS")
        return found if done >= 1 else None

    found = wait_for(counted, what="the job's run time in /metrics")
    job.refresh_from_db()
    assert job.state == "succeeded"
    runtime = total(found, "nearbox_celery_task_runtime_seconds_sum") - total(
        before, "nearbox_celery_task_runtime_seconds_sum"
    )
    assert runtime >= 0.2 * 2  # tests.count sleeps 0.2 s a step
    waits = total(found, "nearbox_celery_task_wait_seconds_count") - total(
        before, "nearbox_celery_task_wait_seconds_count"
    )
    assert waits >= 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_failed_outgoing_webhook_attempt_is_counted_by_the_worker(
    token, celery_worker, merchant_a
):
    from integrations.models import WebhookDelivery
    from integrations.webhooks.tasks import deliver_webhook
    from tests.factories.integrations import make_delivery, make_endpoint

    name = "nearbox_webhooks_outgoing_failed_total"
    before = value(scrape(), name, outcome="retry")
    endpoint = make_endpoint(merchant_a.merchant, url="http://127.0.0.1:9/hooks")  # refused
    delivery = make_delivery(merchant_a.merchant, endpoint=endpoint)
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=WebhookDelivery.State.PENDING,
        attempts=0,
        next_attempt_at=now,
        give_up_at=now + timedelta(hours=1),
    )
    deliver_webhook.delay(delivery.pk)
    wait_for(
        lambda: value(scrape(), name, outcome="retry") == before + 1,
        what="the failed attempt in /metrics",
    )
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.state == WebhookDelivery.State.PENDING
    assert delivery.last_error
    assert value(scrape(), name, outcome="given_up") == 0.0


# --- several gunicorn processes ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_several_gunicorn_processes_report_together_in_multiprocess_mode(tmp_path, token):
    """Two gunicorn workers share PROMETHEUS_MULTIPROC_DIR: whichever answers /metrics counts
    the requests both served."""
    db = settings.DATABASES["default"]
    port = 18000 + os.getpid() % 1000
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path),
        NEARBOX_METRICS_TOKEN=TOKEN,
        PYTHONPATH=str(ROOT),
    )
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "config.wsgi", "--workers=2",
            f"--bind=127.0.0.1:{port}", "--config=python:config.observability.gunicorn",
        ],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            try:
                return httpx.get(f"{base}/healthz/live").status_code == 200
            except httpx.TransportError:
                return False

        wait_for(up, what="gunicorn")
        for _ in range(40):
            with httpx.Client() as fresh:  # a new connection each: either worker may answer
                assert fresh.get(f"{base}/healthz/live").status_code == 200
        text = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    name = "django_http_responses_total_by_status_view_method_total"
    labels = {"method": "GET", "status": "200", "view": "healthz_live"}
    per_worker = [
        served(MultiProcessCollector.merge([str(path)], accumulate=True), name, labels)
        for path in tmp_path.glob("counter_*.db")
    ]
    assert len([n for n in per_worker if n]) >= 2, f"one worker served all: {per_worker}"
    # The probe that found it up, then 40; /metrics sums what every worker served.
    assert value(samples(text), name, **labels) == sum(per_worker) >= 41


def served(metrics, name: str, labels: dict) -> float:
    return sum(s.value for m in metrics for s in m.samples if s.name == name and s.labels == labels)
