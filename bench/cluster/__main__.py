"""python -m bench.cluster [--minutes 5] [--keep-db]: see bench/cluster/__init__.py."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

from bench.common import (
    book_parcels,
    database_urls,
    drop_database,
    recreate_database,
    setup_django,
)
from config.queues import queue_name

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results" / "cluster.json"
DB = "nearbox_bench_cluster"
REDIS = "redis://127.0.0.1:6379/9"  # no other bench or test uses it (they flush theirs)
QUEUE = "nearbox-bench-cluster"
SANDBOX_KEY = "bench-cluster-sandbox-key"
ORIGIN = "http://localhost:8000"  # an allowed origin of the publishable key make_shop issues
OWNER = ("owner@cluster.example.com", "cluster-bench-password-42")
HEARTBEAT_S = 5
LEASE_S = 20  # a killed tracking worker's claimed batch comes due again after this
VISIBILITY_S = 30  # Redis redelivers a killed worker's unacknowledged task after this
TRACKING_POOL, TRACKING_KILL_SET = 2000, 400
BATCH_ACCOUNTS, LABELS_PER_ACCOUNT, BIG_BATCH = 61, 12, 300  # 5 slices of 12, 1 warm-up
TMP = Path(tempfile.mkdtemp(prefix="nearbox-cluster-"))
ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings",  # production settings, production knobs
    "DEBUG": "0",
    "SECRET_KEY": "bench-cluster-only-" + "x" * 40,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "STATIC_MANIFEST": "0",
    "REDIS_URL": REDIS,
    "CELERY_QUEUE": QUEUE,
    "NEARBOX_VAR_DIR": str(TMP / "var"),
    "MEDIA_ROOT": str(TMP / "media"),  # one "shared disk" for every process here
    "NEARBOX_COURIERS_ALLOW_PRIVATE": "1",
    "NEARBOX_TRACKING_USE_FEEDS": "0",
    "NEARBOX_TRACKING_LEASE_SECONDS": str(LEASE_S),
    "CELERY_VISIBILITY_TIMEOUT_SECONDS": str(VISIBILITY_S),
    "BEAT_HEARTBEAT_SECONDS": str(HEARTBEAT_S),
    "BEAT_LOCK_TIMEOUT_SECONDS": "30",
    "NEARBOX_PUBLIC_RATE_LIMIT": "100000000",
    "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
    "EMAIL_FILE_PATH": str(TMP / "mail"),
    "NEARBOX_SMS_BACKEND": "fulfillment.tracking.sms.FileSmsBackend",
    "NEARBOX_SMS_FILE_PATH": str(TMP / "sms.jsonl"),
    "LOG_LEVEL": "WARNING",
    "NEARBOX_DB_METRICS": "0",
    "PYTHONPATH": str(ROOT),
}
WORKER_GROUPS = {
    # name: (queue groups, concurrency)
    "tracking": (("tracking", "webhooks"), 3),
    "labels": (("labels", "imports", "planning"), 1),
    "notifications": (("notifications", "default"), 2),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(condition, seconds: float, what: str, every: float = 0.2) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    print(f"  ! gave up waiting for {what} after {seconds:g} s", flush=True)
    return False


class Machine:
    """One process group, as if on its own machine: started, SIGKILLed, started again."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str] | None = None) -> None:
        self.name, self.cmd, self.env = name, cmd, {**os.environ, **ENV, **(env or {})}
        self.log = TMP / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Machine:
        self.proc = subprocess.Popen(
            self.cmd, cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL,
            stdout=open(self.log, "a"), stderr=subprocess.STDOUT,  # noqa: SIM115
            start_new_session=True,
        )  # fmt: skip
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def http_ok(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def web(name: str, port: int) -> Machine:
    return Machine(
        name,
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py")],
        {
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "1",
            "GUNICORN_THREADS": "4",
            "GUNICORN_ACCESS_LOG": "",
            "GUNICORN_LOG_LEVEL": "warning",
        },
    )


def worker(group: str) -> Machine:
    groups, concurrency = WORKER_GROUPS[group]
    queues = ",".join(queue_name(g, QUEUE) for g in groups)
    return Machine(
        f"worker-{group}",
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queues,
         f"--concurrency={concurrency}", "--pool=prefork", "--without-gossip",
         "--without-mingle", "--without-heartbeat", "--loglevel=INFO",
         f"--hostname={group}-{uuid.uuid4().hex[:6]}@%h"],
        {"LOG_LEVEL": "INFO"},  # "Task … received" lines: the beat check counts them
    )  # fmt: skip


