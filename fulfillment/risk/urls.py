"""Settings → Address risk, mounted at app/address-risk/."""

from django.urls import path

from fulfillment.risk import views

urlpatterns = [
    path("", views.risk_settings, name="address_risk"),
    path("preview", views.risk_preview, name="address_risk_preview"),
    path("train", views.risk_train, name="address_risk_train"),
]
