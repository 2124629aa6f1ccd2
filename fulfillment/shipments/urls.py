"""Shipping an order (its rates, booking) and a shipment's page, mounted at app/couriers/ beside
the couriers pages (the addresses predate the split into domains)."""

from django.urls import path

from fulfillment.shipments import views as shipping

urlpatterns = [
    path("orders/<int:order_id>/rates", shipping.order_rates, name="order_rates"),
    path("orders/<int:order_id>/ship", shipping.order_ship, name="order_ship"),
    path("shipments/<int:shipment_id>/", shipping.shipment_detail, name="shipment_detail"),
    path("shipments/<int:shipment_id>/void", shipping.shipment_void, name="shipment_void"),
    path(
        "shipments/<int:shipment_id>/events/<int:event_id>/proof",
        shipping.shipment_proof,
        name="shipment_proof",
    ),
]
