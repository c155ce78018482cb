"""Store one page of fetched mentions: authors upserted, mentions de-duplicated, in bulk.

A page is sent as one JSON parameter to two set-based statements, pipelined in one round trip:
an ``INSERT … ON CONFLICT DO UPDATE`` for the authors (touching only rows whose details changed)
and an ``INSERT … ON CONFLICT (channel, external_id) DO NOTHING`` for the mentions. No query per
mention; the caller owns the transaction, so a page and the channel's cursor commit together.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.channels.connectors.base import MENTION_KINDS, FetchPage, MentionData
from apps.channels.models import Channel
from apps.channels.storing import IngestResult
from apps.clients.models import CustomerIdentity
from apps.clients.selectors import AccountRoles, client_account_roles
from apps.core import events
from apps.core.db import pipelined
from apps.core.validation import moment_refusal, text_refusal

from .enrich import Enrichment, Later, active_queries, enrich_page, enrich_page_later
from .influence import influence_sql
from .models import Author, Mention, normalise_handle
from .priority import mentions_priority_refresh, priority_key_sql
from .spam import NEW_ACCOUNT_MAX_FOLLOWERS, THRESHOLD, AuthorFacts, author_score

logger = logging.getLogger(__name__)

MAX_RATING = 5
STORED_BATCH = 5_000  # new mentions announced (``mentions_stored``) together by ingest_pages
_SPAM_PARAMS = {
    "spam": THRESHOLD,
    "new_account": author_score(AuthorFacts(is_new=True, followers=0)),
    "few_followers": NEW_ACCOUNT_MAX_FOLLOWERS,
}


@dataclass(frozen=True)
class StoredPage:
    """What a page added, for the ``page_stored`` event's subscribers."""

    created_ids: list[int]
    praise_ids: list[int]  # the new mentions that are positive
    posted_at: list[datetime]  # of the new mentions
    has_replies: bool  # some item answers another (a parent id)


def _field_limit(model, name: str) -> int:
    return model._meta.get_field(name).max_length


LIMITS = {
    "external_id": _field_limit(Mention, "external_id"),
    "url": _field_limit(Mention, "url"),
    "parent_external_id": _field_limit(Mention, "parent_external_id"),
    "handle": _field_limit(Author, "handle"),
    "display_name": _field_limit(Author, "display_name"),
    "profile_url": _field_limit(Author, "profile_url"),
}


def _clean(text: str) -> str:
    """Free text as PostgreSQL can hold it: hostile or broken sources send NUL bytes (dropped)
    and lone UTF-16 surrogates from JSON escapes (each becomes U+FFFD)."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if text_refusal(text):
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def _count(value: int | None) -> int | None:
    """Follower and engagement counts as the columns hold them: 0 to 2^31-1."""
    return None if value is None else max(0, min(int(value), 2**31 - 1))


def rejection_reason(item: MentionData) -> str:
    """Why the database would refuse ``item`` (empty if it would not). Ids are identities:
    one with a NUL byte or a lone surrogate is refused rather than altered, since "a\\0b"
    stripped would be "ab", another mention's id."""
    if not item.external_id or len(item.external_id) > LIMITS["external_id"]:
        return f"id empty or longer than {LIMITS['external_id']} characters"
    for name in ("external_id", "parent_external_id"):
        if refusal := text_refusal(getattr(item, name)):
            return f"{name.replace('_', ' ')} {refusal}"
    if refusal := moment_refusal(item.posted_at):
        return f"posted_at {item.posted_at.isoformat()} {refusal}"
    handle = normalise_handle(item.author.handle)
    if not handle or len(handle) > LIMITS["handle"]:
        return f"author handle empty or longer than {LIMITS['handle']} characters"
    if len(item.url) > LIMITS["url"] or len(item.parent_external_id) > LIMITS["parent_external_id"]:
        return "URL or parent id too long"
    if item.rating is not None and not 0 <= item.rating <= MAX_RATING:
        return f"rating {item.rating} outside 0-{MAX_RATING}"
    if item.kind not in MENTION_KINDS:
        return f"unknown kind {item.kind!r}"
    return ""


