"""Store pages, mounted at app/settings/integrations/stores/ (integrations/urls.py), and the
public webhook endpoint (`public_patterns`) at webhooks/platforms/ (config/urls.py), whose
`token` is the connection's unguessable webhook token."""

from django.urls import path

import integrations.platforms.converters  # noqa: F401 — registers <webhook_token:…>
from integrations.platforms import views

urlpatterns = [
    path("connect/<str:platform>/", views.store_connect, name="platform_connect"),
    path("<int:connection_id>/", views.store_detail, name="platform_store"),
    path("<int:connection_id>/test", views.store_test, name="platform_store_test"),
    path("<int:connection_id>/disconnect", views.store_disconnect, name="platform_disconnect"),
    path(
        "orders/<int:platform_order_id>/take-in",
        views.order_take_in_again,
        name="platform_order_take_in",
    ),
]

public_patterns = [
    path("<webhook_token:token>", views.platform_webhook, name="platform_webhook"),
]
