"""JSON endpoints of the merchant app, authenticated by the merchant's secret key."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate
from ninja.security import HttpBearer

from merchant.api.fields import Page, QueryId
from merchant.models import ApiKey, Job
from merchant.selectors.tenants import get_job_for_merchant
from merchant.services.api_keys import authenticate_key


class SecretKeyAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        api_key = authenticate_key(token, kind=ApiKey.Kind.SECRET)
        if api_key is not None:
            request.api_merchant = api_key.merchant
        return api_key


router = Router(tags=["merchant"])


class MerchantOut(Schema):
    id: int
    name: str
    slug: str
    time_zone: str
    currency: str


class JobOut(Schema):
    id: int
    kind: str
    title: str
    state: str
    done: int
    total: int
    percent: int
    message: str
    error: str
    result_url: str
    created_at: datetime
    finished_at: datetime | None


@router.get("/merchant", response=MerchantOut, summary="The merchant the key belongs to")
def get_merchant(request: HttpRequest):
    return request.api_merchant


@router.get("/jobs", response=list[JobOut], summary="Recent background jobs")
@paginate(Page)
def list_jobs(request: HttpRequest):
    return Job.objects.for_merchant(request.api_merchant)


@router.get("/jobs/{job_id}", response=JobOut, summary="One background job and its progress")
def get_job(request: HttpRequest, job_id: QueryId):
    return get_job_for_merchant(request.api_merchant, job_id)
