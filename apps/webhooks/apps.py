from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "apps.webhooks"
    verbose_name = "Outbound webhooks"

    def ready(self) -> None:
        from apps.core import events

        from . import events as webhook_events

        events.page_stored.subscribe(webhook_events.page_stored)
        events.mentions_acknowledged.subscribe(webhook_events.mentions_acknowledged)
        events.slas_breached.subscribe(webhook_events.slas_breached)
