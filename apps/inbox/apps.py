"""The responders' unified inbox: server-rendered pages over the acknowledgement services."""

from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "apps.inbox"
    verbose_name = "Inbox"