# A page travels as one JSON parameter, read back as rows with these columns (no staging
# table: a temporary table makes every page's commit wait about as long as an fsync).
_PAGE_COLUMNS = (
    ("external_id", "text"), ("url", "text"), ("handle", "text"), ("display_name", "text"),
    ("followers", "integer"), ("profile_url", "text"), ("text", "text"), ("language", "text"),
    ("kind", "text"), ("parent_external_id", "text"), ("rating", "double precision"),
    ("engagement", "integer"), ("posted_at", "timestamptz"),
    ("sentiment_score", "double precision"), ("sentiment", "text"), ("intent", "text"),
    ("matched_queries", "bigint[]"), ("is_spam", "boolean"), ("repeats_in_page", "boolean"),
    ("account_role", "text"), ("spam_score", "double precision"),
)  # fmt: skip
_PAGE_NAMES = tuple(name for name, _ in _PAGE_COLUMNS)
_PAGE_TYPES = ", ".join(f"{name} {kind}" for name, kind in _PAGE_COLUMNS)


def _page(alias: str) -> str:
    """The page's rows, as ``alias``."""
    return f"json_to_recordset(%(page)s::json) AS {alias}({_PAGE_TYPES})"


_A = Author._meta.db_table
# Influence from the first fetch: an author not scored yet gets one from what this page shows
# (followers, their mentions' engagement and number), until the daily refresh recomputes it.
# An account the client names as its own or a competitor's is marked as such.
_UPSERT_AUTHORS = f"""
    INSERT INTO {_A} (platform, handle, display_name, followers, profile_url, influence,
                      is_advocate, first_seen_at, account_role)
    SELECT DISTINCT ON (handle) %(platform)s, handle, display_name, followers, profile_url,
           {influence_sql("followers", "engagement_avg", "recent")}, false, %(now)s, account_role
    FROM (
        SELECT *, avg(engagement) OVER by_author AS engagement_avg,
               count(*) OVER by_author AS recent
        FROM {_page("page")} WINDOW by_author AS (PARTITION BY handle)
    ) s
    ORDER BY handle, posted_at DESC
    ON CONFLICT (platform, handle) DO UPDATE SET
        display_name = COALESCE(NULLIF(EXCLUDED.display_name, ''), {_A}.display_name),
        followers = COALESCE(EXCLUDED.followers, {_A}.followers),
        profile_url = COALESCE(NULLIF(EXCLUDED.profile_url, ''), {_A}.profile_url),
        influence = CASE WHEN {_A}.influence > 0 THEN {_A}.influence ELSE EXCLUDED.influence END,
        account_role = COALESCE(NULLIF(EXCLUDED.account_role, ''), {_A}.account_role),
        is_advocate = {_A}.is_advocate AND EXCLUDED.account_role = ''
    WHERE (NULLIF(EXCLUDED.display_name, ''), EXCLUDED.followers, NULLIF(EXCLUDED.profile_url, ''))
        IS DISTINCT FROM
        (NULLIF({_A}.display_name, ''), {_A}.followers, NULLIF({_A}.profile_url, ''))
       OR ({_A}.influence = 0 AND EXCLUDED.influence > 0)
       OR (EXCLUDED.account_role <> '' AND {_A}.account_role <> EXCLUDED.account_role)
    RETURNING id, xmax <> 0 AS updated
"""  # noqa: S608 - table names come from model metadata; values are parameters
_M = Mention._meta.db_table
_CI = CustomerIdentity._meta.db_table
_INFLUENCE = f"(SELECT a.influence FROM {_A} a WHERE a.id = m.author_id)"  # noqa: S608
_INSERT_MENTIONS = f"""
    INSERT INTO {_M}
        (client_id, channel_id, platform, external_id, url, author_id, text, language, kind,
         parent_external_id, rating, engagement, posted_at, fetched_at, sentiment_score,
         sentiment, intent, matched_queries, is_spam, is_duplicate, needs_acknowledgement,
         customer_id, status, priority, tags, priority_key)
    SELECT %(client)s, %(channel)s, %(platform)s, m.external_id, m.url, m.author_id, m.text,
           m.language, m.kind, m.parent_external_id, m.rating, m.engagement, m.posted_at,
           %(now)s, m.sentiment_score, m.sentiment, m.intent, m.matched_queries, m.spam,
           m.repeat, NOT (m.account_role <> '' OR m.spam OR m.repeat), m.customer_id,
           'new', 'normal', '{{}}', {priority_key_sql(influence=_INFLUENCE)}
    FROM (
        -- Correlated subqueries are index probes per row. Joins would be planned as hash joins
        -- over whole tables, the staging table having no statistics; OFFSET 0 keeps the planner
        -- from flattening this subquery into such a join.
        SELECT s.*, s.repeats_in_page OR EXISTS (
                   SELECT 1 FROM {_M} earlier
                   -- "+ 0": probe the author's history (mention_author_idx), not every
                   -- mention of the client that day, whatever the planner estimates
                   WHERE earlier.author_id = s.author_id AND earlier.client_id + 0 = %(client)s
                     AND earlier.posted_at >= s.posted_at - interval '1 day'
                     AND earlier.posted_at <= s.posted_at
                     AND earlier.text = s.text AND earlier.external_id <> s.external_id
               ) AS repeat,
               -- spam: the page's score, plus the new-account signal (apps.listening.spam)
               -- for an unknown author with few followers: probed only when it would tip it
               s.is_spam OR (s.account_role = '' AND s.spam_score + %(new_account)s >= %(spam)s
                   AND COALESCE(s.followers <= %(few_followers)s, false) AND NOT EXISTS (
                       SELECT 1 FROM {_M} earlier
                       WHERE earlier.author_id = s.author_id
                         AND earlier.client_id + 0 = %(client)s
                         AND earlier.posted_at < s.posted_at)) AS spam
        FROM (
            SELECT s.*,
                   (SELECT id FROM {_A} WHERE platform = %(platform)s AND handle = s.handle)
                       AS author_id,
                   CASE WHEN s.account_role = '' THEN COALESCE(  -- accounts are no customers
                       (SELECT customer_id FROM {_CI} WHERE client_id = %(client)s
                          AND platform = %(platform)s AND value = s.handle),
                       (SELECT customer_id FROM {_CI} WHERE client_id = %(client)s
                          AND platform = 'email' AND value = s.handle)
                   ) END AS customer_id
            FROM {_page("s")} OFFSET 0
        ) s OFFSET 0
    ) m
    ON CONFLICT (channel_id, external_id) DO NOTHING
    RETURNING id, author_id, sentiment, posted_at
"""  # noqa: S608


