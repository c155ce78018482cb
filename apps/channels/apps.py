from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "apps.channels"
    label = "rapport_channels"
    verbose_name = "Channels"
