"""Helpers the tests import (the fixtures are in tests/conftest.py): the shared password, a
signed-in client (and browser), the test worker's name, waiting for background work, browser
screenshots."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.test import Client

from merchant.services.merchants import NewMerchant

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "correct-horse-battery-staple"


def signed_in_client(new: NewMerchant) -> Client:
    client = Client()
    client.force_login(new.owner)
    return client


def sign_in_browser(page, live_server, user) -> None:
    """Sign `user` in to Chromium: a session made by the test client, handed to the page's
    browser context as its cookie for the live server."""
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    cookie = {"name": name, "value": client.cookies[name].value, "url": live_server.url}
    page.context.add_cookies([cookie])


def worker_name() -> str:
    return f"nearbox-test-{os.getpid()}@{os.uname().nodename}"


def wait_for(
    condition: Callable[[], object],
    *,
    timeout: float = 30,
    every: float = 0.2,
    what: str = "condition",
):
    """Poll until `condition()` is truthy and return its value (tests of background work):
    an event waited for, not a fixed sleep."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"{what}: not within {timeout:g} s")


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
