"""Inventory pages: stock overview, ledger, products, transfers, CSV import and export."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from merchant.decorators import merchant_required
from merchant.form_errors import add_service_errors
from merchant.forms.inventory import (
    AdjustStockForm,
    ImportConfirmForm,
    ImportUploadForm,
    LedgerFilterForm,
    ProductForm,
    ProductSearchForm,
    ReceiveStockForm,
    ThresholdForm,
    TransferFilterForm,
    TransferForm,
    TransferLineFormSet,
)
from merchant.models import Product
from merchant.selectors import inventory as selectors
from merchant.services import inventory_csv, products, stock, transfers

PRODUCTS_PER_PAGE = 25
ROWS_PER_PAGE = 50
NAV = "inventory"


def _page(request: HttpRequest, items, per_page: int = ROWS_PER_PAGE):
    return Paginator(items, per_page).get_page(request.GET.get("page"))


# --- Overview and ledger --------------------------------------------------------------------


@merchant_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant
    points = list(selectors.active_points(merchant))
    page = _page(request, selectors.products_with_totals(merchant), PRODUCTS_PER_PAGE)
    alerts = selectors.low_stock_levels(merchant)
    return render(
        request,
        "merchant/inventory/overview.html",
        {
            "points": points,
            "page_obj": page,
            "rows": selectors.availability_matrix(merchant, list(page), points),
            "alerts": alerts[:50],
            "alert_count": alerts.count(),
            "nav_active": NAV,
        },
    )


@merchant_required
@require_GET
def ledger(request: HttpRequest) -> HttpResponse:
    form = LedgerFilterForm(request.GET or None, merchant=request.merchant)
    filters = form.cleaned_data if form.is_valid() else {}
    movements = selectors.ledger(
        request.merchant,
        point=filters.get("point"),
        product=filters.get("product"),
        kind=filters.get("kind", ""),
    )
    template = (
        "merchant/inventory/_ledger_table.html"
        if request.htmx
        else "merchant/inventory/ledger.html"
    )
    return render(
        request,
        template,
        {"form": form, "page_obj": _page(request, movements), "nav_active": NAV},
    )


# --- Products -------------------------------------------------------------------------------


@merchant_required
@require_GET
def product_options(request: HttpRequest) -> HttpResponse:
    """Datalist options for a product box (merchant.forms.products.ProductField). htmx sends the
    box's value under the box's own name (`lines-0-product` in a formset), so take the one value."""
    term = request.GET.get("q") or next(iter(request.GET.values()), "")
    return render(
        request,
        "merchant/inventory/_product_options.html",
        {"products": selectors.search_products(request.merchant, term)},
    )


@merchant_required
@require_GET
def product_list(request: HttpRequest) -> HttpResponse:
    form = ProductSearchForm(request.GET or None)
    search = form.cleaned_data["q"] if form.is_valid() else ""
    page = _page(
        request, selectors.products_with_totals(request.merchant, search=search), PRODUCTS_PER_PAGE
    )
    template = (
        "merchant/inventory/_product_table.html"
        if request.htmx
        else "merchant/inventory/product_list.html"
    )
    return render(
        request, template, {"form": form, "page_obj": page, "search": search, "nav_active": NAV}
    )


@merchant_required
@require_http_methods(["GET", "POST"])
def product_create(request: HttpRequest) -> HttpResponse:
    form = ProductForm(request.POST or None, unit_system=request.merchant.unit_system)
    if request.method == "POST" and form.is_valid():
        try:
            product = products.create_product(merchant=request.merchant, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Product {product.sku} created.")
            return redirect("product_detail", product_id=product.pk)
    return render(
        request, "merchant/inventory/product_form.html", {"form": form, "nav_active": NAV}
    )


@merchant_required
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, product_id: int) -> HttpResponse:
    product = selectors.get_product_for_merchant(request.merchant, product_id)
    initial = {name: getattr(product, name) for name in products.EDITABLE_FIELDS}
    form = ProductForm(
        request.POST or None, initial=initial, unit_system=request.merchant.unit_system
    )
    if request.method == "POST" and form.is_valid():
        try:
            products.update_product(product=product, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Product {product.sku} saved.")
            return redirect("product_detail", product_id=product.pk)
    return render(
        request,
        "merchant/inventory/product_form.html",
        {"form": form, "product": product, "nav_active": NAV},
    )


def _render_product(request: HttpRequest, product: Product, status: int = 200, **forms):
    merchant = request.merchant
    levels = {lv.point_id: lv for lv in selectors.levels_of_product(product)}
    points = {p.pk: p for p in selectors.active_points(merchant)}
    points.update({lv.point_id: lv.point for lv in levels.values()})
    rows = [
        {"point": point, "level": levels.get(pk)}
        for pk, point in sorted(points.items(), key=lambda item: item[1].name)
    ]
    context = {
        "product": product,
        "rows": rows,
        "movements": selectors.ledger(merchant, product=product)[:50],
        "receive_form": forms.get("receive_form") or ReceiveStockForm(merchant=merchant),
        "adjust_form": forms.get("adjust_form") or AdjustStockForm(merchant=merchant),
        "threshold_form": forms.get("threshold_form") or ThresholdForm(merchant=merchant),
        "nav_active": NAV,
    }
    return render(request, "merchant/inventory/product_detail.html", context, status=status)


@merchant_required
@require_GET
def product_detail(request: HttpRequest, product_id: int) -> HttpResponse:
    return _render_product(
        request, selectors.get_product_for_merchant(request.merchant, product_id)
    )


@merchant_required
@require_POST
def product_active(request: HttpRequest, product_id: int) -> HttpResponse:
    product = selectors.get_product_for_merchant(request.merchant, product_id)
    active = request.POST.get("active") == "1"
    products.set_product_active(product=product, active=active)
    messages.success(
        request, f"Product {product.sku} is {'active again' if active else 'deactivated'}."
    )
    return redirect("product_detail", product_id=product.pk)


def _stock_action(request: HttpRequest, product_id: int, form_class, form_key: str, action):
    product = selectors.get_product_for_merchant(request.merchant, product_id)
    form = form_class(request.POST, merchant=request.merchant)
    if form.is_valid():
        try:
            message = action(product, form.cleaned_data)
        except (ValidationError, stock.OutOfStock) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, message)
            return redirect("product_detail", product_id=product.pk)
    return _render_product(request, product, status=422, **{form_key: form})


@merchant_required
@require_POST
def product_receive(request: HttpRequest, product_id: int) -> HttpResponse:
    def receive(product: Product, data: dict) -> str:
        stock.receive_stock(
            merchant=request.merchant,
            product=product,
            point=data["point"],
            quantity=data["quantity"],
            reason=data["reason"],
            user=request.user,
        )
        return f"Received {data['quantity']} × {product.sku} at {data['point']}."

    return _stock_action(request, product_id, ReceiveStockForm, "receive_form", receive)


@merchant_required
@require_POST
def product_adjust(request: HttpRequest, product_id: int) -> HttpResponse:
    def adjust(product: Product, data: dict) -> str:
        stock.adjust_stock(
            merchant=request.merchant,
            product=product,
            point=data["point"],
            delta=data["delta"],
            reason=data["reason"],
            user=request.user,
        )
        return f"Adjusted {product.sku} at {data['point']} by {data['delta']:+d}."

    return _stock_action(request, product_id, AdjustStockForm, "adjust_form", adjust)


@merchant_required
@require_POST
def product_threshold(request: HttpRequest, product_id: int) -> HttpResponse:
    def set_threshold(product: Product, data: dict) -> str:
        products.set_low_stock_threshold(
            merchant=request.merchant,
            product=product,
            point=data["point"],
            threshold=data["low_stock_threshold"],
        )
        return (
            f"Low-stock threshold of {product.sku} at {data['point']} set to "
            f"{data['low_stock_threshold']}."
        )

    return _stock_action(request, product_id, ThresholdForm, "threshold_form", set_threshold)


# --- Transfers ------------------------------------------------------------------------------


@merchant_required
@require_GET
def transfer_list(request: HttpRequest) -> HttpResponse:
    form = TransferFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = _page(request, selectors.transfers(request.merchant, status=status))
    return render(
        request,
        "merchant/inventory/transfer_list.html",
        {"form": form, "page_obj": page, "status": status, "nav_active": NAV},
    )


@merchant_required
@require_http_methods(["GET", "POST"])
def transfer_create(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant
    data = request.POST if request.method == "POST" else None
    form = TransferForm(data, merchant=merchant)
    lines = TransferLineFormSet(data, prefix="lines", form_kwargs={"merchant": merchant})
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        try:
            transfer = transfers.create_transfer(
                merchant=merchant,
                from_point=form.cleaned_data["from_point"],
                to_point=form.cleaned_data["to_point"],
                lines=lines.lines(),
                note=form.cleaned_data["note"],
                user=request.user,
            )
        except (ValidationError, stock.OutOfStock) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Transfer {transfer.pk} requested; the units are held.")
            return redirect("transfer_detail", transfer_id=transfer.pk)
    return render(
        request,
        "merchant/inventory/transfer_form.html",
        {"form": form, "lines": lines, "nav_active": NAV},
        status=422 if request.method == "POST" else 200,
    )


@merchant_required
@require_GET
def transfer_detail(request: HttpRequest, transfer_id: int) -> HttpResponse:
    transfer = selectors.get_transfer_for_merchant(request.merchant, transfer_id)
    return render(
        request,
        "merchant/inventory/transfer_detail.html",
        {
            "transfer": transfer,
            "lines": transfer.lines.select_related("product").order_by("product__sku"),
            "nav_active": NAV,
        },
    )


def _transfer_step(request: HttpRequest, transfer_id: int, step, done: str) -> HttpResponse:
    transfer = selectors.get_transfer_for_merchant(request.merchant, transfer_id)
    try:
        step(transfer=transfer, user=request.user)
    except (ValidationError, stock.OutOfStock) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, f"Transfer {transfer.pk} {done}.")
    return redirect("transfer_detail", transfer_id=transfer.pk)


@merchant_required
@require_POST
def transfer_ship(request: HttpRequest, transfer_id: int) -> HttpResponse:
    return _transfer_step(request, transfer_id, transfers.ship_transfer, "is in transit")


@merchant_required
@require_POST
def transfer_receive(request: HttpRequest, transfer_id: int) -> HttpResponse:
    return _transfer_step(request, transfer_id, transfers.receive_transfer, "is received")


@merchant_required
@require_POST
def transfer_cancel(request: HttpRequest, transfer_id: int) -> HttpResponse:
    return _transfer_step(request, transfer_id, transfers.cancel_transfer, "is cancelled")


# --- CSV import and export ------------------------------------------------------------------


def _render_preview(request: HttpRequest, plan, import_id: str, status: int = 200):
    return render(
        request,
        "merchant/inventory/import_preview.html",
        {
            "plan": plan,
            "kind_label": inventory_csv.KINDS[plan.kind],
            "confirm_form": ImportConfirmForm(initial={"import_id": import_id}),
            "upload_form": ImportUploadForm(initial={"kind": plan.kind}),
            "background_above": inventory_csv.BACKGROUND_ABOVE,
            "nav_active": NAV,
        },
        status=status,
    )


@merchant_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        try:
            import_id = inventory_csv.stage_upload(
                merchant=request.merchant,
                kind=form.cleaned_data["kind"],
                filename=uploaded.name,
                data=uploaded.read(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            plan = inventory_csv.preview_import(merchant=request.merchant, import_id=import_id)
            return _render_preview(request, plan, import_id, status=200 if plan.ok else 422)
    return render(
        request,
        "merchant/inventory/import.html",
        {"form": form, "nav_active": NAV},
        status=422 if request.method == "POST" else 200,
    )


@merchant_required
@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    form = ImportConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That upload is no longer available; upload the file again.")
        return redirect("inventory_import")
    import_id = form.cleaned_data["import_id"]
    try:
        confirmed = inventory_csv.confirm_import(
            merchant=request.merchant, import_id=import_id, user=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        try:
            plan = inventory_csv.preview_import(merchant=request.merchant, import_id=import_id)
        except ValidationError:
            return redirect("inventory_import")
        return _render_preview(request, plan, import_id, status=422)
    if confirmed.job:
        messages.info(request, "The import runs in the background; this page shows its progress.")
        return redirect("job_detail", job_id=confirmed.job.pk)
    messages.success(request, f"Imported: {confirmed.result.message}")
    if confirmed.result.kind == inventory_csv.PRODUCTS:
        return redirect("product_list")
    return redirect("inventory")


def _csv_download(lines, name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response


@merchant_required
@require_GET
def export_products(request: HttpRequest) -> StreamingHttpResponse:
    return _csv_download(inventory_csv.export_products(request.merchant), "products")


@merchant_required
@require_GET
def export_stock(request: HttpRequest) -> StreamingHttpResponse:
    return _csv_download(inventory_csv.export_stock(request.merchant), "stock-counts")
