"""Where a batch of labels is rendered: in this process, or in chunks on every core
(parallel.py). Kept apart from pdf.py so that the dependency runs one way: parallel.py uses
pdf.py's serial renderer, and this module uses both."""

from __future__ import annotations

from collections.abc import Sequence

from fulfillment.labels.render.data import LabelData
from fulfillment.labels.render.parallel import render_parallel, worker_count
from fulfillment.labels.render.pdf import LabelSize, _check_labels, render_labels_pdf_serial


def render_labels_pdf(
    labels: Sequence[LabelData], size: LabelSize = "4x6", *, workers: int | None = None
) -> bytes:
    """All labels in one PDF: a page per label (4x6, a6) or A4 sheets of four with cut marks.

    `workers`: processes to render chunks in; None picks one per core for batches big enough
    to pay for starting them (see parallel.py), 1 renders here."""
    _check_labels(labels, size)
    count = worker_count(len(labels), workers)
    if count <= 1:
        return render_labels_pdf_serial(labels, size)
    return render_parallel(labels, size, count)
