"""Couriers pages, mounted at app/couriers/. The public driver page (no login) is in
`driver_patterns`, mounted at driver/ with include((driver_patterns, "…"))."""

from django.urls import path

from fulfillment.couriers.views import accounts as couriers
from fulfillment.couriers.views import driver

urlpatterns = [
    path("", couriers.courier_list, name="couriers"),
    path("new/", couriers.account_create, name="courier_account_create"),
    path("rule/", couriers.rule_edit, name="courier_rule"),
    path("<int:account_id>/edit/", couriers.account_edit, name="courier_account_edit"),
    path("<int:account_id>/services/new/", couriers.service_create, name="courier_service_create"),
    path("<int:account_id>/areas/new/", couriers.area_create, name="courier_area_create"),
    path("<int:account_id>/driver-link/", couriers.driver_link, name="courier_driver_link"),
    path("services/<int:service_id>/edit/", couriers.service_edit, name="courier_service_edit"),
    path("areas/<int:area_id>/edit/", couriers.area_edit, name="courier_area_edit"),
    path("areas/<int:area_id>/delete", couriers.area_delete, name="courier_area_delete"),
]

driver_patterns = [
    path("<str:token>/", driver.driver_page, name="driver_page"),
]
