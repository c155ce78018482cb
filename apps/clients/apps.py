from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "apps.clients"
    verbose_name = "Clients"

    def ready(self) -> None:
        from apps.core import events

        from . import selectors, services

        events.user_invited_to_client.subscribe(services.client_membership_invited)
        events.invitable_clients.subscribe(selectors.clients_invitable)
