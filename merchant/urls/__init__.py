from django.urls import include, path

from merchant.views import dashboard, jobs, settings

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("area/<slug:slug>/", dashboard.area, name="area"),
    path("jobs/", jobs.job_list, name="jobs"),
    path("jobs/<int:job_id>/", jobs.job_detail, name="job_detail"),
    path("jobs/<int:job_id>/progress", jobs.job_progress, name="job_progress"),
    path("jobs/<int:job_id>/retry", jobs.job_retry, name="job_retry"),
    path("settings/", settings.merchant_settings, name="settings_merchant"),
    path("settings/members/", settings.members, name="settings_members"),
    path("settings/members/<int:member_id>/role", settings.member_role, name="member_role"),
    path("settings/members/<int:member_id>/remove", settings.member_remove, name="member_remove"),
    path("settings/api-keys/", settings.api_key_list, name="settings_api_keys"),
    path("storage-points/", include("merchant.urls.points")),
    path("inventory/", include("merchant.urls.inventory")),
    path("demand/", include("merchant.urls.demand")),
    path("placement/", include("merchant.urls.placement")),
    path("settings/api-keys/<int:key_id>/revoke", settings.api_key_revoke, name="api_key_revoke"),
]
