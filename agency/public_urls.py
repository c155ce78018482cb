"""URLs served on the public host: the landing page, sign-up and platform administration."""

from django.contrib import admin
from django.urls import path

from apps.core import views
from apps.tenants import views as signup_views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("signup/", signup_views.signup, name="signup"),
    path("signup/check-slug/", signup_views.signup_check_slug, name="signup-check-slug"),
    path("signup/verify/<str:token>/", signup_views.signup_verify, name="signup-verify"),
    path("signup/status/<str:token>/", signup_views.signup_status, name="signup-status"),
    path("admin/", admin.site.urls),
]