def worker_ready(machine: Machine) -> bool:
    from config.celery import app

    name = machine.cmd[-1].split("=", 1)[1].replace("%h", os.uname().nodename)
    return bool(app.control.ping(destination=[name], timeout=1))


def nginx_config(port_two: int, port_one: int, web_ports: tuple[int, int]) -> Path:
    """deploy/nginx/nearbox.conf made local: its upstream's two servers are the two web
    processes; a second listener (port_one) sends everything to web 1 alone."""
    sample = (ROOT / "deploy" / "nginx" / "nearbox.conf").read_text()
    text = sample.replace("server 10.0.0.11:8000", f"server 127.0.0.1:{web_ports[0]}")
    text = text.replace("server 10.0.0.12:8000", f"server 127.0.0.1:{web_ports[1]}")
    text = text.replace("listen 80;", f"listen 127.0.0.1:{port_two};")
    text = text.replace("/var/log/nginx/", f"{TMP}/nginx-")
    text = text.replace("/srv/nearbox/staticfiles/", f"{ROOT}/static/")
    assert text.count(f"127.0.0.1:{web_ports[1]}") == 1, "the sample's upstream lines moved"
    server = text[text.index("\nserver {") :]
    one = server.replace(f"listen 127.0.0.1:{port_two};", f"listen 127.0.0.1:{port_one};")
    one = one.replace("http://nearbox_web;", "http://nearbox_web_one;")
    one_upstream = (
        f"\nupstream nearbox_web_one {{\n    server 127.0.0.1:{web_ports[0]};\n"
        "    keepalive 32;\n}\n"
    )
    (TMP / "nearbox.conf").write_text(text + one_upstream + one)
    main = TMP / "nginx.conf"
    main.write_text(
        f"worker_processes 1;\npid {TMP}/nginx.pid;\nerror_log {TMP}/nginx-error.log warn;\n"
        "events { worker_connections 2048; }\n"
        f"http {{\n  include /etc/nginx/mime.types;\n  access_log off;\n"
        f"  include {TMP}/nearbox.conf;\n}}\n"
    )
    return main


class CpuMeter:
    """The machine's busy share between two reads of /proc/stat (all cores)."""

    def __init__(self) -> None:
        self.busy, self.total = self.read()

    @staticmethod
    def read() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = fields[3] + fields[4]
        return sum(fields) - idle, sum(fields)

    def share(self) -> float:
        busy, total = self.read()
        return round((busy - self.busy) / max(1, total - self.total), 3)


def cpu_by_part(groups: dict[int, str]) -> Counter:
    """CPU seconds so far of every live process, by part: the process groups started here
    (pgid -> name), PostgreSQL and Redis by name, and the rest of the machine ("other": other
    users of these 2 cores)."""
    tick, found = os.sysconf("SC_CLK_TCK"), Counter()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm = text[text.index("(") + 1 : text.rindex(")")]
        fields = text.rsplit(")", 1)[1].split()
        part = groups.get(int(fields[2])) or (
            "postgresql" if comm.startswith("postgres") else
            "redis" if comm.startswith("redis") else "other"
        )  # fmt: skip
        # utime + stime, and the children it reaped (cutime + cstime): a gunicorn or Celery
        # worker that was replaced still counts, under its master.
        found[part] += sum(int(x) for x in fields[11:15]) / tick
    return found


# --- data --------------------------------------------------------------------------------


