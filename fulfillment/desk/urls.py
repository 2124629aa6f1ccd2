"""Shipping desk pages, mounted at /app/desk/."""

from django.urls import path

from fulfillment.desk import views

urlpatterns = [
    path("ship/", views.ship_run_create, name="ship_run_create"),
    path("runs/<int:run_id>/", views.ship_run_detail, name="ship_run_detail"),
    path("runs/<int:run_id>/retry", views.ship_run_retry, name="ship_run_retry"),
    path("runs/<int:run_id>/labels.pdf", views.ship_run_pdf, name="ship_run_pdf"),
    path("runs/<int:run_id>/labels.zpl", views.ship_run_zpl, name="ship_run_zpl"),
    path("orders/<int:order_id>/tags", views.order_tags_edit, name="order_tags"),
]
