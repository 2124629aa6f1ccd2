from django.urls import path

from lockers.views import counter

urlpatterns = [
    path("counter/<str:token>/", counter.counter, name="pickup_counter"),
    path("terminal/<str:token>/", counter.terminal, name="pickup_terminal"),
]
