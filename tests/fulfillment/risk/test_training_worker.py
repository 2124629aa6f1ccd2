"""Training through the real pipeline once: the settings page's button enqueues the task after
commit, a Celery worker process trains on the shop's history, and the page shows the model."""

from __future__ import annotations

import pytest

from fulfillment.models.risk import AddressRiskModel
from tests.fulfillment.risk.test_services_and_api import seed_history
from tests.support.helpers import signed_in_client, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_train_button_trains_in_the_worker_and_the_page_shows_the_model(
    celery_worker, merchant_a
):
    seed_history(merchant_a.merchant)
    client = signed_in_client(merchant_a)
    assert client.post("/app/address-risk/train").status_code == 302
    model = wait_for(
        lambda: AddressRiskModel.objects.filter(merchant=merchant_a.merchant).first(),
        timeout=60,
        what="the model trained by the worker",
    )
    assert model.kind == "trained" and model.metrics["auc"] > 0.7
    page = client.get("/app/address-risk/").content.decode()
    assert f"{model.metrics['auc']}" in page and "<svg" in page
