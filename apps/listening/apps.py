from django.apps import AppConfig


class ListeningConfig(AppConfig):
    name = "apps.listening"
    verbose_name = "Listening"
