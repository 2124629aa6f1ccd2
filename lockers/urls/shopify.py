from django.urls import path

from lockers.views import shopify

urlpatterns = [
    path("carrier/<str:token>/rates", shopify.carrier_rates, name="shopify_carrier_rates"),
]
