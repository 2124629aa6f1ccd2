"""Uploads kept between preview and confirm (the CSV imports), through Django's storage.

Never a path on the local disk: with NEARBOX_STORAGE=s3 the preview may run on one web
machine, the confirm on another and the background job on a worker, and all read the same
object. A staged file is `imports/<merchant id>/<name>.csv` beside its `<name>.json` (the
upload's original file name and kind).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage


def _stem(merchant_id: int, name: str) -> str:
    return f"imports/{merchant_id}/{name}"


def stage_file(*, merchant_id: int, name: str, data: bytes, meta: dict[str, Any]) -> None:
    """Keep the bytes and their description; `name` is unique (a fresh uuid per upload)."""
    stem = _stem(merchant_id, name)
    default_storage.save(f"{stem}.csv", ContentFile(data))
    # Written last: a file counts as staged only once its description is there.
    default_storage.save(f"{stem}.json", ContentFile(json.dumps(meta).encode()))


def load_file(*, merchant_id: int, name: str) -> tuple[dict[str, Any], bytes] | None:
    """(description, bytes) of a staged file, or None when there is no such file (any more)."""
    stem = _stem(merchant_id, name)
    try:
        with default_storage.open(f"{stem}.json", "rb") as handle:
            meta = json.loads(handle.read())
        with default_storage.open(f"{stem}.csv", "rb") as handle:
            return meta, handle.read()
    except (FileNotFoundError, ValueError):
        return None
