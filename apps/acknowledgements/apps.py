from django.apps import AppConfig


class AcknowledgementsConfig(AppConfig):
    name = "apps.acknowledgements"
    verbose_name = "Acknowledgement tracking"