def seed(sandbox_url: str, zips: list[str]) -> dict:
    import httpx
    from django.utils import timezone

    from bench.orders_intake import make_shop
    from fulfillment.couriers.adapters.manual import new_tracking_number
    from fulfillment.couriers.services.accounts import create_account, create_service
    from fulfillment.models import Allocation, Order, OrderLine, Shipment
    from merchant.models import StoragePoint

    new, products = make_shop(5, zips)
    merchant = new.merchant
    new.owner.email = OWNER[0]
    new.owner.set_password(OWNER[1])
    new.owner.save()
    points = list(StoragePoint.objects.filter(merchant=merchant))
    sandbox = create_account(
        merchant=merchant, courier="sandbox", name="Sandbox",
        credentials=f"api_key={SANDBOX_KEY}\nwebhook_secret=bench",
        base_url=sandbox_url, requests_per_second=500,
    )  # fmt: skip
    sandbox_service = create_service(
        account=sandbox, level="next_day", code="next-day", name="Next day",
        transit_hours=24, pickup_cutoff=dt.time(23, 59), base_minor=500,
    )  # fmt: skip
    now = timezone.now()

    def orders(count: int, tag: str) -> list[Order]:
        made = Order.objects.bulk_create(
            Order(
                merchant=merchant, reference=f"{tag}-{n:05d}", shopper_name="Ana Kowalska",
                shopper_email=f"{tag}{n}@example.com", line1=f"{n + 1} N Clark St",
                city="Chicago", state="IL", postal_code=zips[n % len(zips)], country="US",
                status=Order.Status.PACKED, created_at=now,
            )
            for n in range(count)
        )  # fmt: skip
        lines = OrderLine.objects.bulk_create(
            OrderLine(merchant=merchant, order=o, product=products[n % len(products)], quantity=1)
            for n, o in enumerate(made)
        )
        Allocation.objects.bulk_create(
            Allocation(
                merchant=merchant, order=line.order, line=line, point=points[n % len(points)],
                quantity=1, distance_m=1000, rank=1, why="bench",
            )
            for n, line in enumerate(lines)
        )  # fmt: skip
        return made

    # Tracking: parcels booked at the sandbox (journeys end within seconds at its speed).
    admin = httpx.Client(base_url=sandbox_url, headers={"DHL-API-Key": SANDBOX_KEY}, timeout=30)
    numbers = book_parcels(admin, TRACKING_POOL + TRACKING_KILL_SET)
    admin.close()
    tracked = orders(len(numbers), "T")
    Shipment.objects.bulk_create(
        Shipment(
            merchant=merchant, order=o, account=sandbox, service=sandbox_service,
            tracking_number=n, idempotency_key=f"bench-{n}", price_minor=500, currency="USD",
            status="info_received", booked_at=now, next_poll_at=None, last_polled_at=now,
        )
        for o, n in zip(tracked, numbers, strict=True)
    )  # fmt: skip
    pool_ids = list(
        Shipment.objects.filter(tracking_number__in=numbers[:TRACKING_POOL]).values_list(
            "pk", flat=True
        )
    )
    kill_ids = list(
        Shipment.objects.filter(tracking_number__in=numbers[TRACKING_POOL:]).values_list(
            "pk", flat=True
        )
    )
    tokens = list(
        Shipment.objects.filter(pk__in=pool_ids[:500]).values_list("public_token", flat=True)
    )

    # Labels: one courier account per batch the merchants will ask for, and one big batch.
    def labelled(name: str, count: int) -> int:
        account = create_account(merchant=merchant, courier="manual", name=name)
        service = create_service(
            account=account, level="next_day", code="bike", name="Bike", transit_hours=24,
            base_minor=500, pickup_cutoff=dt.time(17),
        )  # fmt: skip
        Shipment.objects.bulk_create(
            Shipment(
                merchant=merchant, order=o, account=account, service=service,
                tracking_number=new_tracking_number(), status="info_received",
                idempotency_key=f"bench-{name}-{o.pk}", price_minor=500, currency="USD",
                booked_at=now,
            )
            for o in orders(count, name.replace(" ", ""))
        )  # fmt: skip
        return account.pk

    batch_accounts = [labelled(f"Bikes {n}", LABELS_PER_ACCOUNT) for n in range(BATCH_ACCOUNTS)]
    big_account = labelled("Big batch", BIG_BATCH)
    return {
        "merchant_id": merchant.pk,
        "secret_key": new.secret_key.raw,
        "publishable_key": new.publishable_key.raw,
        "skus": [p.sku for p in products],
        "pool_ids": pool_ids,
        "kill_ids": kill_ids,
        "tokens": tokens,
        "batch_accounts": batch_accounts,
        "big_account": big_account,
    }


