"""gunicorn settings for Nearbox's web processes: `gunicorn -c deploy/gunicorn.conf.py`.

Every knob is an environment variable with a default that suits one web machine of 2 cores
behind nginx or a load balancer (docs/production.md, "Running in production"):

| variable | default | what |
|---|---|---|
| GUNICORN_BIND | 0.0.0.0:$PORT (PORT 8000) | address(es) to listen on, comma-separated |
| WEB_CONCURRENCY | CPU cores | worker processes (each imports Django once, ~150 MB) |
| GUNICORN_THREADS | 4 | threads per worker: requests wait on PostgreSQL, Redis, couriers |
| GUNICORN_TIMEOUT | 30 | s a request may run before its worker is killed and replaced |
| GUNICORN_GRACEFUL_TIMEOUT | 30 | s given to running requests on SIGTERM/SIGHUP before the kill |
| GUNICORN_KEEPALIVE | 75 | s an idle keep-alive connection is held: above nginx's 60 |
| GUNICORN_MAX_REQUESTS | 0 | replace a worker after this many requests (0: never; below) |
| GUNICORN_MAX_REQUESTS_JITTER | 200 | random extra so workers are not replaced together |
| FORWARDED_ALLOW_IPS | 127.0.0.1 | proxies whose X-Forwarded-* headers are believed |
| GUNICORN_ACCESS_LOG | - | access log file, "-" for stdout, empty for none |

max_requests is off by default: gunicorn's threaded worker resets the keep-alive connections
it still holds when it retires itself (gunicorn issue #3038, open), and python -m bench.cluster
saw exactly that: nginx "Connection reset by peer" on every recycle, a 502 for any request
nginx cannot send to another process (a POST, or a GET with one web process). Turn it on only
against a leak, with two web processes behind nginx and clients that retry POSTs with their
Idempotency-Key.

Graceful restart: SIGHUP reloads the configuration and replaces the workers one by one
(running requests finish); SIGTERM stops after running requests, up to the graceful timeout.
Deploying new code: `systemctl reload nearbox-web@8000` (SIGHUP; the app is not preloaded, so
new workers import the new code).
"""

from __future__ import annotations

import os

# Prometheus multiprocess mode (PROMETHEUS_MULTIPROC_DIR): clear the folder at start, drop a
# dead worker's gauges. Both do nothing when the variable is unset.
from config.observability.gunicorn import child_exit, on_starting  # noqa: F401


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = [
    part.strip()
    for part in os.environ.get("GUNICORN_BIND", f"0.0.0.0:{_int('PORT', 8000)}").split(",")
    if part.strip()
]
wsgi_app = "config.wsgi:application"
workers = _int("WEB_CONCURRENCY", os.cpu_count() or 1)
threads = _int("GUNICORN_THREADS", 4)
worker_class = "gthread" if threads > 1 else "sync"
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 75)
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
# X-Forwarded-Proto/-For from these addresses only (the proxy); Django's SECURE_PROXY_SSL_HEADER
# (USE_X_FORWARDED_PROTO) and TRUSTED_PROXY_COUNT decide what the app itself believes.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Workers heartbeat through a file: tmpfs so that a slow disk never gets a worker killed.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# nginx limits sizes first; these stop a client talking to gunicorn directly.
limit_request_line = 8190
limit_request_fields = 100
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}o)s'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "nearbox-web"
