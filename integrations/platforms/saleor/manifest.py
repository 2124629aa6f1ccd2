"""The Saleor App manifest Nearbox serves for one connection, and the subscription queries that
shape the webhook payloads we read (integrations/platforms/saleor/mapping.py and shipping.py).

Saleor fetches the manifest when the merchant installs the app from its URL (unguessable: the
connection's webhook token), creates the webhooks it lists and POSTs the app token to
`tokenTargetUrl`. Docs: https://docs.saleor.io/developer/extending/apps/architecture/manifest
"""

from __future__ import annotations

APP_ID = "io.nearbox.fulfilment"
APP_VERSION = "1.0.0"
PERMISSIONS = ["MANAGE_ORDERS", "MANAGE_SHIPPING", "MANAGE_CHECKOUTS"]

ADDRESS = """
  firstName lastName companyName phone
  streetAddress1 streetAddress2 city cityArea postalCode countryArea
  country { code }
"""

# The order as intake reads it. `deliveryMethod` carries the id of the shipping method chosen at
# checkout: ours come back as base64 "app:<app id>:<our method id>".
ORDER_FIELDS = f"""
  id number created updatedAt status isPaid chargeStatus userEmail
  total {{ gross {{ amount currency }} }}
  shippingAddress {{ {ADDRESS} }}
  billingAddress {{ phone }}
  shippingMethodName
  deliveryMethod {{
    __typename
    ... on ShippingMethod {{ id name }}
    ... on Warehouse {{ id name }}
  }}
  lines {{
    productSku productName quantity
    variant {{ sku }}
    unitPrice {{ gross {{ amount currency }} }}
  }}
"""


def _order_subscription(*events: str) -> str:
    fragments = " ".join(
        f"... on {event} {{ issuedAt version order {{ {ORDER_FIELDS} }} }}" for event in events
    )
    return f"subscription {{ event {{ {fragments} }} }}"


ORDER_CREATED_QUERY = _order_subscription("OrderCreated")
# A paid order may come later than its creation (payment captured after checkout).
ORDER_CHANGES_QUERY = _order_subscription("OrderUpdated", "OrderFullyPaid", "OrderCancelled")

# The checkout as delivery options read it: where it goes and what is in the cart. Saleor
# refuses `shippingMethods`/`deliveryMethod` here (they would call this webhook again).
CHECKOUT_FIELDS = f"""
  id channel {{ slug currencyCode }}
  shippingAddress {{ {ADDRESS} }}
  lines {{ quantity variant {{ sku weight {{ unit value }} }} }}
  subtotalPrice {{ gross {{ amount currency }} }}
"""

SHIPPING_LIST_QUERY = (
    "subscription { event { ... on ShippingListMethodsForCheckout { issuedAt version checkout { "
    + CHECKOUT_FIELDS
    + " } } } }"
)
FILTER_SHIPPING_QUERY = (
    "subscription { event { ... on CheckoutFilterShippingMethods { issuedAt version checkout { "
    + CHECKOUT_FIELDS
    + " } shippingMethods { id name price { amount currency } } } } }"
)

# Saleor-Event header values (lower case) and what each means to us.
ORDER_EVENTS = {
    "order_created": "order.created",
    "order_updated": "order.updated",
    "order_fully_paid": "order.updated",
    "order_cancelled": "order.cancelled",
}
LIST_METHODS_EVENT = "shipping_list_methods_for_checkout"
FILTER_METHODS_EVENT = "checkout_filter_shipping_methods"


def build_manifest(
    *,
    name: str,
    app_url: str,
    token_target_url: str,
    order_webhook_url: str,
    shipping_methods_url: str,
    filter_shipping_methods_url: str,
) -> dict:
    """The manifest JSON, with this connection's absolute URLs."""
    return {
        "id": APP_ID,
        "version": APP_VERSION,
        "requiredSaleorVersion": "^3.19",
        "name": name,
        "author": "Nearbox",
        "about": "Nearbox fulfils your orders: home delivery, lockers and pickup shops at "
        "checkout, tracking back on the order.",
        "permissions": PERMISSIONS,
        "appUrl": app_url,
        "tokenTargetUrl": token_target_url,
        "webhooks": [
            {
                "name": "Nearbox: orders",
                "asyncEvents": ["ORDER_CREATED"],
                "query": ORDER_CREATED_QUERY,
                "targetUrl": order_webhook_url,
                "isActive": True,
            },
            {
                "name": "Nearbox: order changes",
                "asyncEvents": ["ORDER_UPDATED", "ORDER_FULLY_PAID", "ORDER_CANCELLED"],
                "query": ORDER_CHANGES_QUERY,
                "targetUrl": order_webhook_url,
                "isActive": True,
            },
            {
                "name": "Nearbox: delivery options",
                "syncEvents": ["SHIPPING_LIST_METHODS_FOR_CHECKOUT"],
                "query": SHIPPING_LIST_QUERY,
                "targetUrl": shipping_methods_url,
                "isActive": True,
            },
            {
                "name": "Nearbox: filter delivery options",
                "syncEvents": ["CHECKOUT_FILTER_SHIPPING_METHODS"],
                "query": FILTER_SHIPPING_QUERY,
                "targetUrl": filter_shipping_methods_url,
                "isActive": True,
            },
        ],
    }
