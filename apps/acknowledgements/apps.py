from django.apps import AppConfig


class AcknowledgementsConfig(AppConfig):
    name = "apps.acknowledgements"
    verbose_name = "Acknowledgement tracking"

    def ready(self) -> None:
        from apps.core import events

        from . import audit, intake

        events.page_stored.subscribe(intake.page_intake)
        events.audit_recorded.subscribe(audit.audit_record)
        events.mentions_purging.subscribe(audit.audit_purge_for_mentions)
