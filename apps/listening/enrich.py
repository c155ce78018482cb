"""What Rapport works out about each mention as it arrives, in one pass over a page.

For every item of a page: language (kept when the platform gives one, else detected),
sentiment and intent (``sentiment.score_and_intent``, batched, told each text's language), the
client's active listening queries it matches (each text tokenised once, every query tested
against the tokens), whether it is obvious spam, and whether the same author already said the
same thing earlier in the page. Database-side
facts — a repeat of an earlier stored mention, the author's CRM record — are settled by the
ingest statement itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Protocol

from billiard.pool import ApplyResult, Pool
from django.conf import settings

from .language import detect_language
from .models import ListeningQuery, normalise_handle
from .query_language import Query, parse, tokenize_text
from .sentiment import label_for, score_and_intent

DUPLICATE_WINDOW = timedelta(days=1)

# Obvious spam only: phrases that no customer uses to talk to a brand, or a wall of links/tags.
SPAM_PHRASES = (
    "free followers", "buy followers", "crypto giveaway", "double your bitcoin", "dm me to earn",
    "earn $", "work from home and earn", "click the link in my bio", "check my profile for",
    "100% guaranteed profit", "limited offer!!!", "hot singles",
)  # fmt: skip
SPAM_MAX_LINKS = 3
SPAM_MAX_HASHTAGS = 10
_LINK_RE = re.compile(r"https?://", re.IGNORECASE)


@dataclass(frozen=True)
class Enrichment:
    sentiment_score: float
    sentiment: str
    intent: str
    language: str
    matched_queries: list[int]
    is_spam: bool
    repeats_earlier_in_page: bool


def is_obvious_spam(text: str) -> bool:
    lowered = text.lower()
    if any(phrase in lowered for phrase in SPAM_PHRASES):
        return True
    return len(_LINK_RE.findall(text)) > SPAM_MAX_LINKS or text.count("#") > SPAM_MAX_HASHTAGS


@lru_cache(maxsize=4096)
def _parsed(expression: str) -> Query | None:
    """Parsed once per process; a stored expression that no longer parses matches nothing."""
    try:
        return parse(expression)
    except ValueError:
        return None


def active_queries(client_id: int) -> list[tuple[int, Query]]:
    """The client's active queries, parsed (one small query per page; parsing is cached)."""
    rows = ListeningQuery.objects.filter(client_id=client_id, is_active=True).values_list(
        "id", "expression"
    )
    return [(pk, query) for pk, expression in rows if (query := _parsed(expression))]


class Later(Protocol):
    """A page's enrichments, being computed: ``result()`` waits for them."""

    def result(self) -> list[Enrichment]: ...


class _Done:
    def __init__(self, value: list[Enrichment]):
        self.value = value

    def result(self) -> list[Enrichment]:
        return self.value


class _InHelper:
    def __init__(self, pending: ApplyResult):
        self.pending = pending

    def result(self) -> list[Enrichment]:
        return self.pending.get()


_pool: Pool | None = None


def _enrichment_pool() -> Pool | None:
    """The helper processes that enrich pages ahead of storage (none: enrich in this process).

    billiard's pool (Celery's own) rather than multiprocessing's: a Celery prefork worker is a
    daemonic process, which multiprocessing forbids to have children.
    """
    global _pool
    workers = settings.RAPPORT_ENRICH_PROCESSES
    if workers and _pool is None:
        _pool = Pool(processes=workers)
    return _pool if workers else None


def enrich_page_later(items, *, platform: str, queries: list[tuple[int, Query]]) -> Later:
    """``enrich_page`` in a helper process, so the caller can store the previous page meanwhile.

    CPU-bound scoring (sentiment, language, queries) then runs beside the database work instead
    of after it — on a second core where there is one.
    """
    pool = _enrichment_pool()
    if pool is not None:
        kwargs = {"platform": platform, "queries": queries}
        return _InHelper(pool.apply_async(enrich_page, (items,), kwargs))
    return _Done(enrich_page(items, platform=platform, queries=queries))


def enrich_page(items, *, platform: str, queries: list[tuple[int, Query]]) -> list[Enrichment]:
    """Enrich a page of ``MentionData`` items (same order)."""
    languages = [item.language or detect_language(item.text) for item in items]
    scores, intents = score_and_intent([item.text for item in items], languages)
    repeats = _repeats_within_page(items)
    result = []
    for item, language, score, intent, repeat in zip(
        items, languages, scores, intents, repeats, strict=True
    ):
        matched = []
        if queries:
            tokens = tokenize_text(item.text)
            matched = [
                pk
                for pk, query in queries
                if query.matches_tokens(tokens, platform=platform, language=language)
            ]
        result.append(
            Enrichment(
                sentiment_score=score,
                sentiment=label_for(score),
                intent=intent,
                language=language,
                matched_queries=matched,
                is_spam=is_obvious_spam(item.text),
                repeats_earlier_in_page=repeat,
            )
        )
    return result


def _repeats_within_page(items) -> list[bool]:
    """True for an item whose author said the same text earlier (within a day) on this page."""
    said: dict[tuple[str, str], list[tuple]] = {}
    for index, item in enumerate(items):
        key = (normalise_handle(item.author.handle), item.text.strip())
        said.setdefault(key, []).append((item.posted_at, index))
    repeats = [False] * len(items)
    for occurrences in said.values():
        occurrences.sort()
        for (earlier, _), (later, index) in pairwise(occurrences):
            repeats[index] = later - earlier <= DUPLICATE_WINDOW
    return repeats
