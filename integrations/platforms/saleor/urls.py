"""The Saleor App's public URLs, mounted at /saleor/ (config/urls.py)."""

from django.urls import path

import integrations.platforms.converters  # noqa: F401 — registers <webhook_token:…>
from integrations.platforms.saleor import views

urlpatterns = [
    path("<webhook_token:token>/manifest", views.manifest, name="saleor_manifest"),
    path("<webhook_token:token>/register", views.register, name="saleor_register"),
    path(
        "<webhook_token:token>/shipping-methods",
        views.shipping_methods,
        name="saleor_shipping_methods",
    ),
    path(
        "<webhook_token:token>/filter-shipping-methods",
        views.filter_shipping_methods,
        name="saleor_filter_shipping_methods",
    ),
]
