"""Own fleet pages. Dashboard pages (`urlpatterns`) are mounted at app/fleet/; the driver's
sign-in by link (`public_patterns`) at d/."""

from django.urls import path

from fulfillment.fleet.auth import views as auth
from fulfillment.fleet.drivers import views as drivers

urlpatterns = [
    path("", drivers.driver_list, name="fleet_home"),
    path("drivers/", drivers.driver_list, name="fleet_drivers"),
    path("drivers/<int:driver_id>/", drivers.driver_edit, name="fleet_driver_edit"),
    path("drivers/<int:driver_id>/link", drivers.driver_send_link, name="fleet_driver_send_link"),
    path("drivers/<int:driver_id>/active", drivers.driver_active, name="fleet_driver_active"),
]

public_patterns = [
    path("<str:token>/", auth.sign_in, name="fleet_driver_sign_in"),
    path("-/sign-out", auth.sign_out, name="fleet_driver_sign_out"),
    path("-/home", auth.placeholder_home, name="fleet_driver_placeholder"),
]
