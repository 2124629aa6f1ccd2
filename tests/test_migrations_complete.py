"""Every model change has its migration: work done in parallel (migration slots filled by hand)
must not leave a field or index that only `makemigrations` would notice."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.sqlite
@pytest.mark.django_db
def test_no_model_change_lacks_a_migration() -> None:
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exit_:
        pytest.fail(f"models differ from migrations (exit {exit_.code}):\n{out.getvalue()}")
