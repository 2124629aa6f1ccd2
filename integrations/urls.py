"""Settings → Integrations, mounted at /app/settings/integrations/."""

from django.urls import include, path

from integrations.webhooks import views

urlpatterns = [
    path("", views.integrations, name="integrations"),
    path("stores/", include("integrations.platforms.urls")),
    path("webhooks/<int:endpoint_id>/", views.endpoint_detail, name="webhook_endpoint"),
    path("webhooks/<int:endpoint_id>/test", views.endpoint_test, name="webhook_endpoint_test"),
    path(
        "webhooks/<int:endpoint_id>/toggle", views.endpoint_toggle, name="webhook_endpoint_toggle"
    ),
    path(
        "webhooks/<int:endpoint_id>/rotate", views.endpoint_rotate, name="webhook_endpoint_rotate"
    ),
    path(
        "webhooks/<int:endpoint_id>/delete", views.endpoint_delete, name="webhook_endpoint_delete"
    ),
    path(
        "webhooks/deliveries/<int:delivery_id>/resend",
        views.delivery_resend,
        name="webhook_delivery_resend",
    ),
]
