"""A local stand-in for Twilio's Messages API (tests/fixtures/sms/): POST
/2010-04-01/Accounts/{AccountSid}/Messages.json with Basic auth answers 201 and the Message
resource, or Twilio's error JSON (21211 for a To that is not E.164, 20003 for bad auth)."""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sms"
ACCOUNT = "AC" + "1" * 32
TOKEN = "twilio-auth-token-test"
PATH = re.compile(r"^/2010-04-01/Accounts/(AC\w{32})/Messages\.json$")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class FakeTwilio:
    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        self._sids = itertools.count(1)

    def answer(self, path: str, auth: str, form: dict[str, str]) -> tuple[int, dict]:
        match = PATH.match(path)
        expected = "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
        if not match or match.group(1) != ACCOUNT or auth != expected:
            return 401, {"code": 20003, "message": "Authenticate", "status": 401,
                         "more_info": "https://www.twilio.com/docs/errors/20003"}  # fmt: skip
        self.requests.append(form)
        if not E164.match(form.get("To", "")):
            error = json.loads((FIXTURES / "twilio_error_21211.json").read_text())
            error["message"] = f"Invalid 'To' Phone Number: {form.get('To', '')}"
            return 400, error
        message = json.loads((FIXTURES / "twilio_message_created.json").read_text())
        sid = f"SM{next(self._sids):032x}"
        message.update(sid=sid, to=form["To"], body=form.get("Body", ""), account_sid=ACCOUNT)
        message["from"] = form.get("From")
        message["messaging_service_sid"] = form.get("MessagingServiceSid")
        return 201, message


@contextmanager
def fake_twilio() -> Iterator[tuple[str, FakeTwilio]]:
    fake = FakeTwilio()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            form = {key: values[0] for key, values in parse_qs(raw).items()}
            status, body = fake.answer(self.path, self.headers.get("Authorization", ""), form)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", fake
    finally:
        server.shutdown()
        server.server_close()
