from .network import Compartment, LockerBank, PickupShop
from .reservations import ACTIVE_STATUSES, PickupParcel, Reservation

__all__ = [
    "ACTIVE_STATUSES",
    "Compartment",
    "LockerBank",
    "PickupParcel",
    "PickupShop",
    "Reservation",
]
