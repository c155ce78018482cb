from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "apps.community"
    verbose_name = "Community"

    def ready(self) -> None:
        from apps.core import events

        from . import services, topics

        events.mentions_stored.subscribe(services.people_link_later)
        events.customers_imported.subscribe(services.people_link_customers_of)
        events.dashboard_panels.subscribe(topics.dashboard_topics)
