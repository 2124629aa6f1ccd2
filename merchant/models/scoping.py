"""Tenant scoping: every row a request can reach belongs to one merchant.

`MerchantOwned` gives a model its `merchant` foreign key and a manager whose
`for_merchant()` is the only way views, APIs and selectors should start a query.
`get_for_merchant_or_404()` is what each `get_<model>_for_merchant` helper calls:
another merchant's id answers 404, never 403, so ids leak nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.db import models
from django.http import Http404

if TYPE_CHECKING:
    from merchant.models.tenants import Merchant

M = TypeVar("M", bound="MerchantOwned")


class MerchantOwnedQuerySet(models.QuerySet):
    def for_merchant(self, merchant: Merchant) -> MerchantOwnedQuerySet:
        return self.filter(merchant=merchant)


class MerchantOwned(models.Model):
    merchant = models.ForeignKey("merchant.Merchant", on_delete=models.CASCADE, related_name="+")

    objects = MerchantOwnedQuerySet.as_manager()

    class Meta:
        abstract = True


def get_for_merchant_or_404(model: type[M], merchant: Merchant, pk: object) -> M:
    try:
        return model.objects.for_merchant(merchant).get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404(f"No {model._meta.verbose_name} with id {pk}.") from None
