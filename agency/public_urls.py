"""URLs served on the public host: the landing page and platform administration."""

from django.contrib import admin
from django.urls import path

from apps.core import views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("admin/", admin.site.urls),
]
