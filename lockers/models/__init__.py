from lockers.models.network import Compartment, LockerBank, PickupShop
from lockers.models.reservations import ACTIVE_STATUSES, PickupParcel, Reservation

__all__ = [
    "ACTIVE_STATUSES",
    "Compartment",
    "LockerBank",
    "PickupParcel",
    "PickupShop",
    "Reservation",
]
