"""The load of `python -m bench.cluster`: locust in library mode, headless, in its own process
(gevent patches the process it runs in; the orchestrator stays a plain Python process).

    python -m bench.cluster.load CONFIG.json RESULT.json

Three kinds of user, all at once, against one base URL (nginx):
- Shopper: GET /api/v1/delivery-options (publishable key) and the public tracking page /t/<token>/.
- Shop platform: POST /api/v1/orders with a fresh Idempotency-Key per order; a 5xx or a broken
  connection is retried with the SAME key (up to 4 tries), as a platform's client does.
- Merchant: signs in to the dashboard and asks for a label batch (Labels → batch form) of one
  courier's shipments, the next courier each time.
Writes per-kind counts (requests, failures, per second) and every order key with its outcome.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import itertools  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections import Counter  # noqa: E402

import gevent  # noqa: E402
from locust import FastHttpUser, between, constant, task  # noqa: E402
from locust.env import Environment  # noqa: E402

CFG: dict = json.loads(open(sys.argv[1]).read()) if __name__ == "__main__" else {}  # noqa: SIM115
COUNTS: Counter = Counter()
ORDERS: dict[str, str] = {}  # idempotency key -> "ok" | "failed" | "pending" (cut by the end)
ORDER_TRIES = 4
_accounts = itertools.cycle(CFG.get("batch_accounts") or [0])


def count(kind: str, ok: bool) -> None:
    COUNTS[f"{kind}.requests"] += 1
    if not ok:
        COUNTS[f"{kind}.failures"] += 1


class Shopper(FastHttpUser):
    weight = CFG.get("shoppers", 12)
    wait_time = constant(0)

    @task(3)
    def delivery_options(self) -> None:
        params = {
            "postal_code": random.choice(CFG["zips"]),
            "weight_g": random.choice([400, 900, 2500]),
            "length_mm": 300,
            "width_mm": 200,
            "height_mm": random.choice([50, 150, 300]),
        }
        with self.client.get(
            "/api/v1/delivery-options",
            params=params,
            headers={"X-Nearbox-Key": CFG["publishable_key"], "Origin": CFG["origin"]},
            name="delivery-options",
            catch_response=True,
        ) as answer:
            ok = answer.status_code == 200
            count("delivery_options", ok)
            answer.success() if ok else answer.failure(f"HTTP {answer.status_code}")

    @task(2)
    def tracking_page(self) -> None:
        token = random.choice(CFG["tracking_tokens"])
        with self.client.get(f"/t/{token}/", name="tracking-page", catch_response=True) as answer:
            ok = answer.status_code == 200
            count("tracking_page", ok)
            answer.success() if ok else answer.failure(f"HTTP {answer.status_code}")


class Platform(FastHttpUser):
    weight = CFG.get("platforms", 4)
    wait_time = constant(0)

    @task
    def order(self) -> None:
        key = f"{CFG['key_prefix']}-{uuid.uuid4().hex}"
        n = random.randrange(10**9)
        body = {
            "reference": key[-20:],
            "shopper": {"name": f"Shopper {n}", "email": f"s{n}@example.com"},
            "destination": {
                "line1": f"{1 + n % 9000} N Clark St",
                "city": "Chicago",
                "state": "IL",
                "postal_code": random.choice(CFG["zips"]),
            },
            "delivery": {"service_level": "next_day"},
            "lines": [{"sku": random.choice(CFG["skus"]), "quantity": 1}],
        }
        ORDERS[key] = "pending"
        for attempt in range(ORDER_TRIES):
            with self.client.post(
                "/api/v1/orders",
                json=body,
                headers={
                    "Authorization": f"Bearer {CFG['secret_key']}",
                    "Idempotency-Key": key,
                },
                name="orders" if attempt == 0 else "orders (retry)",
                catch_response=True,
            ) as answer:
                status = answer.status_code
                if status in (200, 201):
                    answer.success()
                    ORDERS[key] = "ok"
                    break
                answer.failure(f"HTTP {status}")
                if status and status < 500:
                    ORDERS[key] = "failed"
                    break  # a 4xx is an answer: retrying would not change it
            COUNTS["orders.retries"] += 1
            gevent.sleep(0.2 * (attempt + 1))
        else:
            ORDERS[key] = "failed"
        count("orders", ORDERS[key] == "ok")


class Merchant(FastHttpUser):
    weight = CFG.get("merchants", 1)
    wait_time = between(0.5, 1.5)
    fixed_count = CFG.get("merchants", 1)

    def on_start(self) -> None:
        for _ in range(5):  # a person signs in again when the page fails
            page = self.client.get("/accounts/login/", name="login page")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text or "")
            answer = self.client.post(
                "/accounts/login/",
                data={
                    "username": CFG["owner_email"],
                    "password": CFG["owner_password"],
                    "csrfmiddlewaretoken": token.group(1) if token else "",
                },
                headers={"Referer": f"{self.host}/accounts/login/"},
                allow_redirects=False,
                name="login",
            )
            if answer.status_code == 302:
                return
            COUNTS["login.retries"] += 1
            gevent.sleep(0.5)

    @task
    def label_batch(self) -> None:
        page = self.client.get("/app/labels/", name="labels page")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text or "")
        with self.client.post(
            "/app/labels/",
            data={
                "csrfmiddlewaretoken": token.group(1) if token else "",
                "day": "",
                "status": "",
                "courier": str(next(_accounts)),
                "point": "",
                "size": "4x6",
            },
            headers={"Referer": f"{self.host}/app/labels/"},
            allow_redirects=False,
            name="label-batch",
            catch_response=True,
        ) as answer:
            where = answer.headers.get("Location", "")
            ok = answer.status_code == 302 and re.search(r"/app/labels/\d+/$", where) is not None
            count("label_batches", ok)
            answer.success() if ok else answer.failure(f"HTTP {answer.status_code}")


def main() -> int:
    users = CFG.get("shoppers", 12) + CFG.get("platforms", 4) + CFG.get("merchants", 1)
    env = Environment(user_classes=[Shopper, Platform, Merchant], host=CFG["host"])
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=users)
    started = time.monotonic()
    gevent.sleep(CFG["seconds"])
    elapsed = time.monotonic() - started
    runner.quit()
    kinds = ("delivery_options", "tracking_page", "orders", "label_batches")
    result = {
        "seconds": round(elapsed, 2),
        "users": users,
        **{
            kind: {
                "requests": COUNTS[f"{kind}.requests"],
                "failures": COUNTS[f"{kind}.failures"],
                "per_second": round(COUNTS[f"{kind}.requests"] / elapsed, 2),
            }
            for kind in kinds
        },
        "order_retries": COUNTS["orders.retries"],
        "login_retries": COUNTS["login.retries"],
        "order_keys": ORDERS,
        "locust_errors": {
            f"{e.method} {e.name}: {e.error}"[:200]: e.occurrences
            for e in list(env.stats.errors.values())[:20]
        },
    }
    with open(sys.argv[2], "w") as out:
        json.dump(result, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
