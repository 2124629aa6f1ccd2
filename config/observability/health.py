"""/healthz/live and /healthz/ready for a load balancer; /healthz (merchant.views.health) stays
the whole report, beat included, for a person or an uptime check.

Live asks nothing of anything else: a process that answers it is up, and restarting it would
not help when the database is down. Ready asks whether this process can serve now: the
database, the cache and the broker answer; 503 names the ones that did not.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from merchant.services.health import check_broker, check_database


def check_cache() -> dict[str, Any]:
    key = f"healthz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", timeout=10)
        answered = cache.get(key) == "1"
        cache.delete(key)
    except Exception as exc:
        return {"ok": False, "error": str(exc)[:200]}
    return {"ok": True} if answered else {"ok": False, "error": "a value set was not read back"}


@never_cache
@require_GET
def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


@never_cache
@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    checks = {"database": check_database(), "cache": check_cache(), "broker": check_broker()}
    failed = [name for name, check in checks.items() if not check["ok"]]
    return JsonResponse(
        {"ok": not failed, "failed": failed, **checks}, status=503 if failed else 200
    )
