"""The production run (docs/production.md, "Running in production"): gunicorn started with
deploy/gunicorn.conf.py serves the app on the test database, the nginx sample passes `nginx -t`,
the systemd units and the Procfile consume every queue, and the environment table lists every
variable config/settings.py reads."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django.db import connection

from config.queues import all_queue_names
from tests.support.helpers import ROOT, wait_for

DEPLOY = ROOT / "deploy"
sys.path.insert(0, str(DEPLOY))
from envtable import settings_variables  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn_workers(master: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            found.add(int(stat.parent.name))
    return found


@pytest.mark.django_db(transaction=True)
def test_gunicorn_with_the_production_config_serves_healthz_and_restarts_gracefully(tmp_path):
    db = connection.settings_dict
    port = free_port()
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings",  # the production settings, not the tests'
        DEBUG="0",
        SECRET_KEY="production-config-test-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        STATIC_MANIFEST="0",
        DATABASE_URL=f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        REDIS_URL="redis://127.0.0.1:6379/15",
        CELERY_QUEUE=f"nearbox-prodcfg-{os.getpid()}",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="2",
        GUNICORN_ACCESS_LOG=str(tmp_path / "access.log"),
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prometheus"),
        PYTHONPATH=str(ROOT),
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py")],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "err.log", "w"),  # noqa: SIM115
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"

    def live() -> bool:
        try:
            return httpx.get(f"{base}/healthz/live", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    def server_log() -> str:
        return (tmp_path / "err.log").read_text()[-4000:]

    try:
        wait_for(live, timeout=60, what=f"gunicorn ({tmp_path / 'err.log'})")
        answer = httpx.get(f"{base}/healthz", headers={"X-Request-ID": "probe-1"}, timeout=10)
        report = answer.json()
        # No beat runs here, so the whole report may be 503; the database must answer.
        assert answer.status_code in (200, 503)
        assert report["database"]["ok"] is True and report["broker"]["ok"] is True, report
        assert answer.headers["X-Request-ID"] == "probe-1"
        wait_for(lambda: len(gunicorn_workers(server.pid)) == 2, what="two workers")
        before = gunicorn_workers(server.pid)

        # SIGHUP: new workers (new code) replace the old ones; the socket stays open meanwhile.
        server.send_signal(signal.SIGHUP)
        wait_for(
            lambda: len(now := gunicorn_workers(server.pid)) == 2 and not (now & before),
            what="workers replaced after SIGHUP",
        )
        wait_for(live, timeout=60, what="an answer from the new workers")
        assert "rid=probe-1" in (tmp_path / "access.log").read_text()
        # gunicorn < 24 reaped workers inside the SIGCHLD handler: a second worker's exit landing
        # while it logged or ran the child_exit hook killed the master after a reload (exit 255).
        assert server.poll() is None, "the master died"
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=45)
        print(server_log())  # pytest shows it when the test fails
        assert code == 0


def sample_for_nginx_t(tmp_path: Path) -> Path:
    """The sample inside a minimal nginx.conf; its log files moved under tmp_path."""
    sample = (DEPLOY / "nginx" / "nearbox.conf").read_text()
    sample = sample.replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "nearbox.conf").write_text(sample)
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log {tmp_path}/access.log;\n  include {tmp_path}/nearbox.conf;\n}}\n"
    )
    return main


def test_the_nginx_sample_passes_nginx_t(tmp_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx is missing: run scripts/test-services.sh"
    done = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(sample_for_nginx_t(tmp_path))],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr


def test_the_nginx_sample_has_two_upstreams_and_retries_only_safe_requests():
    text = (DEPLOY / "nginx" / "nearbox.conf").read_text()
    upstream = re.search(r"upstream nearbox_web \{(.*?)\}", text, re.S)
    assert upstream and len(re.findall(r"^\s*server ", upstream.group(1), re.M)) == 2
    # non_idempotent (POST retried) only in the read-only Shopify rates location.
    retried = [m.start() for m in re.finditer(r"non_idempotent", text)]
    assert len(retried) == 1
    assert text.rfind("location", 0, retried[0]) == text.find("location ~ ^/shopify/carrier/")


def commands_of_workers() -> dict[str, str]:
    found = {}
    for unit in (DEPLOY / "systemd").glob("nearbox-worker-*.service"):
        found[f"systemd {unit.name}"] = unit.read_text()
    for line in (ROOT / "Procfile").read_text().splitlines():
        if " worker " in line and not line.startswith("#"):
            found[f"Procfile {line.split(':')[0]}"] = line
    return found


def consumed(commands: list[str]) -> set[str]:
    queues: set[str] = set()
    for text in commands:
        for match in re.finditer(r"-Q (\S+)", text):
            queues.update(match.group(1).split(","))
    return queues


def test_systemd_units_and_procfile_consume_every_queue_and_start_web_and_beat():
    workers = commands_of_workers()
    units = [text for name, text in workers.items() if name.startswith("systemd")]
    procfile = [text for name, text in workers.items() if name.startswith("Procfile")]
    every = set(all_queue_names("nearbox"))
    assert consumed(units) == every, every ^ consumed(units)
    assert consumed(procfile) == every, every ^ consumed(procfile)
    web = (DEPLOY / "systemd" / "nearbox-web@.service").read_text()
    assert "gunicorn -c deploy/gunicorn.conf.py" in web and "ExecReload=/bin/kill -HUP" in web
    assert "celery -A config beat" in (DEPLOY / "systemd" / "nearbox-beat.service").read_text()
    procfile_text = (ROOT / "Procfile").read_text()
    assert "web: gunicorn -c deploy/gunicorn.conf.py" in procfile_text
    entry = (DEPLOY / "docker-entrypoint.sh").read_text()
    assert "gunicorn -c deploy/gunicorn.conf.py" in entry and "celery -A config beat" in entry


def test_the_environment_table_lists_every_variable_settings_reads():
    docs = (ROOT / "docs" / "production.md").read_text()
    section = docs.split("## Running in production", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", section, re.M))
    read = set(settings_variables())
    assert len(read) > 60  # the reader finds them (os.environ.get, env_bool, env_list, [...])
    assert read - listed == set(), "add these to docs/production.md (python deploy/envtable.py)"
    assert listed - read == set(), "listed but no longer read by config/settings.py"


def test_the_reader_finds_every_form_of_read():
    source = (
        'import os\nA = os.environ.get("A", "1")\nif env_bool("B", False):\n    pass\n'
        'C = env_list("C")\nD = os.environ["D"]\nE = os.environ.get(\n    "E",\n    "x",\n)\n'
        'F = {"x": "y"}.get("NOT_ENV")\n'
    )
    assert set(settings_variables(source)) == {"A", "B", "C", "D", "E"}
