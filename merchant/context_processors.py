from django.http import HttpRequest


def current_merchant(request: HttpRequest) -> dict:
    merchant = getattr(request, "merchant", None)
    membership = getattr(request, "membership", None)
    return {
        "current_merchant": merchant if merchant else None,
        "current_membership": membership if membership else None,
    }