class TrackingDriver(threading.Thread):
    """Makes a slice of the tracking pool due every few seconds and plans the polls (what beat's
    planner does each minute, faster), so the tracking worker polls the sandbox all along."""

    def __init__(self, pool_ids: list[int], per_round: int = 150, every: float = 3.0) -> None:
        super().__init__(daemon=True)
        self.pool_ids, self.per_round, self.every = pool_ids, per_round, every
        self.stop = threading.Event()

    def run(self) -> None:
        from django.db import connection
        from django.utils import timezone

        from fulfillment.models import Shipment
        from fulfillment.tracking.polling import plan_polls

        offset = 0
        while not self.stop.is_set():
            chunk = self.pool_ids[offset : offset + self.per_round]
            offset = (offset + self.per_round) % len(self.pool_ids)
            Shipment.objects.filter(pk__in=chunk).update(
                status="in_transit", next_poll_at=timezone.now()
            )
            plan_polls(lease=dt.timedelta(seconds=LEASE_S))
            self.stop.wait(self.every)
        connection.close()


def polled_between(ids: list[int], start: dt.datetime, end: dt.datetime) -> int:
    from fulfillment.models import Shipment

    return Shipment.objects.filter(
        pk__in=ids, last_polled_at__gte=start, last_polled_at__lt=end
    ).count()


def labels_ready() -> int:
    from fulfillment.models import LabelBatch

    return sum(
        len(ids)
        for ids in LabelBatch.objects.exclude(pdf="")
        .exclude(pdf__isnull=True)
        .values_list("shipment_ids", flat=True)
    )


def run_load(name: str, host: str, seconds: float, cfg: dict, accounts: list[int]) -> dict:
    config = TMP / f"load-{name}.json"
    out = TMP / f"load-{name}-result.json"
    config.write_text(
        json.dumps(
            {
                **cfg,
                "host": host,
                "seconds": seconds,
                "batch_accounts": accounts,
                "key_prefix": f"cluster-{name}",
            }
        )
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.cluster.load", str(config), str(out)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True,
        stdout=open(TMP / f"locust-{name}.log", "w"), stderr=subprocess.STDOUT,  # noqa: SIM115
    )  # fmt: skip
    return {"proc": proc, "out": out, "log": TMP / f"locust-{name}.log"}


def finish_load(handle: dict, timeout: float) -> dict:
    code = handle["proc"].wait(timeout=timeout)
    if not handle["out"].exists():
        # The load process died (locust missing: `pip install -e '.[bench]'`, or a crash): say so.
        log = handle["log"].read_text()[-3000:]
        raise SystemExit(f"the load process exited with {code} and no result; its log:\n{log}")
    return json.loads(handle["out"].read_text())


