from django.apps import AppConfig


class ListeningConfig(AppConfig):
    name = "apps.listening"
    verbose_name = "Listening"

    def ready(self) -> None:
        from apps.core import events

        from . import client_links, ingest

        events.pages_fetched.subscribe(ingest.ingest_pages)
        events.items_received.subscribe(ingest.store_pushed_items)
        events.client_accounts_changed.subscribe(client_links.client_accounts_reflag)
        events.customers_stored.subscribe(client_links.mentions_link_customers)
