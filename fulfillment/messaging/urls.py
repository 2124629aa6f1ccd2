"""Message pages, mounted at app/messages/; the providers' delivery reports
(`webhook_patterns`) at webhooks/messages/."""

from django.urls import path

from fulfillment.messaging import views, webhooks

urlpatterns = [
    path("", views.message_list, name="message_list"),
    path("brand/", views.brand_settings, name="message_brand"),
    path("orders/<int:order_id>/", views.order_messages, name="order_messages"),
    path("<str:event>/<str:channel>/<str:language>/", views.message_edit, name="message_edit"),
    path(
        "<str:event>/<str:channel>/<str:language>/preview",
        views.message_preview,
        name="message_preview",
    ),
]

webhook_patterns = [
    path("email-events", webhooks.email_events, name="email_events_webhook"),
    path("sms-status", webhooks.sms_status, name="sms_status_callback"),
]
