"""Label pages, mounted at app/labels/: batch printing, a shipment's label, return labels."""

from django.urls import path

from fulfillment.labels.views import batches, labels

urlpatterns = [
    path("", batches.label_batches, name="label_batches"),
    path("<int:batch_id>/", batches.label_batch_detail, name="label_batch_detail"),
    path("<int:batch_id>/labels.pdf", batches.label_batch_pdf, name="label_batch_pdf"),
    path("<int:batch_id>/labels.zpl", batches.label_batch_zpl, name="label_batch_zpl"),
    path("shipments/<int:shipment_id>/", labels.shipment_label, name="shipment_label"),
    path("orders/<int:order_id>/return", labels.order_return_label, name="order_return_label"),
    path("orders/<int:order_id>/returns", labels.order_return_panel, name="order_return_panel"),
    path(
        "orders/<int:order_id>/packing-slip",
        labels.order_packing_slip,
        name="order_packing_slip",
    ),
]
