"""Reads on channels, scoped to the clients the user may see."""

from django.db.models import QuerySet

from apps.accounts.models import User
from apps.clients.selectors import client_list

from .models import Channel, FetchRun


def channel_list(*, user: User, client_id: int | None = None) -> QuerySet[Channel]:
    channels = Channel.objects.filter(client__in=client_list(user=user)).select_related("client")
    if client_id is not None:
        channels = channels.filter(client_id=client_id)
    return channels


def channel_get(*, user: User, channel_id: int) -> Channel:
    """A channel of a client the user may see; ``Channel.DoesNotExist`` otherwise."""
    return channel_list(user=user).get(pk=channel_id)


def fetch_run_list(*, channel: Channel, limit: int = 20) -> QuerySet[FetchRun]:
    return channel.fetch_runs.all()[:limit]


def fetch_run_get(*, user: User, run_id: int) -> FetchRun:
    return FetchRun.objects.select_related("channel").get(
        pk=run_id, channel__in=channel_list(user=user)
    )