# --- the run -----------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description="Nearbox as several machines on this one.")
    parser.add_argument("--minutes", type=float, default=5.0, help="load time of the 3 phases")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    if not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists():
        sys.exit("nginx is missing: make services (scripts/test-services.sh) installs it")
    seconds = args.minutes * 60
    phase_s = {"two": 0.3 * seconds, "one": 0.3 * seconds, "faults": 0.4 * seconds}
    os.environ.update(ENV)
    for folder in ("var", "media", "mail"):
        (TMP / folder).mkdir(parents=True, exist_ok=True)
    bench_url, admin_url = database_urls(DB)
    os.environ["DATABASE_URL"] = bench_url
    ENV["DATABASE_URL"] = bench_url
    recreate_database(admin_url, DB)
    import redis as redis_lib

    redis_lib.Redis.from_url(REDIS).flushdb()
    report: dict = {
        "benchmark": "cluster",
        "minutes": args.minutes,
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    machines: list[Machine] = []
    started_at = time.monotonic()
    try:
        setup_django(bench_url)
        from bench.orders_intake import chicago_zips

        zips = chicago_zips()[:40]
        sandbox_port = free_port()
        sandbox = Machine(
            "sandbox",
            [sys.executable, "-m", "devtools.courier_sandbox", "--port", str(sandbox_port),
             "--api-key", SANDBOX_KEY, "--speed", "200000", "--seed", "7"],
        ).start()  # fmt: skip
        machines.append(sandbox)
        sandbox_url = f"http://127.0.0.1:{sandbox_port}"
        wait(lambda: "listening" in sandbox.log.read_text(), 30, "the courier sandbox")
        print("seeding …", flush=True)
        data = seed(sandbox_url, zips)
        from django.db import connection

        from bench.common import vacuum_analyze

        vacuum_analyze()
        connection.close()

        web_ports = (free_port(), free_port())
        webs = [web("web1", web_ports[0]).start(), web("web2", web_ports[1]).start()]
        workers = {group: worker(group).start() for group in WORKER_GROUPS}
        beats = [
            Machine(f"beat{n}", [sys.executable, "-m", "celery", "-A", "config", "beat",
                                 "--loglevel=INFO", "-s", str(TMP / f"beat{n}-schedule")])
            for n in (1, 2)
        ]  # fmt: skip
        port_two, port_one = free_port(), free_port()
        nginx = Machine(
            "nginx",
            [shutil.which("nginx") or "/usr/sbin/nginx", "-p", str(TMP), "-c",
             str(nginx_config(port_two, port_one, web_ports)), "-g", "daemon off;"],
        )  # fmt: skip
        machines += [*webs, *workers.values(), nginx.start()]
        for beat in beats:
            machines.append(beat.start())
        beats_started = time.time()
        for n, w in enumerate(webs):
            wait(lambda w=w, n=n: http_ok(f"http://127.0.0.1:{web_ports[n]}/healthz/live"), 90,
                 w.name)  # fmt: skip
        for w in workers.values():
            wait(lambda w=w: worker_ready(w), 90, w.name, every=0.5)
        wait(lambda: http_ok(f"http://127.0.0.1:{port_two}/healthz/live"), 30, "nginx")
        print(f"cluster up in {time.monotonic() - started_at:.0f} s; load …", flush=True)

        driver = TrackingDriver(data["pool_ids"])
        driver.start()
        cfg = {
            "zips": zips,
            "skus": data["skus"],
            "secret_key": data["secret_key"],
            "publishable_key": data["publishable_key"],
            "origin": ORIGIN,
            "tracking_tokens": data["tokens"],
            "owner_email": OWNER[0],
            "owner_password": OWNER[1],
        }
        accounts = data["batch_accounts"]
        phases: dict[str, dict] = {}
        from django.utils import timezone

        def measure(name: str, port: int, seconds: float, acc: list[int]) -> dict:
            cpu, t0, labels0 = CpuMeter(), timezone.now(), labels_ready()
            handle = run_load(name, f"http://127.0.0.1:{port}", seconds, cfg, acc)
            groups = {m.proc.pid: m.name for m in machines if m.proc}
            groups[handle["proc"].pid] = "locust"
            parts0, m0, machine0 = cpu_by_part(groups), time.monotonic(), CpuMeter()
            time.sleep(seconds)  # locust still runs: it started up first
            parts1, window = cpu_by_part(groups), time.monotonic() - m0
            machine_cores = machine0.share() * (os.cpu_count() or 1)
            result = finish_load(handle, seconds + 120)
            t1 = timezone.now()
            result["core_seconds"] = {
                part: max(0.0, parts1[part] - parts0.get(part, 0.0))
                for part in parts1
                if part != "other"
            }
            result["core_seconds"]["other (rest of the machine)"] = max(
                0.0, machine_cores * window - sum(result["core_seconds"].values())
            )
            result["window_s"] = window
            result["polled"] = polled_between(data["pool_ids"], t0, t1)
            result["labels"] = labels_ready() - labels0
            result["wall_s"] = (t1 - t0).total_seconds()
            result["machine_cpu_busy"] = cpu.share()
            return result

        # Warm-up (imports, templates, connections in each web process), not counted; then
        # two / one / one / two web processes (ABBA: drift of the shared machine cancels).
        phases["warmup"] = measure("warmup", port_two, min(20.0, phase_s["two"] / 2), accounts[60:])
        slices = [accounts[n * 12 : n * 12 + 12] for n in range(5)]
        rounds = []
        for n, (name, port) in enumerate(
            (("two", port_two), ("one", port_one), ("one", port_one), ("two", port_two))
        ):
            rounds.append((name, measure(f"{name}-{n}", port, phase_s[name] / 2, slices[n])))
            print(f"round {n} ({name} web): " + json.dumps(summary(rounds[-1][1])), flush=True)
        for name in ("two", "one"):
            phases[name] = merge([r for label, r in rounds if label == name])
            print(f"phase {name}: " + json.dumps(summary(phases[name])), flush=True)

        # --- faults ---------------------------------------------------------------------
        faults: dict = {}
        cpu, t0 = CpuMeter(), time.monotonic()
        handle = run_load(
            "faults", f"http://127.0.0.1:{port_two}", phase_s["faults"], cfg, slices[4]
        )
        from fulfillment.labels.services.batches import BatchFilter, start_label_batch
        from fulfillment.models import LabelBatch, Shipment
        from merchant.models import Job, Merchant

        merchant = Merchant.objects.get(pk=data["merchant_id"])
        time.sleep(phase_s["faults"] * 0.15)
        # 1. SIGKILL web 2 (its whole group: master and worker), start it again 5 s later.
        webs[1].kill()
        faults["web2_sigkilled_at_s"] = round(time.monotonic() - t0, 1)
        time.sleep(5)
        webs[1].start()
        wait(lambda: http_ok(f"http://127.0.0.1:{web_ports[1]}/healthz/live"), 90, "web2 again")
        faults["web2_back_after_s"] = round(
            time.monotonic() - t0 - faults["web2_sigkilled_at_s"], 1
        )

        # 2. SIGKILL the labels worker while the big batch renders (asked for now, so that
        #    it is mid-job when the kill comes).
        big = start_label_batch(
            merchant=merchant, selection=BatchFilter(account_id=data["big_account"])
        )
        job = Job.objects.get(pk=LabelBatch.objects.get(pk=big.pk).job_id)
        wait(
            lambda: Job.objects.filter(pk=job.pk, state="running", done__gt=0).exists(),
            120, "the big batch to start rendering", every=0.1,
        )  # fmt: skip
        killed = Job.objects.get(pk=job.pk)
        workers["labels"].kill()
        faults["label_batch_killed_at"] = f"{killed.done}/{killed.total} labels, {killed.state}"
        time.sleep(3)
        workers["labels"].start()

        # 3. SIGKILL the tracking worker while a fresh set of shipments is being polled.
        kill_set = Shipment.objects.filter(pk__in=data["kill_ids"])
        kill_set.update(next_poll_at=timezone.now(), last_polled_at=None)
        from fulfillment.tracking.polling import plan_polls

        plan_polls(lease=dt.timedelta(seconds=LEASE_S))
        wait(lambda: kill_set.filter(last_polled_at__isnull=False).exists(), 60,
             "the first polls of the kill set", every=0.05)  # fmt: skip
        workers["tracking"].kill()
        faults["tracking_killed_with_polled"] = (
            f"{kill_set.filter(last_polled_at__isnull=False).count()}/{len(data['kill_ids'])}"
        )
        time.sleep(3)
        workers["tracking"].start()
        faults_result = finish_load(handle, phase_s["faults"] + 180)
        faults_result["machine_cpu_busy"] = cpu.share()
        faults_result["load_average"] = [round(x, 2) for x in os.getloadavg()]
        phases["faults"] = faults_result
        print("phase faults: " + json.dumps(summary(faults_result)), flush=True)

        # --- after the load: let the killed work finish, then check ----------------------
        from fulfillment.tracking.status import FINAL_STATUSES

        t_after = time.monotonic()
        wait(
            lambda: not kill_set.filter(last_polled_at__isnull=True).exists()
            and not kill_set.exclude(status__in=FINAL_STATUSES).exists(),
            240, "the killed tracking set", every=1.0,
        )  # fmt: skip
        faults["tracking_set_done_after_load_s"] = round(time.monotonic() - t_after, 1)
        wait(lambda: LabelBatch.objects.get(pk=big.pk).is_ready, 300, "the big batch", every=1.0)
        faults["label_batch_done_after_load_s"] = round(time.monotonic() - t_after, 1)
        driver.stop.set()
        driver.join(timeout=30)
        beat_seconds = time.time() - beats_started

        report["phases"] = {name: summary(result) for name, result in phases.items()}
        report["two_vs_one_web"] = {
            kind: ratio(phases["two"], phases["one"], kind)
            for kind in ("delivery_options", "tracking_page", "orders", "label_batches")
        } | {
            "tracking_polls": ratio(phases["two"], phases["one"], "tracking_polls_per_second"),
            "labels_rendered": ratio(phases["two"], phases["one"], "labels_per_second"),
        }
        report["faults"] = (
            faults
            | check_orders(phases)
            | {
                "failed_shopper_requests_after_nginx_retries": sum(
                    phases["faults"][k]["failures"] for k in ("delivery_options", "tracking_page")
                ),
                "failed_label_batch_requests": phases["faults"]["label_batches"]["failures"],
                "locust_errors_in_fault_phase": phases["faults"]["locust_errors"],
            }
        )
        report["faults"] |= check_tracking(sandbox_url, data["kill_ids"])
        report["faults"] |= check_batch(big.pk)
        report["two_beats"] = check_beats(workers, beats, beat_seconds)
        report["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        report["bounds"] = (
            "2 cores run everything here: PostgreSQL, Redis, nginx, both web processes, three "
            "worker groups, two beats, the sandbox and locust itself. A second web process "
            "adds throughput only while a core is idle; machine_cpu_busy per phase shows how "
            "close to 100 % the one-web phase already ran."
        )
    finally:
        for machine in reversed(machines):
            machine.kill(signal.SIGTERM if machine.name.startswith("worker") else signal.SIGKILL)
        from django.db import connections

        connections.close_all()
        if not args.keep_db:
            drop_database(admin_url, DB)
        redis_lib.Redis.from_url(REDIS).flushdb()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "phases"}, indent=2))
    print(f"logs: {TMP}")
    return 0


