"""`python -m devtools.demo_shop --port 8766 --nearbox-url http://127.0.0.1:8000 --key nbx_pk_…
--webhook-url http://127.0.0.1:8000/webhooks/platforms/<token>`

The shop is a WooCommerce store connected to Nearbox (demo/seeders/woocommerce.py): the webhook
secret it signs its orders with and the REST API key Nearbox calls it with come from
NEARBOX_DEMO_WC_WEBHOOK_SECRET, NEARBOX_DEMO_WC_CONSUMER_KEY and NEARBOX_DEMO_WC_CONSUMER_SECRET
(`make run` sets them from the demo seed); environment variables keep them out of `ps`."""

from __future__ import annotations

import argparse
import os

from devtools.demo_shop import demo_store, make_server


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m devtools.demo_shop")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--nearbox-url", default="http://127.0.0.1:8000")
    parser.add_argument("--key", required=True, help="the demo merchant's publishable key")
    parser.add_argument(
        "--webhook-url",
        default=os.environ.get("NEARBOX_DEMO_WC_WEBHOOK_URL", ""),
        help="Nearbox's address for this store's order webhooks",
    )
    args = parser.parse_args()
    store = demo_store(
        webhook_url=args.webhook_url,
        webhook_secret=os.environ.get("NEARBOX_DEMO_WC_WEBHOOK_SECRET", ""),
        consumer_key=os.environ.get("NEARBOX_DEMO_WC_CONSUMER_KEY", ""),
        consumer_secret=os.environ.get("NEARBOX_DEMO_WC_CONSUMER_SECRET", ""),
    )
    server = make_server(
        args.host, args.port, nearbox_url=args.nearbox_url, key=args.key, store=store
    )
    print(f"Demo shop checkout at http://{args.host}:{args.port}/", flush=True)
    if not store.webhooks:
        print("Demo shop: no Nearbox webhook, so 'Place order' cannot send orders.", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
