from .api_keys import ApiKey
from .health import Heartbeat
from .jobs import Job
from .scoping import MerchantOwned, MerchantOwnedQuerySet, get_for_merchant_or_404
from .tenants import Membership, Merchant, User

__all__ = [
    "ApiKey",
    "Heartbeat",
    "Job",
    "Membership",
    "Merchant",
    "MerchantOwned",
    "MerchantOwnedQuerySet",
    "User",
    "get_for_merchant_or_404",
]
