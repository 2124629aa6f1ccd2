from django.urls import path

from merchant.views import points

urlpatterns = [
    path("", points.point_list, name="points"),
    path("new/", points.point_create, name="point_create"),
    path("map/", points.points_map, name="points_map"),
    path("<int:point_id>/", points.point_detail, name="point_detail"),
    path("<int:point_id>/edit/", points.point_edit, name="point_edit"),
    path("<int:point_id>/deactivate", points.point_deactivate, name="point_deactivate"),
    path("<int:point_id>/activate", points.point_activate, name="point_activate"),
    path("<int:point_id>/delete", points.point_delete, name="point_delete"),
]
