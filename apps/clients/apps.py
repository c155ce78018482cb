from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "apps.clients"
    verbose_name = "Clients"

    def ready(self) -> None:
        from apps.core import events

        from . import services

        events.user_invited_to_client.subscribe(services.client_membership_invited)
