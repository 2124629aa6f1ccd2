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

# The shipping desk (#19), the own fleet (#16), analytics and fewer failed deliveries (#20):
# each module lists its models in __all__.
from fulfillment.models.analytics import *  # noqa: E402, F403
from fulfillment.models.boxes import *  # noqa: E402, F403
from fulfillment.models.capacity import *  # noqa: E402, F403
from fulfillment.models.checkout import *  # noqa: E402, F403
from fulfillment.models.desk import *  # noqa: E402, F403
from fulfillment.models.fleet import *  # noqa: E402, F403
from fulfillment.models.messaging import *  # noqa: E402, F403
from fulfillment.models.redirects import *  # noqa: E402, F403
from fulfillment.models.returns import *  # noqa: E402, F403
from fulfillment.models.risk import *  # noqa: E402, F403
