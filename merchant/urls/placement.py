from django.urls import path

from merchant.views import placement

urlpatterns = [
    path("", placement.plan_list, name="placement"),
    path("<int:plan_id>/", placement.plan_detail, name="placement_plan"),
    path("<int:plan_id>/accept", placement.plan_accept, name="placement_accept"),
    path("<int:plan_id>/discard", placement.plan_discard, name="placement_discard"),
]
