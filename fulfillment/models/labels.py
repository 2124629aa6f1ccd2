"""Batch label files: one merged PDF and one ZPL file for a set of shipments, made by a job."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from merchant.models import MerchantOwned


class LabelBatch(MerchantOwned):
    """The labels of one set of shipments at one size. `key` is a digest of that set and size,
    unique per merchant: asking again for the same set finds this row and its files instead of
    printing a second set."""

    key = models.CharField(max_length=64)
    size = models.CharField(max_length=4)
    title = models.CharField(max_length=160)
    shipment_ids = models.JSONField(default=list)  # printable ones, in print order
    skipped = models.JSONField(default=list)  # [{"id", "reference", "reason"}]
    job = models.ForeignKey(
        "merchant.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pdf = models.FileField(upload_to="label-batches/%Y/%m/", null=True, blank=True)
    zpl = models.FileField(upload_to="label-batches/%Y/%m/", null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "key"], name="label_batch_key_unique"),
        ]

    def __str__(self) -> str:
        return self.title or f"Label batch {self.pk}"

    @property
    def is_ready(self) -> bool:
        return bool(self.pdf) and bool(self.zpl)
