from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    verbose_name = "People"

    def ready(self) -> None:
        from apps.core import events

        from . import services

        events.agency_created.subscribe(services.agency_owner_create)
