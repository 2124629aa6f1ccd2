"""Capacity pages, mounted at app/capacity/."""

from django.urls import path

from fulfillment.capacity import views

urlpatterns = [
    path("", views.capacity_page, name="capacity"),
    path("pickups/<int:pickup_id>/", views.pickup_edit, name="capacity_pickup_edit"),
    path("pickups/<int:pickup_id>/delete", views.pickup_delete, name="capacity_pickup_delete"),
]
