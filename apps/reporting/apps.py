from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "apps.reporting"
    verbose_name = "Reporting"

    def ready(self) -> None:
        from apps.core import events

        from . import rollups

        events.page_stored.subscribe(rollups.page_days_forget)
        events.channel_deleted.subscribe(rollups.term_rollups_drop)
