"""The courier factories make objects of the merchant they are given (the tenant sweep relies
on them)."""

import pytest

from fulfillment.models import CourierAccount, CourierService, ServiceArea, Shipment
from tests.factories.couriers import TENANT_FACTORIES


@pytest.mark.django_db
def test_each_factory_makes_an_object_of_the_merchant(merchant_a):
    for name, factory in TENANT_FACTORIES.items():
        pk = factory(merchant_a)
        model = {
            "account_id": CourierAccount,
            "service_id": CourierService,
            "area_id": ServiceArea,
            "shipment_id": Shipment,
        }[name]
        assert model.objects.get(pk=pk).merchant_id == merchant_a.merchant.pk