KINDS = ("delivery_options", "tracking_page", "orders", "label_batches")


def merge(results: list[dict]) -> dict:
    """Rounds of one setting added up: requests and failures, per second over their time."""
    seconds = sum(r["seconds"] for r in results)
    window = sum(r["window_s"] for r in results)
    wall = sum(r["wall_s"] for r in results)
    parts: Counter = Counter()
    for r in results:
        parts.update(r["core_seconds"])
    merged: dict = {"seconds": round(seconds, 1), "rounds": len(results)}
    for kind in KINDS:
        requests = sum(r[kind]["requests"] for r in results)
        merged[kind] = {
            "requests": requests,
            "failures": sum(r[kind]["failures"] for r in results),
            "per_second": round(requests / seconds, 2),
        }
    merged["order_keys"] = {k: v for r in results for k, v in r["order_keys"].items()}
    merged["order_retries"] = sum(r["order_retries"] for r in results)
    merged["locust_errors"] = {}
    merged["tracking_polls_per_second"] = round(sum(r["polled"] for r in results) / wall, 2)
    merged["labels_per_second"] = round(sum(r["labels"] for r in results) / wall, 2)
    merged["machine_cpu_busy"] = round(
        sum(r["machine_cpu_busy"] for r in results) / len(results), 3
    )
    merged["cores_used_by"] = {
        part: round(value / window, 2)
        for part, value in parts.most_common()
        if value / window >= 0.01
    }
    return merged


