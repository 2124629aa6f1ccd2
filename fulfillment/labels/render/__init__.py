"""Shipping labels (PDF and ZPL), packing slips and return labels.

Renderers take plain frozen dataclasses (data.py), so any source (a Shipment, the demo data,
the benchmark) prints through the same functions with a small adapter.
"""

from fulfillment.labels.render.data import (
    LabelAddress,
    LabelData,
    LabelError,
    PackingSlipData,
    PackingSlipLine,
    point_code,
    sort_code,
)
from fulfillment.labels.render.dispatch import render_labels_pdf
from fulfillment.labels.render.pdf import (
    LABEL_SIZES,
    SLIP_SIZES,
    render_packing_slips_pdf,
)
from fulfillment.labels.render.zpl import render_labels_zpl, zpl_structure

__all__ = [
    "LABEL_SIZES",
    "SLIP_SIZES",
    "LabelAddress",
    "LabelData",
    "LabelError",
    "PackingSlipData",
    "PackingSlipLine",
    "point_code",
    "render_labels_pdf",
    "render_labels_zpl",
    "render_packing_slips_pdf",
    "sort_code",
    "zpl_structure",
]
