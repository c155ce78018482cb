"""Settings pages, under ``/settings/``: owners and managers only (everyone else gets 404)."""

from django.urls import path

from . import schedule_views, views

app_name = "workspace"

urlpatterns = [
    path("", views.settings_index, name="index"),
    path("teams/", views.teams, name="teams"),
    path("clients/<int:client_id>/sla/", views.sla_policy, name="sla"),
    path("clients/<int:client_id>/routing/", views.routing_rules, name="routing"),
    path("clients/<int:client_id>/accounts/", views.client_accounts_edit, name="accounts"),
    path("clients/<int:client_id>/schedules/", schedule_views.report_schedules, name="schedules"),
]
urlpatterns += [
    path("saved-replies/", views.saved_replies, name="saved-replies"),
    path("audit/", views.audit_log, name="audit"),
    path("audit.csv", views.audit_csv, name="audit-csv"),
]
