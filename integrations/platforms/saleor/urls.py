"""The Saleor App's public URLs, mounted at /saleor/ (config/urls.py)."""

from django.urls import path

from integrations.platforms.saleor import views

urlpatterns = [
    path("<str:token>/manifest", views.manifest, name="saleor_manifest"),
    path("<str:token>/register", views.register, name="saleor_register"),
    path("<str:token>/shipping-methods", views.shipping_methods, name="saleor_shipping_methods"),
    path(
        "<str:token>/filter-shipping-methods",
        views.filter_shipping_methods,
        name="saleor_filter_shipping_methods",
    ),
]
