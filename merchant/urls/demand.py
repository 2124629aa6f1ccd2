from django.urls import path

from merchant.views import dashboard

# Placeholder until the demand pages land: the index keeps its final name.
urlpatterns = [
    path("", dashboard.area, {"slug": "analytics"}, name="demand"),
]