def ingest_page(
    *,
    channel: Channel,
    items: list[MentionData],
    fetched_at: datetime | None = None,
    durable: bool = True,
    enrichments: list[Enrichment] | None = None,
    accounts: AccountRoles | None = None,
    stored: list[int] | None = None,
    run: dict | None = None,
) -> IngestResult:
    """Store ``items`` for ``channel`` inside the caller's transaction.

    ``enrichments`` (one per item, from ``enrich_page``) may have been computed ahead, in a helper
    process; without them the page is enriched here.

    Mentions already stored count as duplicates; items the database would refuse (see
    ``rejection_reason``) are left out and listed, so one bad item never blocks its page.
    ``durable=False`` lets the commit skip waiting for the WAL flush: right for fetched pages,
    whose cursor commits with them (a crash loses both and the page is fetched again), wrong for
    pushes and imports that nobody will send again. ``accounts`` are the client's accounts
    (looked up here when not given).

    The ``page_stored`` event tells the higher layers (routing, reports, webhooks) about the
    page, with ``run`` (a dict kept over a fetch's pages) for what they look up once per fetch.
    The ``mentions_stored`` event is published for the new mentions, unless ``stored`` is
    given: then their ids are added to it for the caller to publish (``ingest_pages`` does, once
    per batch of pages).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("ingest_page must run inside a transaction (transaction.atomic)")
    result = IngestResult(received=len(items))
    accepted, accepted_enrichments = [], []
    for index, item in enumerate(items):
        reason = rejection_reason(item)
        if reason:
            result.rejected.append((item.external_id, reason))
        else:
            accepted.append(item)
            if enrichments is not None:
                accepted_enrichments.append(enrichments[index])
    items = accepted
    if not items:
        return result
    if accounts is None:
        accounts = client_account_roles(client=channel.client, platform=channel.platform)
    if enrichments is None:
        accepted_enrichments = enrich_page(
            items, platform=channel.platform, queries=active_queries(channel.client_id)
        )
    enrichments = accepted_enrichments
    params = {
        "platform": channel.platform,
        "client": channel.client_id,
        "channel": channel.pk,
        "now": fetched_at or timezone.now(),
        **_SPAM_PARAMS,
    }
    params["page"] = _page_json(items, enrichments, accounts)
    with connection.cursor() as authors, connection.cursor() as mentions:
        if not durable:  # alone: a connection cut while idle reports why (not in a pipeline)
            authors.execute("SET LOCAL synchronous_commit = off")
        with pipelined():  # one round trip for both (each still sees the one before it)
            authors.execute(_UPSERT_AUTHORS, params)
            mentions.execute(_INSERT_MENTIONS, params)  # with their priority key
        changed_authors = [pk for pk, updated in authors.fetchall() if updated]
        created = mentions.fetchall()
    result.created_ids = [pk for pk, _, _, _ in created]
    if changed_authors:  # their influence may have moved: so does their open mentions' key
        mentions_priority_refresh(
            author_ids=changed_authors, client_id=channel.client_id, open_only=True
        )
    page = StoredPage(
        created_ids=result.created_ids,
        praise_ids=[pk for pk, _, sentiment, _ in created if sentiment == "positive"],
        posted_at=[at for _, _, _, at in created],
        has_replies=any(item.parent_external_id for item in items),
    )
    events.page_stored.publish(channel=channel, page=page, run={} if run is None else run)
    if stored is not None:
        stored.extend(result.created_ids)
    elif result.created_ids:
        events.mentions_stored.publish(client_id=channel.client_id, mention_ids=result.created_ids)
    result.created = len(result.created_ids)
    result.duplicates = len(items) - result.created
    return result


def _page_json(items: list[MentionData], enrichments: list[Enrichment], accounts) -> str:
    """The page's rows (``_PAGE_COLUMNS``) as a JSON array of objects."""
    rows = []
    for item, extra in zip(items, enrichments, strict=True):
        handle = _clean(normalise_handle(item.author.handle))
        profile_url = _clean(item.author.profile_url)
        rows.append(dict(zip(_PAGE_NAMES, (
            item.external_id, _clean(item.url), handle,
            _clean(item.author.display_name)[: LIMITS["display_name"]],
            _count(item.author.followers),
            profile_url if len(profile_url) <= LIMITS["profile_url"] else "",
            _clean(item.text), _clean(extra.language)[:16], item.kind,
            item.parent_external_id, item.rating, _count(item.engagement) or 0,
            item.posted_at.isoformat(), extra.sentiment_score, extra.sentiment, extra.intent,
            extra.matched_queries, extra.is_spam, extra.repeats_earlier_in_page,
            accounts.role_of(handle, profile_url), extra.spam_score,
        ), strict=True)))  # fmt: skip
    return json.dumps(rows, ensure_ascii=False, allow_nan=False)


