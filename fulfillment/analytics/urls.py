"""Analytics pages, mounted at app/analytics/ (the API is in api.py)."""

from django.urls import path

from fulfillment.analytics import views

urlpatterns = [
    path("", views.analytics, name="analytics"),
    path("export.csv", views.analytics_export, name="analytics_export"),
]
