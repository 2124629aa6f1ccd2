"""Returns pages. Dashboard pages are mounted at app/returns/; the shopper's portal
(`public_patterns`) at returns/. The public routes take the shop's `slug` and a `token` (a
signed portal key, a tracking link's token or a return's own token), never an object id."""

from django.urls import path

from fulfillment.returns.views import dashboard, portal

urlpatterns = [
    path("", dashboard.return_list, name="returns"),
    path("settings/", dashboard.return_settings, name="return_settings"),
    path("receive/", dashboard.return_receive_code, name="return_receive_code"),
    *[
        path(
            f"<int:return_id>/{action}",
            dashboard.return_action,
            {"action": action},
            name=f"return_{action}",
        )
        for action in ("approve", "reject", "receive")
    ],
]

public_patterns = [
    path("<slug:slug>/", portal.portal_start, name="returns_portal"),
    path(
        "<slug:slug>/from/<str:token>/",
        portal.portal_from_tracking,
        name="returns_portal_from_tracking",
    ),
    path("<slug:slug>/o/<str:token>/", portal.portal_order, name="returns_portal_order"),
    path("<slug:slug>/r/<str:token>/", portal.portal_return, name="returns_portal_return"),
    path("<slug:slug>/r/<str:token>/label.pdf", portal.portal_label, name="returns_portal_label"),
]
