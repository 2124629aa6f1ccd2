"""Settings → Boxes, mounted at app/settings/boxes/."""

from django.urls import path

from fulfillment.boxes import views

urlpatterns = [
    path("", views.box_list, name="boxes"),
    path("<int:box_id>/", views.box_edit, name="box_edit"),
    path("<int:box_id>/active", views.box_active, name="box_active"),
]
