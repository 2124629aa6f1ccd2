"""A request id on every request: kept from the load balancer when it is a short token, made
otherwise; on the response, in the request's log lines (text or JSON) and in the log lines of
the tasks the request enqueued, run by a real worker."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
import uuid

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from config.observability.logging import JsonFormatter, RequestIdFilter, TextFormatter
from config.observability.requestid import RequestIdMiddleware
from merchant.services import jobs
from tests.support import jobs as test_jobs  # noqa: F401 (registers the test job kinds)
from tests.support.helpers import ROOT, WORKER_LOG, wait_for

pytestmark = pytest.mark.django_db
FRESH = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def json_lines():
    """Root's records as the JSON formatter writes them, through the request id filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


@pytest.mark.parametrize(
    "given", ["3f2a9c1e8b7d4a6f9e0c1b2a3d4e5f60", "lb-1:req.42", "Root-1_abc", "a" * 64]
)
def test_a_short_token_from_the_load_balancer_is_kept(given):
    response = Client().get("/healthz/live", headers={"X-Request-ID": given})
    assert response["X-Request-ID"] == given


@pytest.mark.parametrize(
    "hostile",
    [
        "",
        " ",
        "a b",
        "abc\r\nSet-Cookie: x=1",
        "abc\x00def",
        "-starts-with-a-dash",
        "a" * 65,
        "é" * 8,
        "\ud800",
        "<script>alert(1)</script>",
        '"},{"level":"CRITICAL',
        "a;b,c",
    ],
)
def test_anything_else_is_replaced_by_a_fresh_id(hostile, json_lines):
    response = Client().get("/no-such-page/", headers={"X-Request-ID": hostile})
    assert response.status_code == 404
    assert FRESH.fullmatch(response["X-Request-ID"])
    lines = [line for line in json_lines() if line["message"].startswith("Not Found")]
    assert [line["request_id"] for line in lines] == [response["X-Request-ID"]]


def test_without_one_each_request_gets_its_own():
    first = Client().get("/healthz/live")["X-Request-ID"]
    second = Client().get("/healthz/live")["X-Request-ID"]
    assert FRESH.fullmatch(first) and FRESH.fullmatch(second) and first != second


def test_every_log_line_of_the_request_carries_its_id_and_none_outside(json_lines):
    logger = logging.getLogger("nearbox.test")

    def view(request: HttpRequest) -> HttpResponse:
        logger.info("one")
        logger.warning("two")
        return HttpResponse("ok")

    request = RequestFactory().get("/", headers={"X-Request-ID": "req-7"})
    response = RequestIdMiddleware(view)(request)
    logger.warning("after")
    assert response["X-Request-ID"] == "req-7"
    lines = {line["message"]: line for line in json_lines() if line["logger"] == "nearbox.test"}
    assert lines["one"]["request_id"] == lines["two"]["request_id"] == "req-7"
    assert lines["two"]["level"] == "WARNING" and "time" in lines["two"]
    assert lines["after"]["request_id"] is None


def test_text_lines_end_with_the_request_id_only_inside_a_request():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    record.request_id = "req-9"
    assert TextFormatter().format(record) == "hello you [request_id=req-9]"
    record.request_id = None
    assert TextFormatter().format(record) == "hello you"


@pytest.mark.parametrize(("log_format", "json_out"), [("json", True), ("", False)])
def test_the_log_format_is_chosen_by_setting(log_format, json_out):
    code = (
        "import django, logging; django.setup();"
        "logging.getLogger('nearbox.check').warning('hello %s', 'there')"
    )
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="tests.settings", NEARBOX_LOG_FORMAT=log_format)
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    line = run.stderr.strip().splitlines()[-1]
    if json_out:
        parsed = json.loads(line)
        assert parsed["message"] == "hello there" and parsed["level"] == "WARNING"
        assert parsed["logger"] == "nearbox.check" and parsed["time"]
    else:
        assert line == "hello there"  # `make run` reads as before


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_tasks_a_request_enqueues_log_with_its_id_in_the_worker_retries_too(
    celery_worker, merchant_a
):
    request_id = f"req-{uuid.uuid4().hex[:12]}"
    started = {}

    def view(request: HttpRequest) -> HttpResponse:
        # Fails once (a transient error), so the task is retried: the retry carries it too.
        started["job"] = jobs.start_job(merchant=merchant_a.merchant, kind="tests.flaky")
        return HttpResponse("started")

    RequestIdMiddleware(view)(RequestFactory().post("/", headers={"X-Request-ID": request_id}))
    log = WORKER_LOG

    def tagged_lines() -> list[str]:
        lines = [line for line in log.read_text().splitlines() if request_id in line]
        return lines if any("succeeded" in line for line in lines) else []

    lines = wait_for(tagged_lines, timeout=60, what="the job's task lines with the request id")
    assert any("retry" in line.lower() for line in lines), lines
    assert all(line.endswith(f"[request_id={request_id}]") for line in lines), lines
    job = started["job"]
    job.refresh_from_db()
    assert (job.state, job.attempts) == ("succeeded", 2), (job.message, job.error, lines)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_in_json_mode_writes_the_request_id_and_the_task_on_its_lines(
    namespace, spawn, merchant_a
):
    from tests.ops.conftest import process_env

    env = process_env(
        namespace, NEARBOX_LOG_FORMAT="json", CELERY_EXTRA_IMPORTS="tests.support.jobs"
    )
    args = ["worker", "--concurrency=1", "--without-gossip", "--without-mingle"]
    _, log = spawn("json-worker", [*args, f"--hostname=json-{namespace}@%h"], env)
    request_id = f"req-{uuid.uuid4().hex[:12]}"

    def view(request: HttpRequest) -> HttpResponse:
        jobs.start_job(merchant=merchant_a.merchant, kind="tests.count", params={"steps": 1})
        return HttpResponse("started")

    RequestIdMiddleware(view)(RequestFactory().post("/", headers={"X-Request-ID": request_id}))

    def tagged() -> list[dict]:
        lines = [json.loads(line) for line in log.read_text().splitlines() if request_id in line]
        return lines if any("succeeded" in line["message"] for line in lines) else []

    lines = wait_for(tagged, timeout=60, what="the worker's JSON lines with the request id")
    for line in lines:
        assert line["request_id"] == request_id
        assert line["task_name"] == "merchant.tasks.run_job_task" and line["task_id"]
        assert line["level"] and line["logger"] and line["time"]
