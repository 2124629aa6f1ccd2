from .api_keys import ApiKey
from .demand import DemandRecord, PlacementPlan
from .health import Heartbeat
from .jobs import Job
from .points import StoragePoint
from .products import Product
from .scoping import MerchantOwned, MerchantOwnedQuerySet, get_for_merchant_or_404
from .stock import StockLevel, StockMovement, Transfer, TransferLine
from .tenants import Membership, Merchant, User

__all__ = [
    "ApiKey",
    "DemandRecord",
    "Heartbeat",
    "Job",
    "Membership",
    "Merchant",
    "MerchantOwned",
    "MerchantOwnedQuerySet",
    "PlacementPlan",
    "Product",
    "StockLevel",
    "StockMovement",
    "StoragePoint",
    "Transfer",
    "TransferLine",
    "User",
    "get_for_merchant_or_404",
]
