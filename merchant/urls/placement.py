from django.urls import path

from merchant.views import dashboard

# Placeholder until the placement pages land: the index keeps its final name.
urlpatterns = [
    path("", dashboard.area, {"slug": "storage-points"}, name="placement"),
]
