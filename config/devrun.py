"""`make run`: prepare the embedded default and start web, worker, beat (one Ctrl-C stops all).

Redis is the broker when REDIS_URL is set or a local Redis answers; otherwise Celery uses an
embedded broker (kombu's SQLAlchemy transport on a SQLite file under var/), so a newcomer
needs no server at all.

Ports and places come from the environment, so a second copy (the end-to-end test in
tests/test_default_setup.py) runs beside the first: PORT (8000), SANDBOX_PORT (8765),
SHOP_PORT (8766), SANDBOX_SPEED (60 simulated seconds per second), SANDBOX_ONDEMAND_SPEED (2:
the on-demand courier's ride of a few minutes, watchable), SANDBOX_OPTIONS (more options of
`python -m devtools.courier_sandbox`), SIMULATE_DRIVERS_OPTIONS (more options of
`manage.py simulate_drivers`), NEARBOX_VAR_DIR (var/).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from honcho.manager import Manager

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
LOCAL_REDIS = ("127.0.0.1", 6379)


def local_redis_answers(host: str, port: int, timeout: float = 0.3) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def choose_broker(env: dict[str, str]) -> str:
    if env.get("REDIS_URL"):
        return f"Redis at {env['REDIS_URL']} (REDIS_URL)"
    if env.get("NEARBOX_EMBEDDED_BROKER") != "1" and local_redis_answers(*LOCAL_REDIS):
        env["REDIS_URL"] = "redis://127.0.0.1:6379/0"
        return "Redis at redis://127.0.0.1:6379/0 (a local Redis answered)"
    var_dir = env.get("NEARBOX_VAR_DIR", "var")
    return f"embedded broker (SQLite file {var_dir}/celery-broker.sqlite3; no Redis answered)"


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return done.stdout


def wait_then_announce(host: str, port: int, banner: str) -> None:
    for _ in range(600):
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            print(banner, flush=True)
            return
        except OSError:
            time.sleep(0.5)


def load_live_delivery(env: dict[str, str], host: str, port: int, sandbox_port: int) -> None:
    """The on-demand demo (a courier on its way, demo/seeders/ondemand.py) books at the
    sandbox: loaded once the sandbox and the web app its webhooks go to answer."""
    for where in (("127.0.0.1", sandbox_port), (host, port)):
        for _ in range(600):
            try:
                socket.create_connection(where, timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.5)
    try:
        line = manage(env, "seed_demo", "--only", "ondemand").strip()
    except subprocess.CalledProcessError:
        line = "On-demand demo not loaded (the error is above)."
    print(f"  {line}", flush=True)


def main() -> int:
    env = dict(os.environ)
    env.setdefault("DEBUG", "1")
    env.setdefault("PYTHONUNBUFFERED", "1")
    # The demo runs offline: the widget draws its map without tiles (and says so) instead of
    # asking a tile server that cannot answer. Set it to a tile URL to have tiles.
    env.setdefault("NEARBOX_WIDGET_TILE_URL", "")
    host, port = env.get("HOST", "127.0.0.1"), int(env.get("PORT", "8000"))
    var_dir = Path(env.get("NEARBOX_VAR_DIR", BASE_DIR / "var"))
    var_dir.mkdir(parents=True, exist_ok=True)
    # Links in emails and SMS sent by the worker point at this instance, whatever its port.
    env.setdefault("NEARBOX_BASE_URL", f"http://{host}:{port}")
    # demo/seeders/merchant.py reads the same SHOP_PORT: the demo key allows that origin.
    shop_port = env.setdefault("SHOP_PORT", "8766")
    sandbox_port = env.setdefault("SANDBOX_PORT", "8765")
    # The courier sandbox quotes in EUR, as a real courier may: the demo converts its quotes at a
    # stated demo rate (merchant/money.py) rather than refusing each one for want of a rate.
    env.setdefault(
        "NEARBOX_FX_RATES",
        json.dumps({"EUR:USD": {"rate": "1.08", "source": "demo rate, not a market rate"}}),
    )
    broker = choose_broker(env)

    print("Nearbox: migrating the database…", flush=True)
    manage(env, "migrate", "--no-input", "-v", "0")
    print("Nearbox: loading the demo data (idempotent)…", flush=True)
    demo = json.loads(manage(env, "seed_demo", "--json").strip().splitlines()[-1])
    store = demo.get("woocommerce") or {}

    url = f"http://{host}:{port}/"
    banner = (
        "\n" + "=" * 64 + f"\n  Nearbox is running at {url}\n"
        f"  Sign in as {demo['email']} / {demo['password']}\n"
        f"  Broker: {broker}\n"
        f"  Courier sandbox: http://127.0.0.1:{sandbox_port}/\n"
        f"  Demo shop checkout with the pickup widget: http://127.0.0.1:{shop_port}/\n"
        "  (a connected WooCommerce store: its orders reach Nearbox as signed webhooks)\n"
        "  Stop everything with Ctrl-C.\n" + "=" * 64 + "\n"
    )
    manager = Manager()
    celery = f"{PYTHON} -m celery -A config"
    # RUNSERVER_OPTIONS: e.g. --noreload, for a run that must not restart when files change.
    manager.add_process(
        "web",
        f"{PYTHON} manage.py runserver {host}:{port} {env.get('RUNSERVER_OPTIONS', '')}",
        env=env,
    )
    # One worker for everything: without -Q it consumes every queue by work (config/queues.py);
    # production runs one per group of queues (docs/production.md).
    manager.add_process(
        "worker",
        f"{celery} worker -l info --concurrency 2 --without-gossip --without-mingle",
        env=env,
    )
    # With Redis, beat schedules under a Redis lock (celery-redbeat); embedded: the file scheduler.
    manager.add_process("beat", f"{celery} beat -l info", env=env)
    manager.add_process(
        "sandbox",
        f"{PYTHON} -m devtools.courier_sandbox --host 127.0.0.1 --port {sandbox_port} "
        f"--speed {env.get('SANDBOX_SPEED', '60')} --state-file {var_dir / 'courier-sandbox.json'} "
        f"--ondemand-speed {env.get('SANDBOX_ONDEMAND_SPEED', '2')} "
        f"{env.get('SANDBOX_OPTIONS', '')}",
        env=env,
    )
    # Another origin than the dashboard, allowed by the demo publishable key.
    manager.add_process(
        "shop",
        f"{PYTHON} -m devtools.demo_shop --port {shop_port} --nearbox-url http://{host}:{port} "
        f"--key {demo['publishable_key']}",
        # The shop is a connected WooCommerce store: it sends its orders as signed webhooks to
        # this address and Nearbox writes tracking back to its API (demo/seeders/woocommerce.py).
        # The secrets go by environment, not in `ps`.
        env={
            **env,
            "NEARBOX_DEMO_WC_WEBHOOK_URL": store.get("webhook_url", ""),
            "NEARBOX_DEMO_WC_WEBHOOK_SECRET": store.get("webhook_secret", ""),
            "NEARBOX_DEMO_WC_CONSUMER_KEY": store.get("consumer_key", ""),
            "NEARBOX_DEMO_WC_CONSUMER_SECRET": store.get("consumer_secret", ""),
        },
    )
    # Today's own-fleet routes driven without a phone (demo/seeders/fleet.py; #16): positions,
    # ETAs, deliveries and a few failures to watch on Fleet -> Dispatch.
    manager.add_process(
        "drivers",
        f"{PYTHON} manage.py simulate_drivers {env.get('SIMULATE_DRIVERS_OPTIONS', '')}",
        env=env,
    )
    threading.Thread(target=wait_then_announce, args=(host, port, banner), daemon=True).start()
    threading.Thread(
        target=load_live_delivery, args=(env, host, port, int(sandbox_port)), daemon=True
    ).start()
    manager.loop()
    return manager.returncode or 0


if __name__ == "__main__":
    sys.exit(main())
