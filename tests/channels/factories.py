"""Factories for channels; they go through ``channel_create`` so validation and encryption run."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from apps.channels.models import Channel
from apps.channels.services import CreatedChannel, channel_create
from apps.channels.storing import IngestResult
from apps.clients.models import Client
from apps.community.services import people_link_new_mentions
from apps.listening.ingest import ingest_page
from tests.clients.factories import ClientFactory
from tests.support import run_queued


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
    """Store ``items`` through the real ingest path, in one transaction, as a fetched page is;
    then link their authors to people as the task ingest queues does."""
    with transaction.atomic():
        result = ingest_page(channel=channel, items=list(items))
    # The linking task ingest queued, done here; committed, its message went to the broker
    if not run_queued("apps.community.tasks.link_people") and result.created_ids:
        people_link_new_mentions(client_id=channel.client_id, mention_ids=result.created_ids)
    return result


@contextmanager
def committed_facebook_channel(agency, django_db_blocker, server_url: str, name: str):
    """A Facebook page channel committed in ``agency`` (for tests with worker processes), and
    its client, mentions and their authors removed afterwards."""
    from django_tenants.utils import schema_context

    from apps.listening.models import Author, Mention

    from .test_pipeline_faults import PAGE_ID

    with django_db_blocker.unblock(), schema_context(agency.schema_name):
        client = Client.objects.create(name=name, slug=f"{slugify(name)}-{uuid.uuid4().hex[:6]}")
        channel = channel_create(
            client=client, platform="facebook_page", name="Page",
            config={"base_url": server_url + "/v19.0", "page_id": PAGE_ID},
            credentials={"access_token": "EAAB-page-token"},
        ).channel  # fmt: skip
    try:
        yield channel
    finally:
        with django_db_blocker.unblock(), schema_context(agency.schema_name):
            authors = list(
                Mention.objects.filter(client=client).values_list("author_id", flat=True)
            )
            client.delete()
            Author.objects.filter(pk__in=authors).delete()
