from .couriers import CourierAccount, CourierService, ServiceArea, ShippingSettings
from .labels import LabelBatch
from .orders import Allocation, Order, OrderEvent, OrderLine
from .shipments import Shipment, ShipmentEvent

__all__ = [
    "Allocation",
    "CourierAccount",
    "CourierService",
    "LabelBatch",
    "Order",
    "OrderEvent",
    "OrderLine",
    "ServiceArea",
    "Shipment",
    "ShipmentEvent",
    "ShippingSettings",
]
from .tracking import (
    EtaSource,
    Notification,
    NotificationSettings,
    PollCursor,
    WebhookReceipt,
)

__all__ += ["EtaSource", "Notification", "NotificationSettings", "PollCursor", "WebhookReceipt"]
