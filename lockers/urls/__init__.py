from django.urls import path

from lockers.views import network, reservations

urlpatterns = [
    path("", network.network_list, name="pickup_network"),
    path("map/", network.network_map, name="pickup_map"),
    path("import/", network.network_import, name="pickup_import"),
    path("reservations/", reservations.reservation_list, name="pickup_reservations"),
    path("lockers/<int:bank_id>/", network.bank_detail, name="pickup_bank_detail"),
    path("lockers/<int:bank_id>/action", network.bank_action, name="pickup_bank_action"),
    path("shops/<int:shop_id>/", network.shop_detail, name="pickup_shop_detail"),
    path("shops/<int:shop_id>/action", network.shop_action, name="pickup_shop_action"),
    path(
        "compartments/<int:compartment_id>/state",
        network.compartment_state,
        name="pickup_compartment_state",
    ),
]
