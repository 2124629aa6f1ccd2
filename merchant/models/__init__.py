from merchant.models.api_keys import ApiKey
from merchant.models.demand import DemandRecord, PlacementPlan
from merchant.models.health import Heartbeat
from merchant.models.jobs import Job
from merchant.models.points import StoragePoint
from merchant.models.products import Product
from merchant.models.scoping import MerchantOwned, MerchantOwnedQuerySet, get_for_merchant_or_404
from merchant.models.stock import StockLevel, StockMovement, Transfer, TransferLine
from merchant.models.tenants import Membership, Merchant, User

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
