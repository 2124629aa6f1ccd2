from django.contrib import admin

from fulfillment.models import Allocation, Order, OrderEvent, OrderLine


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    raw_id_fields = ["product"]
    readonly_fields = ["merchant"]


class AllocationInline(admin.TabularInline):
    model = Allocation
    extra = 0
    raw_id_fields = ["line", "point"]
    readonly_fields = ["merchant", "distance_m", "rank", "why", "state"]


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    readonly_fields = ["merchant", "from_status", "to_status", "at", "by", "note"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """For Nearbox operators: stock and status change through the services, so the figures
    that the ledger depends on are read-only here."""

    list_display = [
        "id",
        "merchant",
        "reference",
        "status",
        "address_status",
        "service_level",
        "normalized_postal_code",
        "created_at",
    ]
    list_filter = ["status", "address_status", "service_level", "delivery_kind"]
    search_fields = ["reference", "shopper_name", "shopper_email", "postal_code"]
    raw_id_fields = ["merchant"]
    readonly_fields = ["status", "routing", "idempotency_key", "request_digest", "created_at"]
    date_hierarchy = "created_at"
    list_select_related = ["merchant"]
    inlines = [OrderLineInline, AllocationInline, OrderEventInline]
