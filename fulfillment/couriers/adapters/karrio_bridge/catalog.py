"""Which karrio carriers are installed, under which adapter code, with which credentials.

Installed extensions (`pip install karrio-<carrier>`) announce themselves as entry points of
the group `karrio.plugins` (name = karrio's carrier id, value = its PluginMetadata). Listing
them reads package metadata only; the plugin itself (and karrio's ~0.5 s of imports) is loaded
the first time its name, credentials or adapter are asked for.

Codes: a karrio carrier is registered under its karrio id ("dpd"), unless that id is one of
our own adapter codes or karrio's carrier drives the same API as one of our own adapters
(DHL Unified tracking, UPS, Royal Mail): then "karrio_<id>", so that both can be compared and
an existing account never changes meaning.
"""

from __future__ import annotations

import functools
import importlib.metadata
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # base.py imports this module to build its registry
    from fulfillment.couriers.adapters.base import CredentialField

PREFIX = "karrio_"
# karrio ids whose API one of our hand-written adapters already speaks.
SAME_API_AS_OURS = frozenset({"dhl_universal", "ups", "royalmail"})
# karrio Settings attributes that describe the connection, not the merchant's credentials.
GENERIC_SETTINGS = frozenset(
    {"id", "test_mode", "carrier_id", "metadata", "config", "services", "language", "cache"}
)
SECRET_WORDS = ("password", "secret", "key", "token")


@functools.cache
def installed_carriers() -> dict[str, str]:
    """karrio carrier id → entry point value ("karrio.plugins.dpd:METADATA"), sorted by id."""
    points = importlib.metadata.entry_points(group="karrio.plugins")
    return {point.name: point.value for point in sorted(points, key=lambda p: p.name)}


def adapter_code(karrio_id: str, own_codes: Collection[str]) -> str:
    if karrio_id in own_codes or karrio_id in SAME_API_AS_OURS:
        return PREFIX + karrio_id
    return karrio_id


def bridged_codes(own_codes: Collection[str]) -> dict[str, str]:
    """Our adapter code → karrio id, for every installed karrio carrier."""
    return {adapter_code(karrio_id, own_codes): karrio_id for karrio_id in installed_carriers()}


@functools.cache
def plugin_metadata(karrio_id: str) -> Any:
    """karrio's PluginMetadata of an installed carrier (imports the plugin once)."""
    try:
        value = installed_carriers()[karrio_id]
    except KeyError:
        raise ValueError(f"karrio carrier {karrio_id!r} is not installed") from None
    module_name, _, attribute = value.partition(":")
    metadata = getattr(importlib.import_module(module_name), attribute or "METADATA")
    if metadata.Mapper is None or metadata.Proxy is None or metadata.Settings is None:
        raise ValueError(f"karrio plugin {karrio_id!r} is not a carrier (no Mapper/Proxy)")
    return metadata


def display_name(karrio_id: str, code: str) -> str:
    label = plugin_metadata(karrio_id).label or karrio_id
    return f"{label} (via karrio)" if code.startswith(PREFIX) else label


def _label(name: str) -> str:
    text = name.replace("_", " ").capitalize()
    return " ".join("ID" if word == "id" else word for word in text.split(" "))


def credential_fields(karrio_id: str) -> tuple[CredentialField, ...]:
    """The karrio Settings' required attributes, then its optional carrier-specific texts."""
    import attr

    from fulfillment.couriers.adapters.base import CredentialField

    settings_class = plugin_metadata(karrio_id).Settings
    required: list[CredentialField] = []
    optional: list[CredentialField] = []
    for attribute in attr.fields(settings_class):
        name = attribute.name
        if name in GENERIC_SETTINGS or name.startswith("_"):
            continue
        secret = any(word in name.lower() for word in SECRET_WORDS)
        if attribute.default is attr.NOTHING:
            required.append(CredentialField(name, _label(name), secret=secret))
        elif attribute.type in (str, "str") or isinstance(attribute.default, str):
            optional.append(
                CredentialField(
                    name, _label(name), secret=secret, required=False,
                    help=f"Optional; karrio's default: {attribute.default or 'none'}.",
                )
            )  # fmt: skip
    return (*required, *optional)
