"""Own fleet pages. Dashboard pages (`urlpatterns`) are mounted at app/fleet/; the driver's
sign-in by link (`public_patterns`) at d/."""

from django.urls import path

from fulfillment.fleet.auth import views as auth
from fulfillment.fleet.drivers import views as drivers
from fulfillment.fleet.services import views as services
from fulfillment.fleet.shifts import views as shifts
from fulfillment.fleet.vehicles import views as vehicles

urlpatterns = [
    path("", drivers.driver_list, name="fleet_home"),
    path("drivers/", drivers.driver_list, name="fleet_drivers"),
    path("drivers/<int:driver_id>/", drivers.driver_edit, name="fleet_driver_edit"),
    path("drivers/<int:driver_id>/link", drivers.driver_send_link, name="fleet_driver_send_link"),
    path("drivers/<int:driver_id>/active", drivers.driver_active, name="fleet_driver_active"),
    path("vehicles/", vehicles.vehicle_list, name="fleet_vehicles"),
    path("vehicles/<int:vehicle_id>/", vehicles.vehicle_edit, name="fleet_vehicle_edit"),
    path("vehicles/<int:vehicle_id>/active", vehicles.vehicle_active, name="fleet_vehicle_active"),
    path("shifts/", shifts.shift_list, name="fleet_shifts"),
    path("shifts/<int:shift_id>/", shifts.shift_edit, name="fleet_shift_edit"),
    path("shifts/<int:shift_id>/delete", shifts.shift_delete, name="fleet_shift_delete"),
    path("services/", services.service_list, name="fleet_services"),
    path("services/<int:fleet_service_id>/", services.service_edit, name="fleet_service_edit"),
]

public_patterns = [
    path("<str:token>/", auth.sign_in, name="fleet_driver_sign_in"),
    path("-/sign-out", auth.sign_out, name="fleet_driver_sign_out"),
]
