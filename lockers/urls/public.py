from django.urls import path

from lockers.views import counter, widget

urlpatterns = [
    path("counter/<str:token>/", counter.counter, name="pickup_counter"),
    path("terminal/<str:token>/", counter.terminal, name="pickup_terminal"),
    path("widget/nearbox-widget.js", widget.widget_script, name="pickup_widget_script"),
    path("widget/key-check", widget.widget_key_check, name="pickup_widget_key_check"),
]
