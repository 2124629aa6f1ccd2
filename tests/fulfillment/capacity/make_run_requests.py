"""`make run`'s path for the address risk and capacity advice: the requests that
tests/test_embedded_default.py makes on its SQLite demo (migrated and loaded by `seed_demo` once
for that module), through Django's test client in that process: every page and API of both,
with ordinary and hostile values. The demo is loaded once because loading it takes a minute."""

REQUESTS = r"""
import json
from django.test import Client
from demo.seeders.merchant import DEMO_SLUG
from merchant.models import Merchant
from merchant.services.api_keys import issue_api_key
from fulfillment.models import CourierPickup
from fulfillment.models.risk import AddressRiskSettings

import logging
warnings = []
class Keep(logging.Handler):
    def emit(self, record):
        warnings.append(self.format(record))
keep = Keep()
keep.setFormatter(logging.Formatter("%(message)s"))
logging.getLogger("fulfillment.risk.checkout").addHandler(keep)
merchant = Merchant.objects.get(slug=DEMO_SLUG)
secret = issue_api_key(merchant=merchant, kind="secret", name="review").raw
public = issue_api_key(
    merchant=merchant, kind="publishable", name="review", allowed_origins=["http://localhost:8000"]
).raw
api = Client(headers={"Authorization": f"Bearer {secret}"}, raise_request_exception=False)
shop = Client(
    headers={"X-Nearbox-Key": public, "Origin": "http://localhost:8000"},
    raise_request_exception=False,
)
page = Client(raise_request_exception=False)
from merchant.models import Membership
user = Membership.objects.filter(merchant=merchant).first().user
page.force_login(user)
pickup = CourierPickup.objects.for_merchant(merchant).first()
out = {}
def hit(label, response):
    out[label] = [response.status_code, response.content.decode(errors="replace")]

settings_rows_before = AddressRiskSettings.objects.filter(merchant=merchant).count()
for value in ("", "abc", "\x00", "1" * 40):
    hit(f"page capacity point={value!r}", page.get("/app/capacity/", {"point": value}))
hit("page capacity post", page.post("/app/capacity/", {"max_parcels": "1e999", "dates": "\x00"}))
hit("page pickup edit", page.get(f"/app/capacity/pickups/{pickup.pk}/"))
hit("page risk", page.get("/app/address-risk/"))
for value in ("20", "nan", "\x00"):
    preview = page.get("/app/address-risk/preview", {"threshold_percent": value})
    hit(f"page risk preview {value!r}", preview)
hit("api capacity", api.get("/api/v1/capacity"))
hit("api capacity point=nan", api.get("/api/v1/capacity", {"point": "nan"}))
hit("api pickups", api.get("/api/v1/capacity/pickups"))
hit("api pickup", api.get(f"/api/v1/capacity/pickups/{pickup.pk}"))
hit("api pickup put hostile", api.put(
    f"/api/v1/capacity/pickups/{pickup.pk}",
    json.dumps({"point_id": 10**30, "account_id": "x", "max_parcels": 1e300}),
    content_type="application/json",
))
hit("api risk", api.get("/api/v1/address-risk"))
hit("api risk preview", api.get("/api/v1/address-risk/preview", {"threshold": "0.2"}))
hit("api risk preview inf", api.get("/api/v1/address-risk/preview", {"threshold": "inf"}))
hit("api risk order unknown", api.get("/api/v1/address-risk/orders/999999999"))
for street in ("1600 N Lake Shore Dr Apartments", "PO Box 12", "x\x00y"):
    hit(f"shop options {street!r}", shop.get("/api/v1/delivery-options", {
        "postal_code": "60614", "weight_g": 500, "length_mm": 300, "width_mm": 200,
        "height_mm": 50, "street": street, "company": "Acme LLC",
    }))
out["settings rows written by the shopper"] = [
    AddressRiskSettings.objects.filter(merchant=merchant).count() - settings_rows_before, ""
]
out["risk warnings"] = [len(warnings), "\n".join(warnings)]
print(json.dumps(out))
"""
