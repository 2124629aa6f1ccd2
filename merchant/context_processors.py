from django.http import HttpRequest

from merchant.navigation import MAIN_NAV, SECONDARY_NAV, nav_links


def current_merchant(request: HttpRequest) -> dict:
    merchant = getattr(request, "merchant", None)
    membership = getattr(request, "membership", None)
    context = {
        "current_merchant": merchant if merchant else None,
        "current_membership": membership if membership else None,
    }
    if context["current_merchant"]:
        context["main_nav"] = nav_links(MAIN_NAV)
        context["secondary_nav"] = nav_links(SECONDARY_NAV)
    return context
