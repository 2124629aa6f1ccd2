"""The scale test of #21: Nearbox as several "machines" on this one (python -m bench.cluster).

    python -m bench.cluster [--minutes 5] [--keep-db]

Starts, each in its own process group as if on its own machine: the courier sandbox
(devtools/courier_sandbox), two gunicorn web processes (deploy/gunicorn.conf.py, one worker of
4 threads each), nginx in front of them (a temporary configuration generated from
deploy/nginx/nearbox.conf: the sample's two-server upstream, plus a second listener whose
upstream is web 1 alone), three Celery worker groups (tracking + webhooks, labels + imports +
planning, notifications + default) and TWO beats (celery-redbeat: one must hold the lock).
PostgreSQL (database `nearbox_bench_cluster`, made again each run) and Redis (db 9) are the
ones already running. A locust process (bench/cluster/load.py) drives at once: shoppers' delivery
options and tracking pages, a shop platform's order intake (API, Idempotency-Key, client
retries) and merchants asking for label batches on the dashboard; this process makes tracking
polls due every few seconds (as the beat's planner does, faster), so the tracking worker polls
the sandbox all along. After a warm-up (not counted), the phases of the load (--minutes in
all: 30 % "two", 30 % "one", 40 % "faults"):

1. "two" and "one", in rounds two / one / one / two (the drift of a shared machine cancels):
   nginx → 2 web processes, and the same load through the listener whose upstream is web 1
   only (same run, same data), for the ratio of each throughput and the cores each part used;
2. "faults": 2 web processes again, and mid-phase: web 2 SIGKILLed (group) and restarted
   5 s later; the tracking worker SIGKILLed while a fresh set of shipments is being polled, then
   restarted; the labels worker SIGKILLed while a 300-label batch is rendering, then restarted.

Then it checks: shopper requests that failed after nginx's retries; orders lost (a key the
client saw accepted, not in the database) or duplicated (two orders under one key); the killed
tracking set's states and event counts against the sandbox's truth (none lost, none twice); the
killed batch finished with each label once (ZPL labels and PDF pages = shipments, each tracking
number the same number of times); each periodic task sent once per period with two beats
(the worker logs of every received periodic task). Prints the figures and writes
bench/results/cluster.json, with the load average and the machine's CPU use per phase (the
2 cores are shared by everything here, locust included: that is what bounds the ratio).
"""
