from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config.api import api
from config.observability import health as probes
from config.observability.metrics import metrics_view
from fulfillment.couriers.urls import driver_patterns
from fulfillment.fleet.live.views import delivery_photo
from fulfillment.fleet.urls import public_patterns as fleet_public_patterns
from fulfillment.messaging.urls import webhook_patterns as message_webhook_patterns
from fulfillment.returns.urls import public_patterns as returns_public_patterns
from fulfillment.tracking.urls import public_patterns, webhook_patterns
from integrations.platforms.urls import public_patterns as platform_webhook_patterns
from merchant.views import auth, brand, dashboard, favicon, health

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("healthz/live", probes.live, name="healthz_live"),
    path("healthz/ready", probes.ready, name="healthz_ready"),
    path("metrics", metrics_view, name="metrics"),
    path("brand/<slug:slug>/logo", brand.merchant_logo, name="merchant_logo"),
    path("favicon.ico", favicon.favicon, name="favicon"),
    path("signup/", auth.signup, name="signup"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path(
        "accounts/password_reset/",
        auth.ThrottledPasswordResetView.as_view(),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("app/orders/", include("fulfillment.orders.urls")),
    path("app/couriers/", include("fulfillment.couriers.urls")),
    path("app/couriers/", include("fulfillment.shipments.urls")),
    path("driver/", include("fulfillment.fleet.driver_app.urls")),  # own drivers' app (#16)
    path("driver/", include(driver_patterns)),
    path("app/pickup/", include("lockers.urls")),
    path("app/fleet/plans/", include("fulfillment.fleet.plans.urls")),  # #16 plans
    path("app/fleet/dispatch/", include("fulfillment.fleet.dispatch.urls")),  # #16 board
    path("app/fleet/", include("fulfillment.fleet.urls")),
    path("app/capacity/", include("fulfillment.capacity.urls")),  # #20 capacity advice
    path("d/", include(fleet_public_patterns)),
    path("app/shipments/", include("fulfillment.tracking.urls")),
    path("app/labels/", include("fulfillment.labels.urls")),
    path("app/returns/", include("fulfillment.returns.urls")),
    path("app/address-risk/", include("fulfillment.risk.urls")),  # #20 item 3
    path("returns/", include(returns_public_patterns)),
    path("app/desk/", include("fulfillment.desk.urls")),
    path("app/messages/", include("fulfillment.messaging.urls")),
    path("app/analytics/", include("fulfillment.analytics.urls")),  # #20
    path("t/<str:token>/delivery-photo", delivery_photo, name="tracking_delivery_photo"),
    path("t/", include(public_patterns)),
    path("webhooks/couriers/", include(webhook_patterns)),
    path("webhooks/platforms/", include(platform_webhook_patterns)),
    path("webhooks/messages/", include(message_webhook_patterns)),
    path("pickup/", include("lockers.urls.public")),
    path("shopify/", include("lockers.urls.shopify")),
    path("saleor/", include("integrations.platforms.saleor.urls")),
    path("app/settings/boxes/", include("fulfillment.boxes.urls")),
    path("app/settings/integrations/", include("integrations.urls")),
    path("app/", include("fulfillment.checkout.urls")),  # settings/checkout-rules, couriers/rules
    path("app/", include("merchant.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
# MEDIA_ROOT is never served as a folder, not even with DEBUG: it holds staged import files,
# labels and proofs of delivery. Each file a person may see has its own view that checks who
# asks (the merchant's logo is public: it is on the tracking page and in emails).
