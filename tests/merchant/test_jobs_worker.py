"""Background jobs through the real pipeline: Redis broker, a celery worker process, the
Job row and the htmx progress fragment."""

import uuid
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from merchant.models import Job
from merchant.services import jobs
from merchant.tasks import run_job_task
from tests.support.helpers import WORKER_LOG, signed_in_client, wait_for
from tests.support.jobs import runs_key

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def runs(job: Job) -> int:
    return int(redis.Redis.from_url(settings.REDIS_URL).get(runs_key(job.pk)) or 0)


def worker_log_has(text: str) -> bool:
    return text in (WORKER_LOG).read_text()


def test_job_runs_in_a_worker_and_the_fragment_shows_progress_then_stops_polling(
    celery_worker, merchant_a
):
    client = signed_in_client(merchant_a)
    job = jobs.start_job(
        merchant=merchant_a.merchant, kind="tests.count", params={"steps": 8, "sleep": 0.4}
    )
    url = reverse("job_progress", args=[job.pk])

    def midway():
        response = client.get(url, headers={"HX-Request": "true"})
        job.refresh_from_db()
        return response if job.state == Job.State.RUNNING and 0 < job.done < 8 else None

    response = wait_for(midway, timeout=30, every=0.1)
    assert response.status_code == 200
    assert 'hx-trigger="every 1s"' in response.content.decode()
    assert "of 8 done" in response.content.decode()

    wait_for(lambda: Job.objects.get(pk=job.pk).is_finished, timeout=30)
    final = client.get(url, headers={"HX-Request": "true"})
    assert final.status_code == 286  # htmx stops polling
    assert "hx-trigger" not in final.content.decode()
    job.refresh_from_db()
    assert (job.state, job.done, job.total, job.result["counted"]) == ("succeeded", 8, 8, 8)
    assert runs(job) == 1


def test_duplicate_deliveries_of_a_job_change_nothing(celery_worker, merchant_a):
    job = jobs.start_job(
        merchant=merchant_a.merchant, kind="tests.count", params={"steps": 10, "sleep": 0.3}
    )
    wait_for(lambda: Job.objects.get(pk=job.pk).state == Job.State.RUNNING)

    during = str(uuid.uuid4())
    run_job_task.apply_async(args=[job.pk], task_id=during)
    # The running copy holds the lease, so the duplicate backs off instead of running.
    wait_for(lambda: worker_log_has(f"[{during}] retry"), timeout=20)

    wait_for(lambda: Job.objects.get(pk=job.pk).state == Job.State.SUCCEEDED, timeout=30)
    after = str(uuid.uuid4())
    run_job_task.apply_async(args=[job.pk], task_id=after)
    wait_for(lambda: worker_log_has(f"[{after}] succeeded"), timeout=20)

    job.refresh_from_db()
    assert job.attempts == 1
    assert runs(job) == 1


def test_a_transient_error_is_retried_and_the_job_then_succeeds(celery_worker, merchant_a):
    job = jobs.start_job(merchant=merchant_a.merchant, kind="tests.flaky")
    wait_for(lambda: Job.objects.get(pk=job.pk).is_finished, timeout=40)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED
    assert job.attempts == 2
    assert runs(job) == 1


def test_a_job_whose_worker_died_is_taken_over_once_its_lease_ran_out(merchant_a):
    job = Job.objects.create(
        merchant=merchant_a.merchant,
        kind="tests.count",
        title="t",
        params={"steps": 1, "sleep": 0},
        state=Job.State.RUNNING,
        attempts=1,
        heartbeat_at=timezone.now() - jobs.JOB_LEASE - timedelta(seconds=1),
    )
    finished = jobs.run_job(job.pk)
    assert finished.state == Job.State.SUCCEEDED
    assert finished.attempts == 2


def test_a_job_with_a_live_lease_is_not_run_twice(merchant_a):
    job = Job.objects.create(
        merchant=merchant_a.merchant,
        kind="tests.count",
        title="t",
        state=Job.State.RUNNING,
        attempts=1,
        heartbeat_at=timezone.now(),
    )
    with pytest.raises(jobs.JobBusy):
        jobs.run_job(job.pk)
    assert Job.objects.get(pk=job.pk).attempts == 1


def test_only_a_failed_job_can_be_retried_and_retry_queues_it_again(merchant_a, celery_worker):
    job = Job.objects.create(
        merchant=merchant_a.merchant,
        kind="tests.count",
        title="t",
        params={"steps": 2, "sleep": 0},
        state=Job.State.FAILED,
        error="boom",
        done=1,
        total=2,
    )
    client = signed_in_client(merchant_a)
    response = client.post(reverse("job_retry", args=[job.pk]))
    assert response.status_code == 302
    wait_for(lambda: Job.objects.get(pk=job.pk).state == Job.State.SUCCEEDED, timeout=30)
    job.refresh_from_db()
    assert job.error == "" and job.done == 2

    again = client.post(reverse("job_retry", args=[job.pk]), follow=True)
    assert "Only a failed job can be retried." in again.content.decode()
