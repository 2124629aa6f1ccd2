"""The naive way to print a batch of labels, kept only as the benchmark's baseline (labels.py):
per label its own HTML, stylesheet parse and font configuration, each rendered to a WeasyPrint
document; the pages are merged at the end with WeasyPrint's own Document.copy. The app prints
through fulfillment.labels.render_labels_pdf."""

from __future__ import annotations

from collections.abc import Sequence

from fulfillment.labels.render.data import LabelData, LabelError
from fulfillment.labels.render.pdf import LabelSize, _labels_document
from fulfillment.labels.render.weasy import STYLESHEET


def render_labels_pdf_naive(labels: Sequence[LabelData], size: LabelSize = "4x6") -> bytes:
    """The slow way, for the benchmark: per label its own HTML, stylesheet parse and font
    configuration, each rendered to a document; the pages are merged at the end."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    if not labels:
        raise LabelError("labels", "nothing to print: the selection has no labels")
    documents = []
    for label in labels:
        font_config = FontConfiguration()
        css = CSS(filename=str(STYLESHEET), font_config=font_config)
        documents.append(_labels_document([label], size, css, font_config))
    pages = [page for document in documents for page in document.pages]
    return documents[0].copy(pages).write_pdf()
