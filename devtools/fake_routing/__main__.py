"""python -m devtools.fake_routing --port 5001: fake OSRM (GET /table/v1/...) and Valhalla
(POST /sources_to_targets) on one port; set NEARBOX_FLEET_OSRM_URL or
NEARBOX_FLEET_VALHALLA_URL to http://127.0.0.1:5001 to plan with it."""

from __future__ import annotations

import argparse

from devtools.fake_routing import FakeRoutingServer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=5001)
    args = parser.parse_args()
    server = FakeRoutingServer(args.port)
    print(f"fake OSRM + Valhalla on http://127.0.0.1:{args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
