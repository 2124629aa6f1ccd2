"""Files on an S3-compatible store (NEARBOX_STORAGE=s3): labels, proofs of delivery, logos and
staged CSV imports are written to the bucket through Django's storage API, and reach only their
merchant through the signed-in views, streamed from the store (never a bucket URL).

The store is a real S3-compatible HTTP server in its own process: moto's server mode. MinIO
would be the first choice, but no package on PyPI, Debian or npm ships its server binary (the
npm and PyPI helpers download it at run time, which this build cannot), see docs/production.md.
"""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone
from PIL import Image

from fulfillment.models import ShipmentEvent
from fulfillment.models.shipments import LabelSource
from fulfillment.orders.services.csv_import import load_order_upload, stage_order_upload
from merchant.services.inventory_csv import load_upload, stage_upload
from tests.factories.couriers import make_shipment
from tests.support.helpers import ARTIFACTS, ROOT, signed_in_client, wait_for

KEY, SECRET, REGION = "nearbox-test", "nearbox-test-secret", "us-east-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3-compatible server on a free port of 127.0.0.1, in its own process."""
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    with open(ARTIFACTS / "ops-s3-server.log", "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:

            def answers() -> bool:
                if proc.poll() is not None:
                    raise AssertionError("the S3 server exited: see ops-s3-server.log")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    return True
                except OSError:
                    return False

            wait_for(answers, timeout=30, what="the S3 server")
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def client_for(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        region_name=REGION,
    )


@pytest.fixture
def bucket(s3_endpoint) -> str:
    name = f"nearbox-{uuid.uuid4().hex[:12]}"
    client_for(s3_endpoint).create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_storage(settings, s3_endpoint, bucket) -> str:
    """The default storage on the bucket, as settings.py builds it for NEARBOX_STORAGE=s3."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": s3_endpoint,
                "access_key": KEY,
                "secret_key": SECRET,
                "region_name": REGION,
                "default_acl": "private",
                "querystring_auth": True,
                "file_overwrite": False,
                "signature_version": "s3v4",
            },
        },
    }
    return bucket


def keys(endpoint: str, bucket: str) -> set[str]:
    listing = client_for(endpoint).list_objects_v2(Bucket=bucket)
    return {item["Key"] for item in listing.get("Contents", [])}


def stored(endpoint: str, bucket: str, key: str) -> bytes:
    return client_for(endpoint).get_object(Bucket=bucket, Key=key)["Body"].read()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (2, 2), "blue").save(out, format="PNG")
    return out.getvalue()


@pytest.mark.django_db
def test_a_label_and_a_proof_live_in_the_bucket_and_reach_only_their_merchant(
    s3_endpoint, s3_storage, settings, merchant_a, merchant_b, client_a
):
    shipment = make_shipment(merchant_a.merchant)
    label = b"%PDF-1.4 the courier's label"
    shipment.label.save("courier.pdf", ContentFile(label), save=False)
    shipment.label_source = LabelSource.COURIER
    shipment.save(update_fields=["label", "label_source"])
    event = ShipmentEvent.objects.create(
        merchant=shipment.merchant,
        shipment=shipment,
        event_id="proof-s3",
        status="delivered",
        occurred_at=timezone.now(),
        source="driver",
        proof=ContentFile(png(), name="door.png"),
    )
    assert default_storage.__class__.__name__ == "S3Storage"
    assert {shipment.label.name, event.proof.name} <= keys(s3_endpoint, s3_storage)
    assert shipment.label.name.startswith("labels/") and event.proof.name.startswith("proofs/")
    assert stored(s3_endpoint, s3_storage, shipment.label.name) == label
    # Nothing went to the local disk.
    assert not (Path(settings.MEDIA_ROOT) / shipment.label.name).exists()

    label_url = f"/app/labels/shipments/{shipment.pk}/"
    response = client_a.get(label_url)
    assert response.status_code == 200 and response.content == label
    proof_url = f"/app/couriers/shipments/{shipment.pk}/events/{event.pk}/proof"
    page = client_a.get(f"/app/couriers/shipments/{shipment.pk}/").content.decode()
    assert proof_url in page
    assert s3_endpoint not in page and "X-Amz-Signature" not in page  # no bucket URL shown
    response = client_a.get(proof_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png()

    other = signed_in_client(merchant_b)
    assert other.get(label_url).status_code == 404
    assert other.get(proof_url).status_code == 404
    assert Client().get(proof_url).status_code == 302  # to the sign-in page


@pytest.mark.django_db
def test_a_logo_is_served_from_the_bucket_by_its_own_view(s3_endpoint, s3_storage, merchant_a):
    merchant = merchant_a.merchant
    merchant.logo.save("logo.png", ContentFile(png()), save=True)
    assert merchant.logo.name in keys(s3_endpoint, s3_storage)
    response = Client().get(f"/brand/{merchant.slug}/logo")
    assert response.status_code == 200 and b"".join(response.streaming_content) == png()


@pytest.mark.django_db
def test_staged_imports_are_objects_any_machine_can_read(
    s3_endpoint, s3_storage, merchant_a, merchant_b
):
    merchant = merchant_a.merchant
    data = b"sku,point,on_hand\nS3-SKU,Main,5\n"
    import_id = stage_upload(merchant=merchant, kind="stock", filename="../../stock.csv", data=data)
    assert {
        f"imports/{merchant.pk}/{import_id}.csv",
        f"imports/{merchant.pk}/{import_id}.json",
    } <= (keys(s3_endpoint, s3_storage))
    assert load_upload(merchant, import_id) == ("stock", "stock.csv", data)

    orders = b"reference,email\nR-1,a@example.com\n"
    order_import = stage_order_upload(merchant=merchant, filename="orders.csv", data=orders)
    assert f"imports/{merchant.pk}/orders-{order_import}.csv" in keys(s3_endpoint, s3_storage)
    assert load_order_upload(merchant, order_import) == ("orders.csv", orders)

    # Another merchant's id, an unknown one or a path: "no longer available", nothing read.
    for merchant_asked, asked in (
        (merchant_b.merchant, import_id),
        (merchant, uuid.uuid4().hex),
        (merchant, "../" + import_id),
    ):
        with pytest.raises(ValidationError, match="no longer available"):
            load_upload(merchant_asked, asked)


def run_settings(env: dict[str, str], code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_nearbox_storage_s3_in_the_environment_writes_to_the_bucket(s3_endpoint, bucket):
    """settings.py's own wiring, as a web or worker machine starts: env in, objects out, and any
    URL the storage makes is presigned (expires), never a public object address."""
    import os

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": str(ROOT),
        "NEARBOX_STORAGE": "s3",
        "NEARBOX_S3_BUCKET": bucket,
        "NEARBOX_S3_ENDPOINT_URL": s3_endpoint,
        "NEARBOX_S3_REGION": REGION,
        "NEARBOX_S3_ACCESS_KEY_ID": KEY,
        "NEARBOX_S3_SECRET_ACCESS_KEY": SECRET,
        "NEARBOX_S3_PREFIX": "shop-media",
    }
    code = (
        "from django.core.files.base import ContentFile;"
        "from django.core.files.storage import default_storage as s;"
        "n = s.save('labels/x.pdf', ContentFile(b'%PDF-1.4 x'));"
        "m = s.save('labels/x.pdf', ContentFile(b'%PDF-1.4 y'));"
        "print(n); print(m); print(s.url(n))"
    )
    done = run_settings(env, code)
    assert done.returncode == 0, done.stderr
    first, second, url = done.stdout.split()
    assert first == "labels/x.pdf" and second != first  # never overwritten, like the disk
    assert {f"shop-media/{first}", f"shop-media/{second}"} <= keys(s3_endpoint, bucket)
    assert stored(s3_endpoint, bucket, f"shop-media/{first}") == b"%PDF-1.4 x"
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=300" in url

    missing = run_settings({**env, "NEARBOX_S3_BUCKET": ""}, "")
    assert missing.returncode != 0 and "NEARBOX_S3_BUCKET" in missing.stderr
    unknown = run_settings({**env, "NEARBOX_STORAGE": "ftp"}, "")
    assert unknown.returncode != 0 and "NEARBOX_STORAGE must be local or s3" in unknown.stderr
