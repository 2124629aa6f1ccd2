"""Tracking pages. Dashboard pages are mounted at app/shipments/; the public tracking page
(`public_patterns`) at t/ and the courier webhooks (`webhook_patterns`) at webhooks/couriers/.
The public routes take `token` (an unguessable secret, not an object id)."""

from django.urls import path

from fulfillment.tracking.views import public, shipments, webhooks

urlpatterns = [
    path("", shipments.shipment_list, name="shipments"),
    path("exceptions/", shipments.shipment_exceptions, name="shipment_exceptions"),
    path(
        "<int:shipment_id>/exception",
        shipments.shipment_exception_action,
        name="shipment_exception_action",
    ),
    path("exceptions/rules/", shipments.exception_rules, name="shipment_exception_rules"),
    path(
        "notifications/",
        shipments.notification_settings,
        name="shipment_notification_settings",
    ),
]

public_patterns = [
    path("<str:token>/", public.tracking_page, name="tracking_page"),
    path("<str:token>/status", public.tracking_status, name="tracking_status"),
    path("<str:token>/change", public.shopper_change, name="tracking_shopper_change"),
]

webhook_patterns = [
    path("<str:token>", webhooks.courier_webhook, name="courier_webhook"),
]
