"""What Rapport works out about each mention as it arrives, in one pass over a page.

For every item of a page: language (kept when the platform gives one, else detected),
sentiment and intent (``sentiment.score_and_intent``, batched, told each text's language), the
client's active listening queries it matches (each text tokenised once, every query tested
against the tokens), its spam score (``spam``: text signals and the same text from other
authors of the page), and whether the same author already said the same thing earlier in the
page. Database-side
facts — a repeat of an earlier stored mention, the author's CRM record — are settled by the
ingest statement itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Protocol

from billiard.pool import ApplyResult, Pool
from django.conf import settings

from .language import detect_languages
from .models import ListeningQuery, normalise_handle
from .query_language import Query, parse, tokenize_text
from .sentiment import label_for, score_and_intent
from .spam import THRESHOLD as SPAM_THRESHOLD
from .spam import page_spam_scores

DUPLICATE_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class Enrichment:
    sentiment_score: float
    sentiment: str
    intent: str
    language: str
    matched_queries: list[int]
    is_spam: bool
    repeats_earlier_in_page: bool
    spam_score: float = 0.0  # apps.listening.spam: text and same-text-across-authors signals


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
    detected = iter(detect_languages([item.text for item in items if not item.language]))
    languages = [item.language or next(detected) for item in items]
    scores, intents = score_and_intent([item.text for item in items], languages)
    repeats = _repeats_within_page(items)
    spam_scores = page_spam_scores(items)
    result = []
    for item, language, score, intent, repeat, spam in zip(
        items, languages, scores, intents, repeats, spam_scores, strict=True
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
                is_spam=spam >= SPAM_THRESHOLD,
                repeats_earlier_in_page=repeat,
                spam_score=spam,
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
