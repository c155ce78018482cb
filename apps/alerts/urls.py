from django.urls import path

from . import views

app_name = "alerts"
urlpatterns = [
    path("", views.alert_index, name="index"),
    path("<int:alert_id>/", views.alert_detail, name="detail"),
]
