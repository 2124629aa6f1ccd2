"""Every test here ends by forgetting the cached set of merchants with a connected store
(integrations/platforms/writeback.py): rows a test made are rolled back or flushed, and a set
filled from them would make a later test's shipment signals look for a store that is gone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def forget_the_stores_set() -> Iterator[None]:
    yield
    from django.core.cache import cache

    from integrations.platforms import writeback

    cache.delete(writeback.cache_key())
