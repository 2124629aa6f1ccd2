"""The driver app, mounted at driver/ (before the manual courier's driver/<token>/ page)."""

from django.urls import path

from fulfillment.fleet.driver_app import views

urlpatterns = [
    path("", views.home, name="driver_home"),
    path("route/<int:route_id>/", views.route_page, name="driver_route"),
    path("stop/<int:stop_id>/", views.stop_page, name="driver_stop"),
    path("actions", views.action, name="driver_action"),
    path("positions", views.position, name="driver_position"),
    path("sw.js", views.service_worker, name="driver_service_worker"),
]
