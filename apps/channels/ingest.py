"""Store one page of fetched mentions: authors upserted, mentions de-duplicated, in bulk.

A page is ``COPY``-ed into a temporary staging table, then two set-based statements move it
into place: an ``INSERT … ON CONFLICT DO UPDATE`` for the authors (touching only rows whose
details changed) and an ``INSERT … ON CONFLICT (channel, external_id) DO NOTHING`` for the
mentions. No query per mention; the caller owns the transaction, so a page and the channel's
cursor commit together.
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


def normalise_handle(handle: str) -> str:
    return handle.strip().lstrip("@").lower()


_STAGING_COLUMNS = (
    "external_id, url, handle, display_name, followers, profile_url, text, language, kind, "
    "parent_external_id, rating, engagement, posted_at, needs_acknowledgement"
)
_CREATE_STAGING = """
    CREATE TEMPORARY TABLE IF NOT EXISTS rapport_ingest_staging (
        external_id text, url text, handle text, display_name text, followers integer,
        profile_url text, text text, language text, kind text, parent_external_id text,
        rating double precision, engagement integer, posted_at timestamptz,
        needs_acknowledgement boolean
    ) ON COMMIT DELETE ROWS
"""
_A = Author._meta.db_table
_UPSERT_AUTHORS = f"""
    INSERT INTO {_A} (platform, handle, display_name, followers, profile_url, influence,
                      is_advocate, first_seen_at)
    SELECT DISTINCT ON (handle) %(platform)s, handle, display_name, followers, profile_url,
           0, false, %(now)s
    FROM pg_temp.rapport_ingest_staging
    ORDER BY handle, posted_at DESC
    ON CONFLICT (platform, handle) DO UPDATE SET
        display_name = COALESCE(NULLIF(EXCLUDED.display_name, ''), {_A}.display_name),
        followers = COALESCE(EXCLUDED.followers, {_A}.followers),
        profile_url = COALESCE(NULLIF(EXCLUDED.profile_url, ''), {_A}.profile_url)
    WHERE (NULLIF(EXCLUDED.display_name, ''), EXCLUDED.followers, NULLIF(EXCLUDED.profile_url, ''))
        IS DISTINCT FROM
        (NULLIF({_A}.display_name, ''), {_A}.followers, NULLIF({_A}.profile_url, ''))
"""  # noqa: S608 - table names come from model metadata; values are parameters
_INSERT_MENTIONS = f"""
    INSERT INTO {Mention._meta.db_table}
        (client_id, channel_id, platform, external_id, url, author_id, text, language, kind,
         parent_external_id, rating, engagement, posted_at, fetched_at, sentiment,
         matched_queries, needs_acknowledgement, status, priority, tags)
    SELECT %(client)s, %(channel)s, %(platform)s, s.external_id, s.url,
           -- a correlated lookup is an index probe per row; a join would be planned as a hash
           -- join scanning every author, since the staging table has no statistics
           (SELECT a.id FROM {_A} a WHERE a.platform = %(platform)s AND a.handle = s.handle),
           s.text, s.language, s.kind, s.parent_external_id, s.rating, s.engagement,
           s.posted_at, %(now)s, '', '{{}}', s.needs_acknowledgement, 'new', 'normal', '{{}}'
    FROM pg_temp.rapport_ingest_staging s
    ON CONFLICT (channel_id, external_id) DO NOTHING
    RETURNING id
"""  # noqa: S608


def ingest_page(
    *, channel: Channel, items: list[MentionData], fetched_at: datetime | None = None
) -> IngestResult:
    """Store ``items`` for ``channel``; mentions already stored count as duplicates."""
    result = IngestResult(received=len(items))
    if not items:
        return result
    brand = {normalise_handle(h) for h in channel.client.brand_handles}
    params = {
        "platform": channel.platform,
        "client": channel.client_id,
        "channel": channel.pk,
        "now": fetched_at or timezone.now(),
    }
    with connection.cursor() as cursor:
        # The page and the channel's cursor commit together, so a database crash can only lose
        # both at once: the fetch then re-reads the page from the platform. Waiting for the WAL
        # flush on every page therefore buys nothing and costs most of the ingest time.
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute(_CREATE_STAGING)
        with cursor.copy(
            f"COPY pg_temp.rapport_ingest_staging ({_STAGING_COLUMNS}) FROM STDIN"
        ) as copy:
            for item in items:
                handle = normalise_handle(item.author.handle)
                copy.write_row((
                    item.external_id, item.url, handle, item.author.display_name,
                    item.author.followers, item.author.profile_url, item.text, item.language,
                    item.kind, item.parent_external_id, item.rating, item.engagement,
                    item.posted_at, handle not in brand,
                ))  # fmt: skip
        cursor.execute(_UPSERT_AUTHORS, params)
        cursor.execute(_INSERT_MENTIONS, params)
        result.created_ids = [pk for (pk,) in cursor.fetchall()]
        # Leave it empty for another page in this transaction; commit truncates it anyway.
        cursor.execute("DELETE FROM pg_temp.rapport_ingest_staging")
    result.created = len(result.created_ids)
    result.duplicates = result.received - result.created
    return result
