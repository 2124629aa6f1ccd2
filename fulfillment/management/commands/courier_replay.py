"""`manage.py courier_replay CARRIER FILE`: what our adapter makes of a saved courier document.

Support staff paste a tracking answer or webhook body exactly as the courier sent it (FILE, or
`-` for stdin) and see our normalised result as JSON: why a parcel shows what it shows. Nothing
is stored and nothing is sent: the adapter is built with empty credentials and no HTTP client.
Exit 0 when parsed; 1 with a one-line reason otherwise (an error document prints the error it
maps to).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fulfillment.couriers.adapters.base import ADAPTERS, get_adapter
from fulfillment.couriers.adapters.errors import CourierError
from fulfillment.couriers.adapters.types import TrackingResult

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


def result_json(result: TrackingResult) -> dict[str, Any]:
    window = result.estimated_delivery
    return {
        "tracking_number": result.tracking_number,
        "status": result.status.value,
        "estimated_delivery": (
            {"from": window.start.isoformat(), "until": window.end.isoformat()} if window else None
        ),
        "events": [
            {
                "status": event.status.value,
                "time": event.occurred_at.isoformat(),
                "description": event.courier_description,
                "location": event.location,
                "courier_code": event.courier_code,
                **({"reason": event.reason_code} if event.reason_code else {}),
            }
            for event in result.events
        ],
    }


def error_json(number: str, error: CourierError) -> dict[str, Any]:
    return {"tracking_number": number, "error": type(error).__name__, "detail": str(error)}


class Command(BaseCommand):
    help = "Parse a saved courier tracking answer or webhook body with that courier's adapter."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("carrier", help=f"adapter code, one of: {', '.join(ADAPTERS)}")
        parser.add_argument("file", help="the saved document; - reads standard input")

    def handle(self, *args: Any, carrier: str, file: str, **options: Any) -> None:
        if carrier not in ADAPTERS:
            raise CommandError(
                f"unknown carrier {carrier!r}; known carriers: {', '.join(sorted(ADAPTERS))}"
            )
        body = self.read(file)
        adapter = get_adapter(carrier, credentials={})
        try:
            results = adapter.parse_document(body)
        except CourierError as error:
            raise CommandError(f"{carrier}: {type(error).__name__}: {error}") from None
        except RecursionError:
            raise CommandError(f"{carrier}: the document is nested too deeply to read") from None
        shown = [
            result_json(r) if isinstance(r, TrackingResult) else error_json(number, r)
            for number, r in results.items()
        ]
        output = shown[0] if len(shown) == 1 else shown
        self.stdout.write(json.dumps(output, indent=2, ensure_ascii=False))

    def read(self, file: str) -> bytes:
        try:
            if file == "-":
                body = sys.stdin.buffer.read(MAX_DOCUMENT_BYTES + 1)
            else:
                with open(file, "rb") as handle:
                    body = handle.read(MAX_DOCUMENT_BYTES + 1)
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error.strerror or error}") from None
        if len(body) > MAX_DOCUMENT_BYTES:
            raise CommandError(f"{file} is larger than {MAX_DOCUMENT_BYTES // 1024 // 1024} MB")
        if not body.strip():
            raise CommandError(f"{file} is empty")
        return body
