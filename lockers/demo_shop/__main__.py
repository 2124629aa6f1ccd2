"""`python -m lockers.demo_shop --port 8766 --nearbox-url http://127.0.0.1:8000 --key nbx_pk_…`"""

from __future__ import annotations

import argparse

from lockers.demo_shop import make_server


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m lockers.demo_shop")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--nearbox-url", default="http://127.0.0.1:8000")
    parser.add_argument("--key", required=True, help="the demo merchant's publishable key")
    args = parser.parse_args()
    server = make_server(args.host, args.port, nearbox_url=args.nearbox_url, key=args.key)
    print(f"Demo shop checkout at http://{args.host}:{args.port}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
