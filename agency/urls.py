"""URLs served on an agency's host (``<slug>.<BASE_DOMAIN>``)."""

from django.urls import include, path

from apps.channels.views import webhook_receive
from apps.inbox.home import home
from apps.workspace.views import agency_logo

urlpatterns = [
    path("", home, name="home"),
    path("logo", agency_logo, name="agency-logo"),
    path("accounts/", include("apps.accounts.urls")),
    path("clients/", include("apps.workspace.client_urls")),
    path("channels/", include("apps.channels.urls")),
    path("listening/", include("apps.listening.urls")),
    path("reports/", include("apps.reporting.urls")),
    path("alerts/", include("apps.alerts.urls")),
    path("", include("apps.community.urls")),
    path("inbox/", include("apps.inbox.urls")),
    path("settings/", include("apps.workspace.urls")),
    path("hooks/<str:token>/", webhook_receive, name="webhook-receive"),
    path("api/v1/", include("apps.api.urls")),
]
