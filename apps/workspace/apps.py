"""Agency settings pages for owners and managers: SLA policies, routing rules and teams."""

from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "apps.workspace"
    verbose_name = "Workspace settings"
