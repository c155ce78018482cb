from django.urls import path

from . import views

app_name = "channels"

urlpatterns = [
    path("", views.channel_list, name="list"),
    path("new/", views.channel_new, name="new"),
    path("oauth/mastodon/", views.mastodon_sign_in, name="mastodon-sign-in"),
    path("oauth/mastodon/callback/", views.mastodon_callback, name="mastodon-callback"),
    path("<int:channel_id>/", views.channel_detail, name="detail"),
    path("<int:channel_id>/edit/", views.channel_edit, name="edit"),
    path("<int:channel_id>/pause/", views.channel_pause, name="pause"),
    path("<int:channel_id>/resume/", views.channel_resume, name="resume"),
    path("<int:channel_id>/remove/", views.channel_remove, name="remove"),
    path("<int:channel_id>/rotate-secret/", views.channel_rotate_secret, name="rotate-secret"),
    path("<int:channel_id>/fetch/", views.channel_fetch_now, name="fetch-now"),
    path("runs/<int:run_id>/", views.fetch_run_status, name="run-status"),
]