def summary(result: dict) -> dict:
    hidden = ("order_keys", "locust_errors", "core_seconds", "window_s", "wall_s")
    return {k: v for k, v in result.items() if k not in hidden}


def ratio(two: dict, one: dict, kind: str) -> dict:
    a = two[kind]["per_second"] if isinstance(two[kind], dict) else two[kind]
    b = one[kind]["per_second"] if isinstance(one[kind], dict) else one[kind]
    return {"two_web_per_s": a, "one_web_per_s": b, "ratio": round(a / b, 2) if b else None}


def check_orders(phases: dict) -> dict:
    from django.db.models import Count

    from fulfillment.models import Order

    keys: dict[str, str] = {}
    for result in phases.values():
        keys |= result["order_keys"]
    stored = Counter(
        dict(
            Order.objects.filter(idempotency_key__startswith="cluster-")
            .values("idempotency_key")
            .annotate(n=Count("id"))
            .values_list("idempotency_key", "n")
        )
    )
    accepted = [k for k, v in keys.items() if v == "ok"]
    fault_keys = phases["faults"]["order_keys"]
    return {
        "orders_accepted": len(accepted),
        "orders_failed_for_client_after_retries": sum(v == "failed" for v in keys.values()),
        "orders_failed_in_fault_phase": sum(v == "failed" for v in fault_keys.values()),
        "orders_cut_by_end_of_phase": sum(v == "pending" for v in keys.values()),
        "orders_retried_by_client_in_fault_phase": phases["faults"]["order_retries"],
        "orders_lost": sum(1 for k in accepted if stored[k] == 0),
        "orders_duplicated": sum(1 for n in stored.values() if n > 1),
        "orders_stored_without_a_client_key": sum(1 for k in stored if k not in keys),
    }


