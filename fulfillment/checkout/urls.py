"""Checkout-rules pages (app/settings/checkout-rules/) and courier-rules pages
(app/couriers/rules/), mounted at app/ in config/urls.py."""

from django.urls import path

from fulfillment.checkout import views

urlpatterns = [
    path("settings/checkout-rules/", views.rule_list, name="checkout_rules"),
    path("settings/checkout-rules/new/", views.rule_create, name="checkout_rule_create"),
    path("settings/checkout-rules/preview", views.rule_preview, name="checkout_rules_preview"),
    path(
        "settings/checkout-rules/<int:checkout_rule_id>/",
        views.rule_edit,
        name="checkout_rule_edit",
    ),
    path(
        "settings/checkout-rules/<int:checkout_rule_id>/move",
        views.rule_move,
        name="checkout_rule_move",
    ),
    path(
        "settings/checkout-rules/<int:checkout_rule_id>/delete",
        views.rule_delete,
        name="checkout_rule_delete",
    ),
    path("couriers/rules/", views.courier_rule_list, name="courier_rules"),
    path("couriers/rules/new/", views.courier_rule_create, name="courier_rule_create"),
    path(
        "couriers/rules/<int:courier_rule_id>/", views.courier_rule_edit, name="courier_rule_edit"
    ),
    path(
        "couriers/rules/<int:courier_rule_id>/move",
        views.courier_rule_move,
        name="courier_rule_move",
    ),
    path(
        "couriers/rules/<int:courier_rule_id>/delete",
        views.courier_rule_delete,
        name="courier_rule_delete",
    ),
]
