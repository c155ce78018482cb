"""Factories for channels; they go through ``channel_create`` so validation and encryption run."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from apps.channels.ingest import IngestResult, ingest_page
from apps.channels.models import Channel
from apps.channels.services import CreatedChannel, channel_create
from apps.clients.models import Client
from tests.clients.factories import ClientFactory


def make_channel(
    *,
    platform: str = "rss",
    config: dict[str, Any] | None = None,
    credentials: dict[str, Any] | None = None,
    client: Client | None = None,
    name: str = "",
    **options: Any,
) -> Channel:
    return make_channel_with_secret(
        platform=platform, config=config, credentials=credentials, client=client,
        name=name, **options,
    ).channel  # fmt: skip


def make_channel_with_secret(
    *,
    platform: str = "rss",
    config: dict[str, Any] | None = None,
    credentials: dict[str, Any] | None = None,
    client: Client | None = None,
    name: str = "",
    **options: Any,
) -> CreatedChannel:
    return channel_create(
        client=client or ClientFactory(),
        platform=platform,
        name=name or f"{platform} channel",
        config=config if config is not None else {"url": "http://127.0.0.1:9/feed.xml"},
        credentials=credentials or {},
        **options,
    )


def store_mentions(channel: Channel, items) -> IngestResult:
    """Store ``items`` through the real ingest path, in one transaction, as a fetched page is."""
    with transaction.atomic():
        return ingest_page(channel=channel, items=list(items))
