from __future__ import annotations

from django.http import HttpRequest

from merchant.models import ApiKey, Job, Membership, Merchant, get_for_merchant_or_404

SESSION_MERCHANT_KEY = "nearbox_merchant_id"


def current_membership(request: HttpRequest) -> Membership | None:
    """The membership the signed-in person works in: the one chosen in the session, else the
    first."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    memberships = Membership.objects.select_related("merchant").filter(user=user)
    chosen = request.session.get(SESSION_MERCHANT_KEY)
    if chosen:
        membership = memberships.filter(merchant_id=chosen).first()
        if membership:
            return membership
    return memberships.order_by("created_at", "pk").first()


def get_membership_for_merchant(merchant: Merchant, membership_id: object) -> Membership:
    return get_for_merchant_or_404(Membership, merchant, membership_id)


def get_api_key_for_merchant(merchant: Merchant, key_id: object) -> ApiKey:
    return get_for_merchant_or_404(ApiKey, merchant, key_id)


def get_job_for_merchant(merchant: Merchant, job_id: object) -> Job:
    return get_for_merchant_or_404(Job, merchant, job_id)