def store_pushed_items(*, channel: Channel, items: list[MentionData]) -> IngestResult:
    """Pushed or imported items (the ``items_received`` event): stored durably, inside the
    caller's transaction — nobody will send them again."""
    return ingest_page(channel=channel, items=items, durable=True)


def ingest_pages(
    *,
    channel: Channel,
    pages: Iterator[FetchPage],
    on_stored: Callable[[FetchPage, IngestResult], None],
    durable: bool = False,
) -> None:
    """Store pages as they arrive, each in its own transaction with ``on_stored`` (which saves
    the cursor), enriching page N+1 in a helper process while page N is written.

    If fetching a page fails, the pages already fetched are still stored before the error
    propagates; a page is only ever stored whole, and in order.
    """

    def store(page: FetchPage, enrichments: Later, *, last: bool) -> None:
        with transaction.atomic():
            result = ingest_page(
                channel=channel, items=page.items, durable=durable,
                enrichments=enrichments.result(), accounts=accounts, stored=stored, run=run,
            )  # fmt: skip
            on_stored(page, result)
            # Announced with the page that fills a batch, and with the last page
            if stored and (last or len(stored) >= STORED_BATCH):
                events.mentions_stored.publish(client_id=channel.client_id, mention_ids=stored)
                stored.clear()

    # Pages enriched ahead, oldest first: one per helper process, so that each is busy while
    # the oldest page is being written.
    pending: deque[tuple[FetchPage, Later]] = deque()
    ahead = max(1, settings.RAPPORT_ENRICH_PROCESSES)
    queries = active_queries(channel.client_id)  # once per run: an edit re-matches anyway
    accounts = client_account_roles(client=channel.client, platform=channel.platform)
    run: dict = {}  # what page_stored's subscribers look up once per fetch
    stored: list[int] = []
    try:
        while True:
            try:
                page = next(pages)
            except StopIteration:
                break
            except BaseException:
                while pending:
                    store(*pending.popleft(), last=not pending)
                raise
            pending.append(
                (page, enrich_page_later(page.items, platform=channel.platform, queries=queries))
            )
            if len(pending) > ahead:
                store(*pending.popleft(), last=False)
        while pending:
            store(*pending.popleft(), last=not pending)
    finally:
        if stored:  # storing a page failed after others were stored: announce those
            _announce_stored(channel, stored)


def _announce_stored(channel: Channel, mention_ids: list[int]) -> None:
    try:
        with transaction.atomic():
            events.mentions_stored.publish(client_id=channel.client_id, mention_ids=mention_ids)
    except Exception:  # the database is gone too: the daily catch-up links them
        logger.exception("mentions_stored not published for %d mentions", len(mention_ids))
