"""What an operator sees: Prometheus metrics (metrics.py), a request id that follows a request
into its tasks (requestid.py), JSON or human log lines carrying it (logging.py), liveness and
readiness for a load balancer (health.py) and optional error reporting (sentry.py).

An installed app (apps.py) so that web, worker and beat processes all connect its signals."""
