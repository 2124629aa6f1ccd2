"""A large CSV import runs as a background job in a real Celery worker, with progress."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from merchant.models import Job, Product
from tests.support.helpers import signed_in_client, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

HEADER = "sku,name,weight_g,length_mm,width_mm,height_mm,value"


def test_a_1500_row_products_file_is_imported_by_the_worker(celery_worker, merchant_a):
    client = signed_in_client(merchant_a)
    rows = "".join(f"BULK-{n:04d},Bulk item {n},{n + 1},10,10,10,{n}\n" for n in range(1500))
    upload = SimpleUploadedFile("bulk.csv", f"{HEADER}\n{rows}".encode(), "text/csv")
    preview = client.post(reverse("inventory_import"), {"kind": "products", "file": upload})
    assert preview.context["plan"].in_background
    import_id = preview.context["confirm_form"].initial["import_id"]

    response = client.post(reverse("inventory_import_confirm"), {"import_id": import_id})
    job = Job.objects.get(merchant=merchant_a.merchant, kind="inventory.import_csv")
    assert response.url == reverse("job_detail", args=[job.pk])

    wait_for(lambda: Job.objects.get(pk=job.pk).is_finished, timeout=60)
    job.refresh_from_db()
    assert job.state == "succeeded", job.error
    assert (job.done, job.total) == (1500, 1500)
    assert job.result_url == reverse("product_list")
    assert Product.objects.filter(merchant=merchant_a.merchant).count() == 1500
    page = client.get(reverse("job_detail", args=[job.pk])).content.decode()
    assert "1500 products created" in page
