"""Client pages, under ``/clients/``: owners and managers add, edit and archive clients and
invite their people."""

from django.urls import path

from . import client_views

app_name = "clients"

urlpatterns = [
    path("", client_views.client_index, name="index"),
    path("new/", client_views.client_new, name="new"),
    path("<int:client_id>/", client_views.client_edit, name="edit"),
    path("<int:client_id>/logo", client_views.client_logo, name="logo"),
]
