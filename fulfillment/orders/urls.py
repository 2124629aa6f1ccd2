"""Order pages, mounted at /app/orders/."""

from django.urls import path

from fulfillment.orders.views import imports, today
from fulfillment.orders.views import orders as views

urlpatterns = [
    path("", views.order_list, name="orders"),
    path("new/", views.order_create, name="order_create"),
    path("exceptions/", views.order_exceptions, name="order_exceptions"),
    path("import/", imports.import_upload, name="orders_import"),
    path("import/confirm", imports.import_confirm, name="orders_import_confirm"),
    path("today/", today.orders_today, name="orders_today"),
    path("today/counts", today.orders_today_counts, name="orders_today_counts"),
    path("today/<int:point_id>/", today.orders_today_point, name="orders_today_point"),
    path("today/<int:point_id>/bulk", today.orders_bulk, name="orders_bulk"),
    path("today/<int:point_id>/pick-list.pdf", today.orders_pick_list, name="orders_pick_list"),
    path("<int:order_id>/", views.order_detail_view, name="order_detail"),
    path("<int:order_id>/edit/", views.order_edit, name="order_edit"),
    path("<int:order_id>/advance", views.order_advance, name="order_advance"),
    path("<int:order_id>/cancel", views.order_cancel, name="order_cancel"),
    path("<int:order_id>/reroute", views.order_reroute, name="order_reroute"),
    path("<int:order_id>/address", views.order_fix_address, name="order_fix_address"),
    path(
        "<int:order_id>/address/override",
        views.order_override_address,
        name="order_override_address",
    ),
]
