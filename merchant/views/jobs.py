from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import HTMX_STOP_POLLING

from merchant.decorators import merchant_required
from merchant.models import Job
from merchant.selectors.tenants import get_job_for_merchant
from merchant.services import jobs


@merchant_required
def job_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(Job.objects.for_merchant(request.merchant), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "merchant/jobs/list.html", {"page_obj": page, "nav_active": "jobs"})


@merchant_required
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_job_for_merchant(request.merchant, job_id)
    return render(request, "merchant/jobs/detail.html", {"job": job, "nav_active": "jobs"})


@merchant_required
def job_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """The progress fragment; a finished job answers 286 so that htmx stops polling."""
    job = get_job_for_merchant(request.merchant, job_id)
    response = render(request, "merchant/jobs/_progress.html", {"job": job})
    if job.is_finished and request.htmx:
        response.status_code = HTMX_STOP_POLLING
    return response


@merchant_required
@require_POST
def job_retry(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_job_for_merchant(request.merchant, job_id)
    try:
        jobs.retry_job(job=job)
        messages.success(request, f"“{job.title}” is queued again.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("job_detail", job_id=job.pk)
