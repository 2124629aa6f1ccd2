"""Settings pages: the shop, its members and its API keys (owners only for the last two)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from merchant.decorators import merchant_required, owner_required
from merchant.forms.accounts import AddMemberForm, ApiKeyForm, MemberRoleForm, MerchantSettingsForm
from merchant.models import ApiKey, Membership
from merchant.selectors.tenants import get_api_key_for_merchant, get_membership_for_merchant
from merchant.services import api_keys, merchants
from merchant.services.shopify import rotate_shopify_token, shopify_callback_url

ISSUED_KEY_SESSION = "nearbox_issued_api_key"


@merchant_required
@require_http_methods(["GET", "POST"])
def merchant_settings(request: HttpRequest) -> HttpResponse:
    can_edit = request.membership.is_owner
    form = MerchantSettingsForm(
        request.POST or None, request.FILES or None, instance=request.merchant
    )
    if request.method == "POST":
        if not can_edit:
            messages.error(request, "Only an owner can change the shop's settings.")
            return redirect("settings_merchant")
        if request.POST.get("action") == "rotate_shopify":
            rotate_shopify_token(merchant=request.merchant)
            messages.success(
                request, "New Shopify callback URL made; the old one stops working now."
            )
            return redirect("settings_merchant")
        if form.is_valid():
            form.save()
            messages.success(request, "Settings saved.")
            return redirect("settings_merchant")
    return render(
        request,
        "merchant/settings/merchant.html",
        {
            "form": form,
            "can_edit": can_edit,
            "shopify_callback_url": shopify_callback_url(request.merchant),
            "nav_active": "settings",
            "tab": "shop",
        },
    )


@owner_required
@require_http_methods(["GET", "POST"])
def members(request: HttpRequest) -> HttpResponse:
    form = AddMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = merchants.add_member(
                merchant=request.merchant,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                request=request,
            )
        except ValidationError as exc:
            form.add_error("email", exc)
        else:
            messages.success(request, f"{membership.user.email} was added and sent an email.")
            return redirect("settings_members")
    memberships = Membership.objects.for_merchant(request.merchant).select_related("user")
    return render(
        request,
        "merchant/settings/members.html",
        {
            "form": form,
            "memberships": memberships,
            "roles": Membership.Role.choices,
            "nav_active": "settings",
            "tab": "members",
        },
    )


@owner_required
@require_POST
def member_role(request: HttpRequest, member_id: int) -> HttpResponse:
    membership = get_membership_for_merchant(request.merchant, member_id)
    form = MemberRoleForm(request.POST)
    if form.is_valid():
        try:
            merchants.change_member_role(membership=membership, role=form.cleaned_data["role"])
            messages.success(request, f"{membership.user.email} is now {membership.role}.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, "Choose a role.")
    return redirect("settings_members")


@owner_required
@require_POST
def member_remove(request: HttpRequest, member_id: int) -> HttpResponse:
    membership = get_membership_for_merchant(request.merchant, member_id)
    try:
        merchants.remove_member(membership=membership)
        messages.success(request, f"{membership.user.email} no longer has access.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("settings_members")


@owner_required
@require_http_methods(["GET", "POST"])
def api_key_list(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            new_key = api_keys.issue_api_key(
                merchant=request.merchant,
                kind=form.cleaned_data["kind"],
                name=form.cleaned_data["name"],
                allowed_origins=form.cleaned_data["allowed_origins"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            # Post/redirect/get, so that reloading the page cannot issue a second key: the
            # full key rides in the session until the next page, which shows it and drops it.
            request.session[ISSUED_KEY_SESSION] = [new_key.api_key.pk, new_key.raw]
            return redirect("settings_api_keys")
    elif request.method == "GET" and ISSUED_KEY_SESSION in request.session:
        key_id, raw = request.session.pop(ISSUED_KEY_SESSION)
        new_key = ApiKey.objects.for_merchant(request.merchant).filter(pk=key_id).first()
        issued = api_keys.IssuedKey(new_key, raw) if new_key else None
    keys = ApiKey.objects.for_merchant(request.merchant)
    response = render(
        request,
        "merchant/settings/api_keys.html",
        {"form": form, "keys": keys, "issued": issued, "nav_active": "settings", "tab": "keys"},
    )
    if issued:
        # The full key is in this response only: keep it out of every cache.
        response["Cache-Control"] = "no-store"
    return response


@owner_required
@require_POST
def api_key_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    api_key = api_keys.revoke_api_key(api_key=get_api_key_for_merchant(request.merchant, key_id))
    messages.success(request, f"Key “{api_key.name}” is revoked; requests using it now fail.")
    return redirect("settings_api_keys")
