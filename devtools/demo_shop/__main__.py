"""`python -m devtools.demo_shop --port 8766 --nearbox-url http://127.0.0.1:8000 --key nbx_pk_…`

The secret key it creates orders with comes from NEARBOX_DEMO_SECRET_KEY (`make run` sets it
from the demo seed), or `--secret-key`; an environment variable keeps it out of `ps`."""

from __future__ import annotations

import argparse
import os

from devtools.demo_shop import make_server


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m devtools.demo_shop")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--nearbox-url", default="http://127.0.0.1:8000")
    parser.add_argument("--key", required=True, help="the demo merchant's publishable key")
    parser.add_argument(
        "--secret-key",
        default=os.environ.get("NEARBOX_DEMO_SECRET_KEY", ""),
        help="the demo merchant's secret key, to create orders (default: $NEARBOX_DEMO_SECRET_KEY)",
    )
    args = parser.parse_args()
    server = make_server(
        args.host, args.port, nearbox_url=args.nearbox_url, key=args.key, secret_key=args.secret_key
    )
    print(f"Demo shop checkout at http://{args.host}:{args.port}/", flush=True)
    if not args.secret_key:
        print("Demo shop: no secret key, so 'Place order' cannot create orders.", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
