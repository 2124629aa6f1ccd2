from fulfillment.models.couriers import (
    CourierAccount,
    CourierService,
    ServiceArea,
    ShippingSettings,
)
from fulfillment.models.labels import LabelBatch
from fulfillment.models.orders import Allocation, Order, OrderEvent, OrderLine
from fulfillment.models.shipments import Shipment, ShipmentEvent

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
from fulfillment.models.tracking import (
    CourierPosition,
    EtaSource,
    Notification,
    NotificationSettings,
    PollCursor,
    WebhookReceipt,
)

__all__ += [
    "CourierPosition",
    "EtaSource",
    "Notification",
    "NotificationSettings",
    "PollCursor",
    "WebhookReceipt",
]
