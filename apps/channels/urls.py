from django.urls import path

from . import views

app_name = "channels"

urlpatterns = [
    path("", views.channel_list, name="list"),
    path("<int:channel_id>/", views.channel_detail, name="detail"),
    path("<int:channel_id>/fetch/", views.channel_fetch_now, name="fetch-now"),
    path("runs/<int:run_id>/", views.fetch_run_status, name="run-status"),
]
