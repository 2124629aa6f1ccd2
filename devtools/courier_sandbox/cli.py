"""Command line of the courier sandbox (run as `python -m devtools.courier_sandbox`)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from devtools.courier_sandbox.faults import Fault, FaultConfig, Faults
from devtools.courier_sandbox.ondemand import OnDemandStore, WebhookTarget
from devtools.courier_sandbox.ondemand_webhooks import OnDemandPusher
from devtools.courier_sandbox.server import make_server
from devtools.courier_sandbox.store import SandboxStore
from devtools.courier_sandbox.timeline import Shares

DEFAULT_API_KEY = "sandbox-key"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m devtools.courier_sandbox",
        description="A courier that speaks DHL Shipment Tracking – Unified, for demo and tests.",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765, help="0 picks a free port (printed)")
    p.add_argument("--state-file", type=Path, help="JSON file that keeps shipments over restarts")
    p.add_argument("--speed", type=float, default=60.0, help="simulated seconds per real second")
    p.add_argument("--seed", type=int, default=1, help="same seed → same journeys and numbers")
    p.add_argument("--api-key", default=os.environ.get("SANDBOX_API_KEY", DEFAULT_API_KEY))
    p.add_argument("--webhook-url", default="")
    p.add_argument("--webhook-secret", default=os.environ.get("SANDBOX_WEBHOOK_SECRET", ""))
    p.add_argument("--failed-share", type=float, default=0.10)
    p.add_argument("--exception-share", type=float, default=0.05)
    p.add_argument("--return-share", type=float, default=0.03)
    p.add_argument("--latency-ms", type=int, default=0)
    for name in ("429", "5xx", "timeout", "truncated", "malformed"):
        p.add_argument(f"--rate-{name}", type=float, default=0.0, help="share of API requests")
    p.add_argument("--retry-after", type=int, default=1, help="seconds sent with injected 429s")
    p.add_argument(
        "--timeout-sleep", type=float, default=5.0, help="seconds an injected timeout hangs"
    )
    p.add_argument("--duplicate-events", action="store_true")
    p.add_argument("--out-of-order-events", action="store_true")
    # The on-demand courier (Stuart's API): client secret = --api-key, any client id.
    p.add_argument(
        "--ondemand-speed", type=float, help="its own clock (a bike ride is minutes): --speed"
    )
    p.add_argument("--ondemand-position-every", type=float, default=5.0, help="simulated s")
    p.add_argument("--ondemand-webhook-url", default="", help="for clients that set none")
    p.add_argument("--ondemand-webhook-header", default="Authorization")
    p.add_argument("--ondemand-webhook-value", default=os.environ.get("SANDBOX_ONDEMAND_AUTH", ""))
    args = p.parse_args(argv)
    if args.webhook_url and not args.webhook_secret:
        p.error("--webhook-url needs --webhook-secret (or SANDBOX_WEBHOOK_SECRET)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    faults = Faults(
        FaultConfig(
            latency_ms=args.latency_ms,
            http_429=Fault(rate=args.rate_429, retry_after_s=args.retry_after),
            http_5xx=Fault(rate=args.rate_5xx),
            timeout=Fault(rate=args.rate_timeout, sleep_s=args.timeout_sleep),
            truncated=Fault(rate=args.rate_truncated),
            malformed=Fault(rate=args.rate_malformed),
            duplicate_events=args.duplicate_events,
            out_of_order_events=args.out_of_order_events,
        ),
        seed=args.seed,
    )
    store = SandboxStore(
        seed=args.seed,
        speed=args.speed,
        shares=Shares(args.failed_share, args.exception_share, args.return_share),
        state_file=args.state_file,
    )
    ondemand = OnDemandStore(
        seed=args.seed,
        speed=args.ondemand_speed or args.speed,
        client_secret=args.api_key,
        position_every_s=args.ondemand_position_every,
        default_webhook=WebhookTarget(
            args.ondemand_webhook_url, args.ondemand_webhook_header, args.ondemand_webhook_value
        )
        if args.ondemand_webhook_url
        else None,
        state_file=args.state_file.with_suffix(".ondemand.json") if args.state_file else None,
    )
    ondemand_pusher = OnDemandPusher(ondemand)
    ondemand_pusher.start()
    server, pusher = make_server(
        args.host,
        args.port,
        store=store,
        faults=faults,
        api_key=args.api_key,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        ondemand=ondemand,
    )
    if pusher:
        pusher.start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    host, port = server.server_address[:2]
    print(f"Courier sandbox listening on http://{host}:{port} (speed ×{args.speed:g})", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        if pusher:
            pusher.stopped.set()
        ondemand_pusher.stopped.set()
        server.server_close()
    return 0
