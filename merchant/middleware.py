from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from merchant.selectors.tenants import current_membership
from merchant.zones import zone_of


class CurrentMerchantMiddleware:
    """Sets `request.membership` and `request.merchant` for a signed-in person (lazily), and
    activates the merchant's time zone for the request: every page and htmx fragment shows
    times in it. The zone is deactivated afterwards, so a view that activates another one (the
    public tracking page: the shipment's merchant's) cannot leak it into the next request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = SimpleLazyObject(lambda: current_membership(request))
        request.merchant = SimpleLazyObject(
            lambda: request.membership.merchant if request.membership else None
        )
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and request.merchant:
            timezone.activate(zone_of(request.merchant))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
