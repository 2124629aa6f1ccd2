"""gunicorn hooks for Prometheus's multiprocess mode (PROMETHEUS_MULTIPROC_DIR set).

Each gunicorn worker writes its metrics to files in that folder and /metrics sums them. The
folder must be empty when the server starts (counts of a previous run would be added) and a
dead worker's live gauges dropped. A gunicorn config file takes them with
`from config.observability.gunicorn import child_exit, on_starting`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# Imported here, in the master at start, not inside child_exit: gunicorn before 24 ran that hook in
# its SIGCHLD handler, and a second worker's exit landing during the import met a half-imported
# module and killed the master ("partially initialized module 'prometheus_client.multiprocess'").
from prometheus_client import multiprocess


def on_starting(server: Any) -> None:
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for stale in Path(folder).glob("*.db"):
            stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
