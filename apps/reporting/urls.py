"""Reports: dashboards, the agency overview and exports (``/reports/``)."""

from django.urls import path  # noqa: F401 - routes are added below as the views land

app_name = "reporting"

urlpatterns: list = []
