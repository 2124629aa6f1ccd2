"""Dispatcher board, mounted at app/fleet/dispatch/."""

from django.urls import path

from fulfillment.fleet.dispatch import views

urlpatterns = [
    path("", views.board, name="fleet_dispatch"),
    path("stops/<int:stop_id>/reassign", views.reassign_stop, name="fleet_dispatch_reassign"),
    path("insert", views.insert_waiting, name="fleet_dispatch_insert"),
]
