"""URLs served on an agency's host (``<slug>.<BASE_DOMAIN>``)."""

from django.urls import include, path

urlpatterns = [
    path("", include("apps.core.urls")),
    path("accounts/", include("apps.accounts.urls")),
]