def check_tracking(sandbox_url: str, ids: list[int]) -> dict:
    from django.db.models import Count

    from fulfillment.couriers.adapters import get_adapter
    from fulfillment.couriers.adapters.http import CourierHttp
    from fulfillment.models import Shipment, ShipmentEvent

    numbers = dict(Shipment.objects.filter(pk__in=ids).values_list("tracking_number", "status"))
    with CourierHttp(account_id="bench-cluster-truth") as http:
        adapter = get_adapter(
            "sandbox", credentials={"api_key": SANDBOX_KEY}, base_url=sandbox_url, http=http
        )
        truth: dict[str, tuple[str, int]] = {}
        listed = list(numbers)
        for i in range(0, len(listed), 50):
            for n, r in adapter.track(listed[i : i + 50]).items():
                truth[n] = (r.status.value, len(r.unique_events))
    stored = Counter(
        ShipmentEvent.objects.filter(shipment_id__in=ids).values_list(
            "shipment__tracking_number", flat=True
        )
    )
    twice = (
        ShipmentEvent.objects.filter(shipment_id__in=ids)
        .values("shipment_id", "event_id")
        .order_by()
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    mismatched = [n for n in numbers if (numbers[n], stored[n]) != truth.get(n)]
    return {
        "tracking_kill_set_shipments": len(ids),
        "tracking_events_in_sandbox_truth": sum(v[1] for v in truth.values()),
        "tracking_events_stored": sum(stored.values()),
        "tracking_events_lost": sum(max(0, truth[n][1] - stored[n]) for n in truth),
        "tracking_events_stored_twice": twice,
        "tracking_shipments_not_matching_truth": len(mismatched),
    }


def check_batch(batch_id: int) -> dict:
    from pypdf import PdfReader

    from fulfillment.models import LabelBatch, Shipment
    from merchant.models import Job

    batch = LabelBatch.objects.get(pk=batch_id)
    if not batch.is_ready:
        return {"label_batch_finished": False}
    job = Job.objects.get(pk=batch.job_id)
    numbers = list(
        Shipment.objects.filter(pk__in=batch.shipment_ids).values_list("tracking_number", flat=True)
    )
    zpl = batch.zpl.open("rb").read().decode("utf-8", "replace")
    with batch.pdf.open("rb") as pdf:
        pages = len(PdfReader(pdf).pages)
    per_number = Counter(zpl.count(n) for n in numbers)
    return {
        "label_batch_finished": True,
        "label_batch_job_attempts": job.attempts,
        "label_batch_shipments": len(numbers),
        "label_batch_zpl_labels": zpl.count("^XA"),
        "label_batch_pdf_pages": pages,
        # Each number appears the same number of times (once per label): one value here.
        "label_batch_occurrences_per_number": dict(per_number),
        "label_batch_each_label_once": zpl.count("^XA") == pages == len(numbers)
        and len(per_number) == 1,
    }


RECEIVED = re.compile(
    r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),\d+: INFO/MainProcess\] "
    r"Task ([\w.]+)\[([\w-]+)\] received"
)


def check_beats(workers: dict[str, Machine], beats: list[Machine], seconds: float) -> dict:
    """Every periodic task the two beats sent (their log lines), as the workers received them
    (theirs): one beat holds the redbeat lock and sends, the other sends nothing."""
    from django.conf import settings

    # Fixed periods only: a crontab entry (the nightly training) never comes due in a run.
    schedule = {
        entry["task"]: entry["schedule"].total_seconds()
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if isinstance(entry["schedule"], dt.timedelta)
    }
    seen: dict[str, list[float]] = defaultdict(list)
    ids: Counter = Counter()
    for machine in workers.values():
        for line in machine.log.read_text(errors="replace").splitlines():
            match = RECEIVED.match(line)
            if match and match.group(2) in schedule:
                at = dt.datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S").timestamp()
                seen[match.group(2)].append(at)
                ids[match.group(3)] += 1
    report = {}
    for task, period in schedule.items():
        times = sorted(seen.get(task, []))
        if period > seconds:
            continue
        gaps = [b - a for a, b in itertools.pairwise(times)]
        report[task] = {
            "period_s": period,
            "sent": len(times),
            "periods_elapsed": round(seconds / period, 1),
            "min_gap_s": round(min(gaps), 1) if gaps else None,
            # Two sends in one period would show as a gap far below the period (the log's
            # timestamps are to the second, and a busy worker receives late: half a period).
            "once_per_period": bool(times)
            and all(g >= period / 2 - 1 for g in gaps)
            and len(times) <= seconds / period + 2,
        }
    report["same_message_received_twice"] = sum(1 for n in ids.values() if n > 1)
    report["sends_by_beat"] = {
        beat.name: beat.log.read_text(errors="replace").count("Scheduler: Sending due task")
        for beat in beats
    }
    report["received_by_workers"] = sum(ids.values())
    return report


if __name__ == "__main__":
    raise SystemExit(main())
