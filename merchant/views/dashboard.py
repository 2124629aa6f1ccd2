from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from merchant.dashboard_cards import cards_for
from merchant.decorators import merchant_required
from merchant.models import Job

CARDS_REFRESH_SECONDS = 15

# Areas whose pages arrive with later capabilities: what each will hold.
AREAS = {
    "orders": ("Orders", "Orders from the API, CSV imports and checkout will be listed here."),
    "couriers": ("Couriers", "Courier accounts, services and rate cards."),
    "shipments": ("Shipments", "Every parcel with its courier, status and ETA."),
    "pickup-network": ("Pickup network", "Lockers and pickup shops offered at checkout."),
    "labels": ("Labels", "Shipping labels and batch printing."),
}


def home(request: HttpRequest) -> HttpResponse:
    return redirect("dashboard" if request.user.is_authenticated else "login")


@merchant_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The Today page; an htmx request gets only the count cards (they poll themselves)."""
    cards = {"cards": cards_for(request.merchant), "cards_refresh_seconds": CARDS_REFRESH_SECONDS}
    if request.htmx:
        return render(request, "merchant/_dashboard_cards.html", cards)
    recent_jobs = Job.objects.for_merchant(request.merchant)[:5]
    work_cards = [card for card in cards["cards"] if card.work]
    return render(
        request,
        "merchant/dashboard.html",
        {
            "nav_active": "today",
            "recent_jobs": recent_jobs,
            "api_docs_url": reverse("api-v1:openapi-view"),
            # Link to the work while any work card counts something, else say there is none.
            "has_work": any(card.count for card in work_cards),
            "work_cards": work_cards,
            **cards,
        },
    )


@merchant_required
def area(request: HttpRequest, slug: str) -> HttpResponse:
    if slug not in AREAS:
        raise Http404("No such area.")
    title, text = AREAS[slug]
    return render(
        request,
        "merchant/area_placeholder.html",
        {"nav_active": slug, "area_title": title, "area_text": text},
    )
