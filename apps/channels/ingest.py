"""Store one page of fetched mentions: authors upserted, mentions de-duplicated, in bulk.

A page costs two statements whatever its size — one ``INSERT … ON CONFLICT DO UPDATE`` for its
authors and one ``INSERT … ON CONFLICT DO NOTHING`` for its mentions — each fed by ``unnest`` of
typed arrays. The caller owns the transaction (the page and the channel's cursor commit together).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.utils import timezone

from apps.listening.models import Author, Mention

from .connectors.base import MentionData
from .models import Channel


@dataclass
class IngestResult:
    received: int = 0
    created: int = 0
    duplicates: int = 0
    created_ids: list[int] = field(default_factory=list)

    def add(self, other: IngestResult) -> None:
        self.received += other.received
        self.created += other.created
        self.duplicates += other.duplicates
        self.created_ids.extend(other.created_ids)


def normalise_handle(handle: str) -> str:
    return handle.strip().lstrip("@").lower()


_AUTHOR = Author._meta.db_table
_UPSERT_AUTHORS = f"""
    INSERT INTO {_AUTHOR}
        (platform, handle, display_name, followers, profile_url, influence, is_advocate,
         first_seen_at)
    SELECT %s, a.handle, a.display_name, a.followers, a.profile_url, 0, false, now()
    FROM unnest(%s::text[], %s::text[], %s::integer[], %s::text[])
        AS a(handle, display_name, followers, profile_url)
    ON CONFLICT (platform, handle) DO UPDATE SET
        display_name = COALESCE(NULLIF(EXCLUDED.display_name, ''), {_AUTHOR}.display_name),
        followers = COALESCE(EXCLUDED.followers, {_AUTHOR}.followers),
        profile_url = COALESCE(NULLIF(EXCLUDED.profile_url, ''), {_AUTHOR}.profile_url)
    RETURNING id, handle
"""  # noqa: S608 - table names come from model metadata, values are parameters

_INSERT_MENTIONS = f"""
    INSERT INTO {Mention._meta.db_table}
        (client_id, channel_id, platform, external_id, url, author_id, text, language, kind,
         parent_external_id, rating, engagement, posted_at, fetched_at, sentiment, matched_queries,
         needs_acknowledgement, status, priority, tags)
    SELECT %s, %s, %s, m.external_id, m.url, m.author_id, m.text, m.language, m.kind,
           m.parent_external_id, m.rating, m.engagement, m.posted_at, %s, '', '{{}}',
           m.needs_acknowledgement, 'new', 'normal', '{{}}'
    FROM unnest(%s::text[], %s::text[], %s::bigint[], %s::text[], %s::text[], %s::text[],
                %s::text[], %s::double precision[], %s::integer[], %s::timestamptz[],
                %s::boolean[])
        AS m(external_id, url, author_id, text, language, kind, parent_external_id, rating,
             engagement, posted_at, needs_acknowledgement)
    ON CONFLICT (channel_id, external_id) DO NOTHING
    RETURNING id
"""  # noqa: S608


def ingest_page(
    *, channel: Channel, items: list[MentionData], fetched_at: datetime | None = None
) -> IngestResult:
    """Store ``items`` for ``channel``; mentions already stored count as duplicates."""
    result = IngestResult(received=len(items))
    unique: dict[str, MentionData] = {}
    for item in items:
        unique.setdefault(item.external_id, item)
    if not unique:
        return result
    fetched_at = fetched_at or timezone.now()

    authors: dict[str, MentionData] = {}
    for item in unique.values():
        authors[normalise_handle(item.author.handle)] = item
    handles = list(authors)
    with connection.cursor() as cursor:
        cursor.execute(
            _UPSERT_AUTHORS,
            [
                channel.platform,
                handles,
                [authors[h].author.display_name for h in handles],
                [authors[h].author.followers for h in handles],
                [authors[h].author.profile_url for h in handles],
            ],
        )
        author_ids = {handle: pk for pk, handle in cursor.fetchall()}

        brand = {normalise_handle(h) for h in channel.client.brand_handles}
        rows = list(unique.values())
        cursor.execute(
            _INSERT_MENTIONS,
            [
                channel.client_id,
                channel.pk,
                channel.platform,
                fetched_at,
                [m.external_id for m in rows],
                [m.url for m in rows],
                [author_ids[normalise_handle(m.author.handle)] for m in rows],
                [m.text for m in rows],
                [m.language for m in rows],
                [m.kind for m in rows],
                [m.parent_external_id for m in rows],
                [m.rating for m in rows],
                [m.engagement for m in rows],
                [m.posted_at for m in rows],
                [normalise_handle(m.author.handle) not in brand for m in rows],
            ],
        )
        result.created_ids = [pk for (pk,) in cursor.fetchall()]
    result.created = len(result.created_ids)
    result.duplicates = result.received - result.created
    return result
