from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from merchant.selectors.tenants import current_membership


class CurrentMerchantMiddleware:
    """Sets `request.membership` and `request.merchant` for a signed-in person (lazily)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = SimpleLazyObject(lambda: current_membership(request))
        request.merchant = SimpleLazyObject(
            lambda: request.membership.merchant if request.membership else None
        )
        return self.get_response(request)
