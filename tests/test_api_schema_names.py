"""django-ninja documents one schema per class name: two routers each with their own `PointOut`
would both be documented (and fuzzed) with whichever came first, so names are unique."""

from __future__ import annotations

from collections import defaultdict

from ninja import Schema

import config.api  # noqa: F401  (imports every router, and so every schema)

APPS = ("config.", "merchant.", "fulfillment.", "lockers.", "integrations.")


def _subclasses(cls: type) -> set[type]:
    found: set[type] = set()
    for sub in cls.__subclasses__():
        found.add(sub)
        found |= _subclasses(sub)
    return found


def test_every_api_schema_has_a_name_of_its_own():
    by_name: dict[str, list[str]] = defaultdict(list)
    for schema in _subclasses(Schema):
        if schema.__module__.startswith(APPS):
            by_name[schema.__name__].append(f"{schema.__module__}.{schema.__qualname__}")
    assert len(by_name) > 50  # the routers were imported
    clashes = {name: where for name, where in by_name.items() if len(where) > 1}
    assert not clashes, clashes
