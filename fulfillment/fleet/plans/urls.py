"""Plan pages, mounted at app/fleet/plans/."""

from django.urls import path

from fulfillment.fleet.plans import views

urlpatterns = [
    path("", views.plan_list, name="fleet_plans"),
    path("<int:route_plan_id>/", views.plan_detail, name="fleet_plan"),
    path("<int:route_plan_id>/move", views.plan_move_stop, name="fleet_plan_move"),
    path("<int:route_plan_id>/dispatch", views.plan_dispatch, name="fleet_plan_dispatch"),
    path("<int:route_plan_id>/discard", views.plan_discard, name="fleet_plan_discard"),
    path(
        "<int:route_plan_id>/orders/<int:order_id>/courier",
        views.plan_send_to_courier,
        name="fleet_plan_send_to_courier",
    ),
]
