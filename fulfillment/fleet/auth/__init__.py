"""A driver's sign-in (#16): one-time links (only the token's SHA-256 is stored), the driver
session (separate from merchant users: the session key `fleet_driver_id`), `driver_required`,
and `get_route_for_driver`, the one way a driver reaches a route."""
