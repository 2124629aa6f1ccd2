"""`manage.py check --deploy` passes with production settings, and refuses a missing key."""

from __future__ import annotations

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    # A clean environment: tests/settings.py puts test defaults into os.environ, and none of
    # them may leak into the production-like run.
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "nearbox.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'nearbox.sqlite3'}",
        "NEARBOX_VAR_DIR": str(tmp_path / "var"),
    }
    env.update(overrides)
    return env


def run_manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_passes_with_production_settings(tmp_path):
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    secret_key = "".join(secrets.choice(alphabet) for _ in range(64))
    env = production_env(tmp_path, SECRET_KEY=secret_key)

    result = run_manage(env, "check", "--deploy", "--fail-level", "WARNING")

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "no issues" in output


def test_settings_refuse_to_load_without_secret_key_when_debug_is_off(tmp_path):
    env = production_env(tmp_path)
    assert "SECRET_KEY" not in env

    result = run_manage(env, "check")

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
