from merchant.models import Merchant, PlacementPlan, get_for_merchant_or_404


def get_plan_for_merchant(merchant: Merchant, plan_id: object) -> PlacementPlan:
    return get_for_merchant_or_404(PlacementPlan, merchant, plan_id)
