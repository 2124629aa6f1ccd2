from django.urls import path

from merchant.views import demand

urlpatterns = [
    path("", demand.demand, name="demand"),
    path("import", demand.demand_import, name="demand_import"),
]
