from django.urls import path

from merchant.views import inventory as views

urlpatterns = [
    path("", views.overview, name="inventory"),
    path("ledger/", views.ledger, name="inventory_ledger"),
    path("products/", views.product_list, name="product_list"),
    path("products/options", views.product_options, name="product_options"),
    path("products/new/", views.product_create, name="product_create"),
    path("products/<int:product_id>/", views.product_detail, name="product_detail"),
    path("products/<int:product_id>/edit/", views.product_edit, name="product_edit"),
    path("products/<int:product_id>/active", views.product_active, name="product_active"),
    path("products/<int:product_id>/receive", views.product_receive, name="product_receive"),
    path("products/<int:product_id>/adjust", views.product_adjust, name="product_adjust"),
    path("products/<int:product_id>/threshold", views.product_threshold, name="product_threshold"),
    path("transfers/", views.transfer_list, name="transfer_list"),
    path("transfers/new/", views.transfer_create, name="transfer_create"),
    path("transfers/<int:transfer_id>/", views.transfer_detail, name="transfer_detail"),
    path("transfers/<int:transfer_id>/ship", views.transfer_ship, name="transfer_ship"),
    path("transfers/<int:transfer_id>/receive", views.transfer_receive, name="transfer_receive"),
    path("transfers/<int:transfer_id>/cancel", views.transfer_cancel, name="transfer_cancel"),
    path("import/", views.import_upload, name="inventory_import"),
    path("import/confirm", views.import_confirm, name="inventory_import_confirm"),
    path("export/products.csv", views.export_products, name="inventory_export_products"),
    path("export/stock.csv", views.export_stock, name="inventory_export_stock"),
]
